//! A test OpenID Connect provider on loopback ([`OidcProvider`]): what a
//! social sign-in provider (Google, GitHub, a company's SSO) is to Kratos,
//! for tests that play social sign-in to the end without leaving the
//! machine.
//!
//! It is a real provider on a real HTTP server, as the mock Kratos is, so
//! that a real Kratos's `generic` provider and [`MockKratos`](super::MockKratos)
//! both use it: discovery (`/.well-known/openid-configuration`), its key
//! set (`/jwks`), `/authorize` (a consent page with Allow and Deny),
//! `/token` (ID tokens signed with ES256), `/userinfo`. It checks what a
//! provider checks: the client and its secret, the `redirect_uri` the code
//! was issued for, PKCE (S256), codes used once and within a minute; it
//! puts the request's `nonce` in the ID token. The test sets who signs in
//! ([`OidcUser`]), and may ask for a fault ([`OidcFault`]).
//!
//! ```no_run
//! # async fn run() {
//! use kratos_client::testing::{OidcProvider, OidcUser};
//!
//! let provider = OidcProvider::start().await;
//! provider.sign_in_as(OidcUser::new("user-1").email("ada@example.com"));
//! println!("issuer: {}", provider.issuer());
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Map, Value};
use url::Url;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// How long an authorization code can be traded for tokens.
const CODE_LIFETIME: Duration = Duration::from_secs(60);

/// The key id of the provider's one signing key.
const KEY_ID: &str = "kratos-client-test-key";

