//! Social sign-in's second half, as Kratos v26.2.0 plays it for a native
//! flow: the callback a provider sends the browser to
//! (`/self-service/methods/oidc/callback`), the code traded at the
//! provider's token endpoint, the ID token verified against its keys, the
//! identity found by its provider and subject or created from the claims,
//! the session, and the browser sent on to the flow's `return_to` with the
//! `code` that [`exchange`] trades, with the init code, for the session
//! token. A refusal (the user denied, a token that does not verify) is
//! the flow's message and the browser sent on without a code; a token
//! endpoint that fails (or a callback replayed, whose code the provider
//! refuses) is Kratos's error answer; a state Kratos never sent, the error
//! page.
//!
//! The mock reaches the provider over plain HTTP, as it reaches the test
//! provider on loopback.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Map, Value};

use super::call::Call;
use super::http::{error_body, json_response, text, Answer};
use super::outbound::blocking;
use super::store::{SocialState, Store};
use super::SocialSignIn;

const CALLBACK: &str = "/self-service/methods/oidc/callback";

/// A session-token exchange: the codes a native flow was given, and the
/// session the flow ended in, once it has one.
#[derive(Debug, Clone)]
pub(super) struct Exchange {
    pub(super) init_code: String,
    pub(super) return_to_code: String,
    pub(super) flow_id: String,
    pub(super) session_token: Option<String>,
}

/// Answers the callback; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<Answer> {
    let path = call.path();
    if !matches!(call.method(), "GET" | "POST")
        || !(path == CALLBACK || path.starts_with(&format!("{CALLBACK}/")))
    {
        return None;
    }
    let state = call.query("state").unwrap_or_default();
    // Kratos's state is sealed and stays readable: a callback seen before
    // goes to the provider again with its used code (and fails there); a
    // state Kratos never sent does not open.
    let Some(pending) = store.social_states.get(&state).cloned() else {
        return Some(super::browser::to_error_page(
            store,
            error_body(
                400,
                "Bad Request",
                None,
                "The request was malformed or contained invalid parameters",
                "Unable to complete OpenID Connect flow because the state parameter is invalid.",
            ),
        ));
    };
    // A browser flow's callback must come from the browser that left.
    if pending.continuity.is_some()
        && call.cookie(super::store::CONTINUITY_COOKIE) != pending.continuity.as_deref()
    {
        return Some(super::browser::to_error_page(
            store,
            error_body(
                400,
                "Bad Request",
                None,
                "no resumable session found",
                "The browser does not contain the necessary cookie to resume the session. This is a security violation and was blocked. Please clear your browser's cookies and cache and try again!",
            ),
        ));
    }
    // A flow that expired while the user was at the provider: the error
    // page, as Kratos sends a browser there.
    let now = std::time::SystemTime::now();
    let expired = store
        .flows
        .get(&pending.flow_id)
        .map_or(Some(std::time::Duration::ZERO), |f| {
            now.duration_since(f.expires_at).ok()
        });
    if let Some(ago) = expired {
        return Some(super::browser::to_error_page(
            store,
            error_body(
                410,
                "Gone",
                Some("self_service_flow_expired"),
                "self-service flow expired",
                &super::store::expired_reason(ago),
            ),
        ));
    }
    let Some(provider) = store
        .config
        .social_sign_ins
        .iter()
        .find(|p| p.id == pending.provider)
        .cloned()
    else {
        return Some(super::http::not_found_because("unknown provider"));
    };
    if let Some(error) = call.query("error") {
        let reason = format!(
            "Unable to complete OpenID Connect flow because the OpenID Provider returned error \"{error}\": {}",
            call.query("error_description").unwrap_or_default()
        );
        return Some(refuse(store, &pending, &reason));
    }
    // Linking in settings needs the session, which Kratos reads from the
    // browser's cookie: a native app's browser has none.
    let linking_for = store
        .flows
        .get(&pending.flow_id)
        .filter(|f| f.kind == super::store::FlowKind::Settings)
        .map(|f| f.identity_id.clone());
    if let Some(owner) = &linking_for {
        let signed_in = call
            .token()
            .and_then(|t| store.session(t))
            .is_some_and(|s| Some(&s.identity_id) == owner.as_ref());
        if !signed_in {
            return Some(super::browser::to_error_page(
                store,
                error_body(
                    401,
                    "Unauthorized",
                    Some("session_inactive"),
                    "request does not have a valid authentication session",
                    "No active session was found in this request.",
                ),
            ));
        }
    }
    let code = call.query("code").unwrap_or_default();
    let claims = match claims(store, &provider, &pending, &code) {
        Ok(claims) => claims,
        Err(Failure::Refused(reason)) => return Some(refuse(store, &pending, &reason)),
        Err(Failure::Answer(answer)) => return Some(*answer),
    };
    if let Some(Some(owner)) = linking_for {
        return Some(link(store, &provider, &pending, &owner, &claims));
    }
    Some(sign_in(store, &provider, &pending, &claims))
}