/// Who signs in at the provider: the claims of the ID token and of
/// `/userinfo`.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct OidcUser {
    /// The provider's id of the user (`sub`): what Kratos links the
    /// identity to.
    pub sub: String,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified`.
    pub email_verified: bool,
    /// `name`.
    pub name: Option<String>,
    /// Any other claims, as sent.
    pub claims: Map<String, Value>,
}

impl fmt::Debug for OidcUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcUser")
            .field("sub", &self.sub)
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .field("name", &self.name)
            .field(
                "claims",
                &self.claims.keys().map(String::as_str).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl OidcUser {
    /// A user with the provider's id `sub` and no other claims.
    pub fn new(sub: impl Into<String>) -> Self {
        OidcUser {
            sub: sub.into(),
            email: None,
            email_verified: false,
            name: None,
            claims: Map::new(),
        }
    }

    /// Sets `email`, verified.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self.email_verified = true;
        self
    }

    /// Sets `email_verified`.
    pub fn email_verified(mut self, verified: bool) -> Self {
        self.email_verified = verified;
        self
    }

    /// Sets `name`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds the claim `name`.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Every claim about the user, as the ID token and `/userinfo` carry
    /// them.
    fn to_claims(&self) -> Map<String, Value> {
        let mut claims = self.claims.clone();
        claims.insert("sub".into(), json!(self.sub));
        if let Some(email) = &self.email {
            claims.insert("email".into(), json!(email));
            claims.insert("email_verified".into(), json!(self.email_verified));
        }
        if let Some(name) = &self.name {
            claims.insert("name".into(), json!(name));
        }
        claims
    }
}

/// A fault the provider plays once, at the next sign-in it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OidcFault {
    /// The user presses Deny: `/authorize` sends the browser back with
    /// `error=access_denied`, without showing the consent page.
    Deny,
    /// `/token` answers 500 `server_error` for the code of the next
    /// sign-in, however often it is asked (an OAuth 2.0 client may retry
    /// with its credentials sent another way).
    TokenEndpointFails,
    /// The ID token's signature does not verify.
    BadSignature,
    /// The ID token is for another client (`aud`).
    WrongAudience,
    /// The ID token carries another `nonce` than the one asked for.
    WrongNonce,
}

/// Why [`OidcProvider::approve`] did not get back to the app: where the
/// browser stopped (an address's path and status, never its query).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the browser leg of the sign-in did not come back: {0}")]
pub struct BrowserLegError(String);

/// Configures an [`OidcProvider`]. Made by [`OidcProvider::builder`].
#[derive(Clone)]
#[must_use = "call .start().await to run the provider"]
pub struct OidcProviderBuilder {
    client_id: String,
    client_secret: String,
    user: OidcUser,
    consent_page: bool,
}

impl fmt::Debug for OidcProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProviderBuilder")
            .field("client_id", &self.client_id)
            .field("user", &self.user)
            .field("consent_page", &self.consent_page)
            .finish_non_exhaustive()
    }
}

impl OidcProviderBuilder {
    /// The one client the provider knows. Default: `kratos-client-test`.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = id.into();
        self
    }

    /// The client's secret. Default: `kratos-client-test-secret`.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = secret.into();
        self
    }

    /// Who signs in. Default: `OidcUser::new("test-user").email("ada@example.com")`.
    pub fn user(mut self, user: OidcUser) -> Self {
        self.user = user;
        self
    }

    /// Whether `/authorize` shows the consent page (default) or sends the
    /// browser straight back with a code, as a provider does for a user
    /// who consented before.
    pub fn consent_page(mut self, shown: bool) -> Self {
        self.consent_page = shown;
        self
    }

    /// Starts the provider on a free loopback port.
    pub async fn start(self) -> OidcProvider {
        let server = MockServer::start().await;
        let rng = SystemRandom::new();
        // A new P-256 key for each provider: ring makes and signs with it.
        let key = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .and_then(|pkcs8| {
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .map_err(|_| ring::error::Unspecified)
            })
            .unwrap_or_else(|_| unreachable!("ring makes a P-256 key from its own random"));
        let state = Arc::new(Mutex::new(State {
            issuer: server.uri(),
            client_id: self.client_id,
            client_secret: self.client_secret,
            user: self.user,
            consent_page: self.consent_page,
            fault: None,
            pending: HashMap::new(),
            codes: HashMap::new(),
            tokens: HashMap::new(),
            key,
            rng,
            sign_ins: 0,
        }));
        Mock::given(wiremock::matchers::any())
            .respond_with(Provider(state.clone()))
            .named("OidcProvider")
            .mount(&server)
            .await;
        OidcProvider { server, state }
    }
}

/// A running test OpenID Connect provider. Stops when dropped.
///
/// Use [`social_sign_in`](Self::social_sign_in) to have a test Kratos
/// offer it as a provider.
pub struct OidcProvider {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.server.uri())
            .finish_non_exhaustive()
    }
}

impl OidcProvider {
    /// Starts a provider with the default settings.
    pub async fn start() -> OidcProvider {
        Self::builder().start().await
    }

    /// Configures a provider before starting it.
    pub fn builder() -> OidcProviderBuilder {
        OidcProviderBuilder {
            client_id: "kratos-client-test".into(),
            client_secret: "kratos-client-test-secret".into(),
            user: OidcUser::new("test-user").email("ada@example.com"),
            consent_page: true,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The issuer URL (`iss`), under which discovery is found: the
    /// server's base URL, such as `http://127.0.0.1:40123`.
    pub fn issuer(&self) -> String {
        self.server.uri()
    }

    /// The client id Kratos must use.
    pub fn client_id(&self) -> String {
        self.state().client_id.clone()
    }

    /// The client secret Kratos must use.
    pub fn client_secret(&self) -> crate::Secret {
        crate::Secret::new(self.state().client_secret.clone())
    }

    /// Sets who signs in from now on: who the consent page offers, and who
    /// Allow signs in.
    pub fn sign_in_as(&self, user: OidcUser) {
        self.state().user = user;
    }

    /// Plays `fault` once, at the next sign-in it applies to.
    pub fn fail_next(&self, fault: OidcFault) {
        self.state().fault = Some(fault);
    }

    /// How many times tokens were handed out: sign-ins the provider
    /// completed.
    pub fn sign_ins(&self) -> usize {
        self.state().sign_ins
    }

    /// Plays the browser of a social sign-in: opens `url` (the address
    /// Kratos's 422 names, [`ProviderSignIn::browser_url`](crate::social::ProviderSignIn::browser_url)),
    /// follows redirects with the cookies they set, presses Allow on this
    /// provider's consent page, and stops at the first redirect to an
    /// address starting with `return_to`, which it returns. For tests, and
    /// for tools that sign in against the test provider without a person.
    pub async fn approve(&self, url: &str, return_to: &str) -> Result<String, BrowserLegError> {
        let client = crate::client::bare_client()
            .map_err(|e| BrowserLegError(format!("no HTTP client: {e}")))?;
        let mut jar: Vec<(String, String)> = Vec::new();
        let mut at = Url::parse(url).map_err(|_| BrowserLegError("not an address".into()))?;
        let mut form: Option<String> = None;
        for _ in 0..20 {
            let request = match form.take() {
                Some(body) => client
                    .post(at.clone())
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body),
                None => client.get(at.clone()),
            };
            let cookies: Vec<String> = jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
            let request = match cookies.is_empty() {
                true => request,
                false => request.header("cookie", cookies.join("; ")),
            };
            let answer = request.send().await.map_err(|e| {
                BrowserLegError(format!(
                    "{} did not answer: {e}",
                    at.origin().ascii_serialization()
                ))
            })?;
            for set in answer.headers().get_all("set-cookie") {
                let pair = set
                    .to_str()
                    .unwrap_or_default()
                    .split(';')
                    .next()
                    .unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    jar.retain(|(n, _)| n != name.trim());
                    jar.push((name.trim().to_string(), value.to_string()));
                }
            }
            let status = answer.status().as_u16();
            if let Some(location) = answer.headers().get("location") {
                let location = location.to_str().unwrap_or_default();
                if location.starts_with(return_to) {
                    return Ok(location.to_string());
                }
                at = at
                    .join(location)
                    .map_err(|_| BrowserLegError("a redirect to no address".into()))?;
                continue;
            }
            let page = answer.text().await.unwrap_or_default();
            let request = page
                .split("name=\"request\" value=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .filter(|_| at.as_str().starts_with(&self.issuer()));
            let Some(request) = request else {
                return Err(BrowserLegError(format!(
                    "stopped at {} with {status}",
                    at.path()
                )));
            };
            form = Some(
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("request", request)
                    .append_pair("decision", "allow")
                    .finish(),
            );
            at = at
                .join("/authorize")
                .map_err(|_| BrowserLegError("no consent address".into()))?;
        }
        Err(BrowserLegError("more than 20 redirects".into()))
    }

    /// The provider as a test Kratos offers it, under `id`: pass it to
    /// `social_sign_in` on `MockKratosBuilder`, `KratosServerBuilder` or
    /// `TestKratosBuilder`. Its claims `email` (and `name`, when the schema
    /// has the trait) fill the traits of the same names.
    pub fn social_sign_in(&self, id: &str) -> super::SocialSignIn {
        let state = self.state();
        super::SocialSignIn::new(
            id,
            self.server.uri(),
            &state.client_id,
            &state.client_secret,
        )
    }
}

struct State {
    issuer: String,
    client_id: String,
    client_secret: String,
    user: OidcUser,
    consent_page: bool,
    fault: Option<OidcFault>,
    /// Authorization requests waiting at the consent page, by id.
    pending: HashMap<String, Authorization>,
    /// Codes not yet traded, by code.
    codes: HashMap<String, Grant>,
    /// Access tokens, and whose claims `/userinfo` answers with.
    tokens: HashMap<String, Map<String, Value>>,
    key: EcdsaKeyPair,
    rng: SystemRandom,
    sign_ins: usize,
}

/// What `/authorize` was asked, kept until the user decides.
#[derive(Clone)]
struct Authorization {
    redirect_uri: String,
    state: Option<String>,
    nonce: Option<String>,
    /// The PKCE challenge (S256).
    challenge: Option<String>,
}

/// A code handed out, and what it was handed out for.
struct Grant {
    authorization: Authorization,
    user: OidcUser,
    issued: Instant,
    /// Whether `/token` fails for this code.
    fails: bool,
}

impl State {
    /// 32 random bytes, base64url: codes, tokens, request ids.
    fn random(&self) -> String {
        let mut bytes = [0u8; 32];
        // The system's random source; it only fails where there is none.
        self.rng
            .fill(&mut bytes)
            .unwrap_or_else(|_| unreachable!("no system random source"));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn discovery(&self) -> Value {
        let at = |path: &str| format!("{}{path}", self.issuer);
        json!({
            "issuer": self.issuer,
            "authorization_endpoint": at("/authorize"),
            "token_endpoint": at("/token"),
            "userinfo_endpoint": at("/userinfo"),
            "jwks_uri": at("/jwks"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
        })
    }

    fn jwks(&self) -> Value {
        // An uncompressed P-256 point: 0x04, then x and y, 32 bytes each.
        let point = self.key.public_key().as_ref();
        let (x, y) = point[1..].split_at(32);
        json!({"keys": [{
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(x),
            "y": URL_SAFE_NO_PAD.encode(y),
            "use": "sig",
            "alg": "ES256",
            "kid": KEY_ID,
        }]})
    }

    /// `GET /authorize`: the consent page, or the browser sent back.
    fn authorize(&mut self, url: &Url) -> ResponseTemplate {
        let query = |name: &str| super::call::query_value(url, name);
        if query("client_id").as_deref() != Some(self.client_id.as_str()) {
            // No redirect to an address a client the provider does not
            // know gave: a page for the user, as providers do.
            return page(
                400,
                "Unknown client",
                "<p>This application is not known to the provider.</p>",
            );
        }
        let Some(redirect_uri) = query("redirect_uri").filter(|u| Url::parse(u).is_ok()) else {
            return page(
                400,
                "No redirect_uri",
                "<p>The application sent no valid <code>redirect_uri</code>.</p>",
            );
        };
        let authorization = Authorization {
            redirect_uri,
            state: query("state"),
            nonce: query("nonce"),
            challenge: query("code_challenge"),
        };
        if query("response_type").as_deref() != Some("code") {
            return back(&authorization, &[("error", "unsupported_response_type")]);
        }
        if authorization.challenge.is_some()
            && query("code_challenge_method").as_deref() != Some("S256")
        {
            return back(
                &authorization,
                &[
                    ("error", "invalid_request"),
                    (
                        "error_description",
                        "only the S256 code challenge method is supported",
                    ),
                ],
            );
        }
        if self.fault == Some(OidcFault::Deny) {
            self.fault = None;
            return denied(&authorization);
        }
        if !self.consent_page {
            let user = self.user.clone();
            return self.grant(authorization, user);
        }
        let request = self.random();
        self.pending.insert(request.clone(), authorization);
        consent_page(&request, &self.user)
    }

    /// `POST /authorize`: the consent page submitted.
    fn decide(&mut self, body: &[u8]) -> ResponseTemplate {
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
        let Some(authorization) = self.pending.remove(field("request")) else {
            return page(400, "Expired", "<p>This sign-in request is unknown or was already answered. Start again from the application.</p>");
        };
        if field("decision") != "allow" {
            return denied(&authorization);
        }
        let mut user = self.user.clone();
        // The page lets the person at the browser change who signs in.
        if !field("sub").is_empty() {
            user.sub = field("sub").to_string();
        }
        if !field("email").is_empty() {
            user.email = Some(field("email").to_string());
        }
        if !field("name").is_empty() {
            user.name = Some(field("name").to_string());
        }
        self.grant(authorization, user)
    }

    /// Sends the browser back to the client with a new code.
    fn grant(&mut self, authorization: Authorization, user: OidcUser) -> ResponseTemplate {
        let code = self.random();
        let answer = back(&authorization, &[("code", code.as_str())]);
        let fails = self.fault == Some(OidcFault::TokenEndpointFails);
        if fails {
            self.fault = None;
        }
        self.codes.insert(
            code,
            Grant {
                authorization,
                user,
                issued: Instant::now(),
                fails,
            },
        );
        answer
    }

    /// `POST /token`: a code traded for an access token and an ID token.
    fn token(&mut self, request: &Request) -> ResponseTemplate {
        let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let field = |name: &str| form.get(name).map(String::as_str);
        // The client, by HTTP Basic or in the form.
        let basic = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|v| STANDARD.decode(v.trim()).ok())
            .and_then(|v| String::from_utf8(v).ok());
        let (id, secret) = match &basic {
            Some(pair) => {
                let (id, secret) = pair.split_once(':').unwrap_or((pair, ""));
                (url_decode(id), url_decode(secret))
            }
            None => (
                field("client_id").unwrap_or("").to_string(),
                field("client_secret").unwrap_or("").to_string(),
            ),
        };
        if id != self.client_id || secret != self.client_secret {
            return oauth_error(401, "invalid_client", "client authentication failed");
        }
        if field("grant_type") != Some("authorization_code") {
            return oauth_error(400, "unsupported_grant_type", "only authorization_code");
        }
        let code = field("code").unwrap_or("");
        if self.codes.get(code).is_some_and(|grant| grant.fails) {
            return oauth_error(500, "server_error", "the provider failed");
        }
        // A code is good once: taken out whatever comes next.
        let Some(grant) = self.codes.remove(code) else {
            return oauth_error(400, "invalid_grant", "unknown or used code");
        };
        if grant.issued.elapsed() > CODE_LIFETIME {
            return oauth_error(400, "invalid_grant", "expired code");
        }
        if field("redirect_uri") != Some(grant.authorization.redirect_uri.as_str()) {
            return oauth_error(
                400,
                "invalid_grant",
                "redirect_uri differs from the authorization request's",
            );
        }
        if let Some(challenge) = &grant.authorization.challenge {
            let verifier = field("code_verifier").unwrap_or("");
            let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
            if verifier.is_empty() || URL_SAFE_NO_PAD.encode(digest.as_ref()) != *challenge {
                return oauth_error(400, "invalid_grant", "PKCE verification failed");
            }
        }
        let access_token = self.random();
        let claims = grant.user.to_claims();
        self.tokens.insert(access_token.clone(), claims.clone());
        let id_token = self.id_token(claims, &grant.authorization);
        self.sign_ins += 1;
        ResponseTemplate::new(200)
            .insert_header("cache-control", "no-store")
            .set_body_json(json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": "openid email profile",
                "id_token": id_token,
            }))
    }

    /// A signed ID token of `claims`, with the fault asked for, if any.
    fn id_token(
        &mut self,
        mut claims: Map<String, Value>,
        authorization: &Authorization,
    ) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let fault = self.fault.take_if(|f| {
            matches!(
                f,
                OidcFault::BadSignature | OidcFault::WrongAudience | OidcFault::WrongNonce
            )
        });
        claims.insert("iss".into(), json!(self.issuer));
        let audience = match fault {
            Some(OidcFault::WrongAudience) => "another-client",
            _ => &self.client_id,
        };
        claims.insert("aud".into(), json!(audience));
        claims.insert("iat".into(), json!(now));
        claims.insert("auth_time".into(), json!(now));
        claims.insert("exp".into(), json!(now + 3600));
        match (fault, &authorization.nonce) {
            (Some(OidcFault::WrongNonce), _) => {
                claims.insert("nonce".into(), json!("not-the-nonce"));
            }
            (_, Some(nonce)) => {
                claims.insert("nonce".into(), json!(nonce));
            }
            _ => {}
        }
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": KEY_ID});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string())
        );
        let mut signature = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .map(|s| s.as_ref().to_vec())
            .unwrap_or_else(|_| unreachable!("ring signs with its own key"));
        if fault == Some(OidcFault::BadSignature) {
            signature[0] ^= 0xff;
        }
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// `GET /userinfo`: the claims of the access token's user.
    fn userinfo(&self, request: &Request) -> ResponseTemplate {
        let token = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match token.and_then(|t| self.tokens.get(t.trim())) {
            Some(claims) => ResponseTemplate::new(200).set_body_json(Value::Object(claims.clone())),
            None => ResponseTemplate::new(401)
                .insert_header("www-authenticate", "Bearer error=\"invalid_token\""),
        }
    }
}