enum Failure {
    /// The flow's message, the browser sent on.
    Refused(String),
    /// Kratos's answer to the browser.
    Answer(Box<Answer>),
}

/// The user's claims: the code traded at the provider's token endpoint,
/// the ID token verified as Kratos's `generic` provider verifies it.
fn claims(
    store: &Store,
    provider: &SocialSignIn,
    pending: &SocialState,
    code: &str,
) -> Result<Map<String, Value>, Failure> {
    let issuer = provider.issuer.trim_end_matches('/').to_string();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", &format!("{}{CALLBACK}", store.base))
        .append_pair("code_verifier", &pending.verifier)
        .finish();
    let basic = STANDARD.encode(format!(
        "{}:{}",
        provider.client_id,
        provider.client_secret.expose()
    ));
    let unavailable = |what: &str| {
        Failure::Answer(Box::new(json_response(
            500,
            error_body(500, "Internal Server Error", None, what, ""),
        )))
    };
    let client =
        super::outbound::client().ok_or_else(|| unavailable("no HTTP client for the provider"))?;
    let (status, tokens) = blocking(
        client
            .post(format!("{issuer}/token"))
            .header("authorization", format!("Basic {basic}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(form),
    )
    .ok_or_else(|| unavailable("the provider's token endpoint is unreachable"))?;
    if !(200..300).contains(&status) {
        // What Go's oauth2 package says of an OAuth 2.0 error answer, as
        // Kratos writes it back: 400, with the provider's error as a 500.
        let message = format!(
            "oauth2: {} {}",
            Value::from(tokens["error"].as_str().unwrap_or_default()),
            Value::from(tokens["error_description"].as_str().unwrap_or_default())
        );
        return Err(Failure::Answer(Box::new(json_response(
            400,
            json!({"error": {"code": 500, "status": "Internal Server Error", "message": message}}),
        ))));
    }
    let Some(id_token) = tokens["id_token"].as_str() else {
        return Err(Failure::Refused(
            "The ID Token is missing from the OpenID Connect provider's response.".into(),
        ));
    };
    let (_, jwks) = blocking(client.get(format!("{issuer}/jwks")))
        .ok_or_else(|| unavailable("the provider's keys are unreachable"))?;
    verify(id_token, &jwks, &issuer, &provider.client_id).map_err(Failure::Refused)
}

/// The claims of `id_token` if it verifies: ES256 against a key of `jwks`,
/// from `issuer`, for `client_id`. Otherwise what go-oidc says of it.
fn verify(
    id_token: &str,
    jwks: &Value,
    issuer: &str,
    client_id: &str,
) -> Result<Map<String, Value>, String> {
    let malformed = || "oidc: malformed jwt".to_string();
    let (signed, signature) = id_token.rsplit_once('.').ok_or_else(malformed)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| malformed())?;
    let payload = signed.split('.').nth(1).ok_or_else(malformed)?;
    let claims: Map<String, Value> = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(malformed)?;
    let verified = jwks["keys"].as_array().into_iter().flatten().any(|key| {
        let mut point = vec![4u8];
        for part in ["x", "y"] {
            match key[part].as_str().map(|p| URL_SAFE_NO_PAD.decode(p)) {
                Some(Ok(bytes)) => point.extend(bytes),
                _ => return false,
            }
        }
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(signed.as_bytes(), &signature)
            .is_ok()
    });
    if !verified {
        return Err("failed to verify signature: failed to verify id token signature".into());
    }
    let got = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if got != issuer {
        return Err(format!(
            "oidc: id token issued by a different provider, expected {} got {}",
            Value::from(issuer),
            Value::from(got)
        ));
    }
    let audiences: Vec<String> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    if !audiences.iter().any(|a| a == client_id) {
        return Err(format!(
            "oidc: expected audience {} got {}",
            Value::from(client_id),
            json!(audiences)
        ));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    if claims
        .get("exp")
        .and_then(Value::as_u64)
        .is_some_and(|exp| exp < now)
    {
        return Err("oidc: token is expired".into());
    }
    Ok(claims)
}

/// The provider's id of the user (`sub`).
fn subject(claims: &Map<String, Value>) -> String {
    claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Links the provider to the signed-in identity `owner` of a settings
/// flow: the flow saved (1050001), the browser back on its page.
fn link(
    store: &mut Store,
    provider: &SocialSignIn,
    pending: &SocialState,
    owner: &str,
    claims: &Map<String, Value>,
) -> Answer {
    let subject = subject(claims);
    if let Some(identity) = store.identities.iter_mut().find(|i| i.id == owner) {
        identity.oidc.retain(|(p, _)| *p != provider.id);
        identity.oidc.push((provider.id.clone(), subject));
    }
    if let Some(flow) = store.flows.get_mut(&pending.flow_id) {
        flow.saved();
        flow.active = Some("oidc");
    }
    let page = super::browser::page(store, super::store::FlowKind::Settings, &pending.flow_id);
    super::browser::see_other(&page)
}

/// Refuses the sign-in: the flow says why (4000001), and the browser goes
/// on to the flow's `return_to` without a code.
fn refuse(store: &mut Store, pending: &SocialState, reason: &str) -> Answer {
    let default = store.default_return();
    let Some(flow) = store.flows.get_mut(&pending.flow_id) else {
        return super::http::not_found_because("Unable to locate the resource");
    };
    flow.form_messages = vec![text(
        4000001,
        reason,
        "error",
        Some(json!({"reason": reason})),
    )];
    flow.social_retry = Some(pending.provider.clone());
    if flow.browser {
        // A browser goes back to the flow's page (Kratos sends
        // registration forms back with 302).
        let (kind, status) = match flow.kind {
            super::store::FlowKind::Registration => (flow.kind, 302),
            kind => (kind, 303),
        };
        let page = super::browser::page(store, kind, &pending.flow_id);
        return Answer::new(status).insert_header("location", page);
    }
    let to = flow.return_to.clone().unwrap_or(default);
    Answer::new(303).insert_header("location", to)
}

/// Signs the user of `claims` in: the identity linked to the provider's
/// subject, or a new one with the traits the claims fill; then the browser
/// sent on with the code to exchange.
fn sign_in(
    store: &mut Store,
    provider: &SocialSignIn,
    pending: &SocialState,
    claims: &Map<String, Value>,
) -> Answer {
    let subject = subject(claims);
    let known = store
        .identities
        .iter()
        .find(|i| {
            i.oidc
                .iter()
                .any(|(p, s)| *p == provider.id && *s == subject)
        })
        .map(|i| i.id.clone());
    let identity_id = match known {
        Some(id) => id,
        None => {
            let mut traits = Map::new();
            for (claim, name) in &provider.traits {
                if store.config.traits.iter().any(|t| t.name == *name) {
                    if let Some(value) = claims.get(claim) {
                        traits.insert(name.clone(), value.clone());
                    }
                }
            }
            let identifier = super::options::identifier_trait(&store.config.traits)
                .and_then(|t| traits.get(&t.name))
                .and_then(Value::as_str)
                .map(|a| a.trim().to_lowercase());
            if let Some(address) = identifier
                .as_deref()
                .filter(|a| store.identity_by_address(a).is_some())
            {
                return link_first(store, provider, pending, address, subject);
            }
            let id = store.add_identity(identifier, traits, None);
            if let Some(identity) = store.identities.iter_mut().find(|i| i.id == id) {
                identity.oidc.push((provider.id.clone(), subject));
            }
            store.send_verification(&id, false);
            id
        }
    };
    let token = store.start_session(&identity_id, "oidc", "aal1");
    if let Some(session) = store.sessions.iter_mut().find(|s| s.token == token) {
        session.provider = Some(provider.id.clone());
    }
    let default = store.default_return();
    let return_to = store
        .flows
        .get(&pending.flow_id)
        .and_then(|f| f.return_to.clone())
        .unwrap_or(default);
    if store.flows.get(&pending.flow_id).is_some_and(|f| f.browser) {
        // A browser is signed in by its cookie, with a new CSRF token.
        let (_, csrf) = super::browser::fresh_csrf(store);
        return super::browser::see_other(&return_to)
            .append_header("set-cookie", csrf)
            .append_header("set-cookie", super::browser::session_cookie(&token));
    }
    let code = store
        .exchanges
        .iter_mut()
        .find(|e| e.flow_id == pending.flow_id)
        .map(|exchange| {
            exchange.session_token = Some(token.clone());
            exchange.return_to_code.clone()
        });
    let to = match (code, url::Url::parse(&return_to)) {
        (Some(code), Ok(mut url)) => {
            url.query_pairs_mut().append_pair("code", &code);
            url.to_string()
        }
        _ => return_to,
    };
    Answer::new(303).insert_header("location", to)
}

/// The provider's email belongs to an account already: Kratos starts a
/// login flow that asks the user to sign in to it (1010016), after which
/// the provider is linked, and sends the browser on to `return_to` with
/// that flow's id instead of a code.
fn link_first(
    store: &mut Store,
    provider: &SocialSignIn,
    pending: &SocialState,
    address: &str,
    subject: String,
) -> Answer {
    let default = store.default_return();
    let return_to = store
        .flows
        .get(&pending.flow_id)
        .and_then(|f| f.return_to.clone());
    let request_url = format!("{}/self-service/login/api", store.base);
    let id = store.new_flow(
        super::store::FlowKind::Login,
        request_url,
        return_to.clone(),
    );
    let login_url = store.config.ui_url("login");
    // Kratos names the provider by its label, or by its type.
    let named = provider.label.clone().unwrap_or_else(|| "generic".into());
    let message = text(
        1010016,
        &format!(
            "You tried to sign in with \"{address}\", but that email is already used by another account. Sign in to your account with one of the options below to add your account \"{address}\" at \"{named}\" as another way to sign in."
        ),
        "info",
        Some(json!({
            "available_credential_types": [],
            "available_providers": [],
            "duplicateIdentifier": address,
            "duplicate_identifier": address,
            "newLoginUrl": login_url,
            "new_login_url": login_url,
            "provider": named,
        })),
    );
    let csrf = store.random.code(88);
    if let Some(flow) = store.flows.get_mut(&id) {
        flow.link = Some((provider.id.clone(), subject));
        flow.form_messages = vec![message];
        flow.active = Some("oidc");
        flow.address = Some(address.to_string());
        // Kratos writes a CSRF token into this flow even for an app.
        flow.csrf_token = csrf;
    }
    let to = match url::Url::parse(&return_to.unwrap_or(default)) {
        Ok(mut url) => {
            url.query_pairs_mut()
                .append_pair("flow", &id)
                .append_pair("no_org_ui", "true");
            url.to_string()
        }
        Err(_) => store.config.ui_url("login"),
    };
    Answer::new(303).insert_header("location", to)
}

/// Links the provider a linking login flow carries to the identity that
/// signed in on it, and adds the provider's method to the session.
pub(super) fn link_after_sign_in(store: &mut Store, flow_id: &str, token: &str) {
    let Some((provider, subject)) = store.flows.get(flow_id).and_then(|f| f.link.clone()) else {
        return;
    };
    let Some(session) = store.sessions.iter_mut().find(|s| s.token == token) else {
        return;
    };
    session
        .methods
        .push(("oidc", "aal1", std::time::SystemTime::now()));
    session.provider = Some(provider.clone());
    let identity_id = session.identity_id.clone();
    if let Some(identity) = store.identities.iter_mut().find(|i| i.id == identity_id) {
        identity.oidc.push((provider, subject));
    }
}

/// `GET /sessions/token-exchange`: the session of a finished social
/// sign-in, for its two codes, as often as it is asked.
pub(super) fn exchange(store: &Store, init_code: &str, return_to_code: &str) -> Option<Value> {
    let token = store
        .exchanges
        .iter()
        .find(|e| e.init_code == init_code && e.return_to_code == return_to_code)?
        .session_token
        .clone()?;
    let session = store.session(&token)?;
    let mut session = store.session_json(session);
    // The exchange reads the session without its devices.
    session["devices"] = json!([]);
    Some(json!({"session_token": token, "session": session}))
}