/// A percent-encoded part of HTTP Basic credentials, decoded (RFC 6749
/// 2.3.1 has clients encode them as a form).
fn url_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The browser sent back to the client's `redirect_uri` with `params` and
/// the request's `state`.
fn back(authorization: &Authorization, params: &[(&str, &str)]) -> ResponseTemplate {
    let Ok(mut to) = Url::parse(&authorization.redirect_uri) else {
        return page(
            400,
            "No redirect_uri",
            "<p>The application sent no valid <code>redirect_uri</code>.</p>",
        );
    };
    {
        let mut query = to.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(state) = &authorization.state {
            query.append_pair("state", state);
        }
    }
    ResponseTemplate::new(303).insert_header("location", to.as_str())
}

fn denied(authorization: &Authorization) -> ResponseTemplate {
    back(
        authorization,
        &[
            ("error", "access_denied"),
            ("error_description", "The user denied the request."),
        ],
    )
}

/// An OAuth 2.0 error answer of the token endpoint (RFC 6749 5.2).
fn oauth_error(status: u16, error: &str, description: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("cache-control", "no-store")
        .set_body_json(json!({"error": error, "error_description": description}))
}

/// A small HTML page of the provider's.
fn page(status: u16, title: &str, body: &str) -> ResponseTemplate {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}\
         label{{display:block;margin:.5rem 0}}input{{width:100%}}button{{margin:1rem .5rem 0 0}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>\n",
        title = crate::escape::escape(title),
    );
    ResponseTemplate::new(status).set_body_raw(html, "text/html; charset=utf-8")
}

/// The consent page: who signs in (which the person at the browser may
/// change), Allow and Deny.
fn consent_page(request: &str, user: &OidcUser) -> ResponseTemplate {
    let value = |v: Option<&str>| crate::escape::escape(v.unwrap_or(""));
    let body = format!(
        "<p>An application asks to sign you in with the test provider.</p>\
         <form method=\"post\" action=\"/authorize\" id=\"consent\">\
         <input type=\"hidden\" name=\"request\" value=\"{request}\">\
         <label>Subject <input name=\"sub\" value=\"{sub}\"></label>\
         <label>Email <input name=\"email\" type=\"email\" value=\"{email}\"></label>\
         <label>Name <input name=\"name\" value=\"{name}\"></label>\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         </form>",
        request = crate::escape::escape(request),
        sub = value(Some(&user.sub)),
        email = value(user.email.as_deref()),
        name = value(user.name.as_deref()),
    );
    page(200, "Sign in with the test provider", &body)
}

/// Answers every request to the provider.
struct Provider(Arc<Mutex<State>>);

impl Respond for Provider {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match (request.method.as_str(), request.url.path()) {
            ("GET", "/.well-known/openid-configuration") => {
                ResponseTemplate::new(200).set_body_json(state.discovery())
            }
            ("GET", "/jwks") => ResponseTemplate::new(200).set_body_json(state.jwks()),
            ("GET", "/authorize") => state.authorize(&request.url),
            ("POST", "/authorize") => state.decide(&request.body),
            ("POST", "/token") => state.token(request),
            ("GET" | "POST", "/userinfo") => state.userinfo(request),
            _ => page(
                404,
                "Not found",
                "<p>The test provider has no such page.</p>",
            ),
        }
    }
}
