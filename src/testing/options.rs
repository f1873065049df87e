//! What a test Kratos is set up with, shared by [`MockKratos`](super::MockKratos),
//! which plays these options, and [`KratosServer`](super::KratosServer),
//! which writes them into a real Kratos's configuration. Each builder gets
//! the same setters from [`kratos_options!`], so an option means the same
//! thing on both servers.

use std::fmt;
use std::time::Duration;

use serde_json::{json, Value};

/// What kind of value an identity trait holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraitKind {
    /// An email address (`format: email`); the first one is the identifier
    /// users sign in with, and must be unique.
    Email,
    /// Free text.
    Text,
}

/// An identity schema beside the default one, for
/// [`identity_schema`](super::MockKratosBuilder::identity_schema): its id
/// and traits, described as the default schema's are (the first email
/// trait is the identifier, and where codes go).
///
/// ```
/// use kratos_client::testing::{IdentitySchema, TraitKind};
///
/// let customer = IdentitySchema::new("customer")
///     .with_trait("email", "E-Mail", TraitKind::Email, true)
///     .with_trait("company", "Company", TraitKind::Text, true);
/// # let _ = customer;
/// ```
#[derive(Debug, Clone)]
pub struct IdentitySchema {
    pub(crate) id: String,
    pub(crate) traits: Vec<Trait>,
}

impl IdentitySchema {
    /// A schema with the id `id` and no traits yet.
    pub fn new(id: &str) -> Self {
        IdentitySchema {
            id: id.to_string(),
            traits: Vec::new(),
        }
    }

    /// Adds a trait, as [`identity_trait`](super::MockKratosBuilder::identity_trait)
    /// does to the default schema.
    #[must_use]
    pub fn with_trait(mut self, name: &str, title: &str, kind: TraitKind, required: bool) -> Self {
        self.traits.push(Trait {
            name: name.to_string(),
            title: title.to_string(),
            kind,
            required,
        });
        self
    }
}

/// The assurance level a session needs for whoami and settings
/// (`session.whoami.required_aal`, `selfservice.flows.settings.required_aal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequiredAal {
    /// One factor is enough, even for identities that have a second.
    Aal1,
    /// The highest the identity can reach: `aal2` once it has a second factor.
    HighestAvailable,
}

impl RequiredAal {
    fn as_config(self) -> &'static str {
        match self {
            RequiredAal::Aal1 => "aal1",
            RequiredAal::HighestAvailable => "highest_available",
        }
    }
}

/// A social sign-in provider for a test Kratos to offer, under its id: a
/// real OpenID Connect provider (usually the test one,
/// [`OidcProvider::social_sign_in`](super::OidcProvider::social_sign_in)),
/// with the claims that fill the identity's traits. Given to
/// `social_sign_in` on `MockKratosBuilder`, `KratosServerBuilder` and
/// `TestKratosBuilder`; a real Kratos gets it as a `generic` provider with
/// a Jsonnet mapper written for the mapping.
#[derive(Clone)]
pub struct SocialSignIn {
    pub(crate) id: String,
    pub(crate) label: Option<String>,
    pub(crate) issuer: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: crate::Secret,
    /// (claim, trait) pairs.
    pub(crate) traits: Vec<(String, String)>,
}

impl fmt::Debug for SocialSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialSignIn")
            .field("id", &self.id)
            .field("label", &self.label)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("traits", &self.traits)
            .finish_non_exhaustive()
    }
}

impl SocialSignIn {
    /// The provider `id` (the `provider` a form submits) at the OpenID
    /// Connect issuer `issuer`, for the client `client_id`. Its `email`
    /// and `name` claims fill the traits of the same names, where the
    /// identity schema has them.
    pub fn new(
        id: impl Into<String>,
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<crate::Secret>,
    ) -> Self {
        SocialSignIn {
            id: id.into(),
            label: None,
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            traits: vec![
                ("email".into(), "email".into()),
                ("name".into(), "name".into()),
            ],
        }
    }

    /// The button's text in Kratos's forms. Default: the provider's id.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Fills the trait `name` from the claim `claim`, over the default
    /// mapping.
    pub fn claim_to_trait(mut self, claim: impl Into<String>, name: impl Into<String>) -> Self {
        let name = name.into();
        self.traits.retain(|(_, t)| *t != name);
        self.traits.push((claim.into(), name));
        self
    }
}

/// A web hook of the app's that both test servers call as Kratos v26.2.0
/// does: where it sits (`before` a flow, `after` a method of registration,
/// login or settings, or the password migration hook), how its answer is
/// read, and how it proves to the app that Kratos is calling. The body is
/// always the whole context (`function(ctx) ctx`), read on the app's side
/// by [`crate::hooks::HookContext`].
///
/// How Kratos treats the answer ([`crate::hooks::HookAnswer`]):
/// - `after` registration or settings with [`parse_response`](Self::parse_response):
///   called before the identity is saved; an interrupt is the flow's 400
///   with the hook's messages, an identity answer changes what is saved.
///   Placed ahead of the registration's `session` hook.
/// - `after` without `parse_response`: called once the identity is saved
///   (registration: after the `session` hook); a failing hook makes the
///   answer an error although the identity and its session are saved.
/// - `after` login with `parse_response`: an interrupt is the flow's 400;
///   an identity answer changes nothing.
/// - `before` a flow: called when a flow starts (settings: also at each
///   submission); any refusal is an error, never a form.
/// - [`ignore_response`](Self::ignore_response): called without waiting;
///   nothing it answers or fails changes the flow.
///
/// Kratos gives each call 30 seconds and three attempts (again after a
/// transport failure, a timeout, 429 or a 5xx other than 501, 1 s and 2 s
/// apart). A 4xx or 501 without `parse_response` is Kratos's 502; a hook
/// that keeps failing with 5xx is an error with code 500, given as the
/// flow's 400 to API flows; a hook that never answers is a 504 that Kratos
/// writes after 93 seconds, past its own 60-second limit for writing an
/// answer, so a client sees its own timeout or a closed connection
/// (MockKratos, which has no such limit, answers the 504).
#[derive(Clone)]
pub struct WebHook {
    pub(crate) url: String,
    pub(crate) point: HookPoint,
    pub(crate) response: HookResponse,
    pub(crate) auth: Option<HookAuth>,
}

/// Where a hook sits in Kratos's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HookPoint {
    /// `selfservice.flows.<kind>.before.hooks`.
    Before(crate::flow::FlowKind),
    /// `selfservice.flows.<kind>.after.<method>.hooks`.
    After(crate::flow::FlowKind, String),
    /// `selfservice.methods.password.config.migrate_hook`.
    PasswordMigration,
}

/// `response` of a hook's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HookResponse {
    /// Neither `parse` nor `ignore`: waited for, its status read.
    Wait,
    /// `response.parse: true`.
    Parse,
    /// `response.ignore: true`.
    Ignore,
}

/// `auth` of a hook's configuration.
#[derive(Clone)]
pub(crate) enum HookAuth {
    /// `api_key`, in a header (`cookie` false) or a cookie.
    ApiKey {
        name: String,
        value: crate::Secret,
        cookie: bool,
    },
    /// `basic_auth`.
    Basic {
        user: String,
        password: crate::Secret,
    },
}

impl HookAuth {
    /// What of it may show in the server's log, to blank there: the key,
    /// or the password and the `Authorization` value that carries it.
    pub(crate) fn log_secrets(&self) -> Vec<String> {
        use base64::Engine;
        match self {
            HookAuth::ApiKey { value, .. } => vec![value.expose().to_string()],
            HookAuth::Basic { user, password } => vec![
                password.expose().to_string(),
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", password.expose())),
            ],
        }
    }
}

impl fmt::Debug for WebHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = self.auth.as_ref().map(|auth| match auth {
            HookAuth::ApiKey { name, cookie, .. } => {
                format!(
                    "api_key {} {name}",
                    if *cookie { "cookie" } else { "header" }
                )
            }
            HookAuth::Basic { user, .. } => format!("basic_auth {user}"),
        });
        f.debug_struct("WebHook")
            .field("url", &self.url)
            .field("point", &self.point)
            .field("response", &self.response)
            .field("auth", &auth)
            .finish()
    }
}

impl WebHook {
    fn at(point: HookPoint, url: impl Into<String>) -> Self {
        WebHook {
            url: url.into(),
            point,
            response: HookResponse::Wait,
            auth: None,
        }
    }

    /// The hook at `url`, called when a flow of `kind` starts
    /// (`selfservice.flows.<kind>.before.hooks`).
    pub fn before(kind: crate::flow::FlowKind, url: impl Into<String>) -> Self {
        WebHook::at(HookPoint::Before(kind), url)
    }

    /// The hook at `url`, called after a registration with a password
    /// (`selfservice.flows.registration.after.password.hooks`; another
    /// method with [`method`](Self::method)).
    pub fn after_registration(url: impl Into<String>) -> Self {
        WebHook::at(
            HookPoint::After(crate::flow::FlowKind::Registration, "password".into()),
            url,
        )
    }

    /// The hook at `url`, called after a sign-in with a password, before
    /// the session is given (`selfservice.flows.login.after.password.hooks`).
    pub fn after_login(url: impl Into<String>) -> Self {
        WebHook::at(
            HookPoint::After(crate::flow::FlowKind::Login, "password".into()),
            url,
        )
    }

    /// The hook at `url`, called after the profile is changed in settings
    /// (`selfservice.flows.settings.after.profile.hooks`; the password
    /// with [`method`](Self::method)`("password")`).
    pub fn after_settings(url: impl Into<String>) -> Self {
        WebHook::at(
            HookPoint::After(crate::flow::FlowKind::Settings, "profile".into()),
            url,
        )
    }

    /// The password migration hook at `url`
    /// (`selfservice.methods.password.config.migrate_hook`): called with
    /// the identifier and the password at the sign-in of an identity
    /// imported with `use_password_migration_hook`, until it answers
    /// `password_match` once. Its answer is always read.
    pub fn password_migration(url: impl Into<String>) -> Self {
        WebHook::at(HookPoint::PasswordMigration, url)
    }

    /// For an `after` hook: the method whose hooks it joins (`password`,
    /// `profile`, `code`, `oidc`, ...).
    pub fn method(mut self, method: &str) -> Self {
        if let HookPoint::After(_, m) = &mut self.point {
            *m = method.to_string();
        }
        self
    }

    /// `response.parse: true`: the answer may interrupt the flow or change
    /// the identity (see the type's documentation for where).
    pub fn parse_response(mut self) -> Self {
        self.response = HookResponse::Parse;
        self
    }

    /// `response.ignore: true`: called without waiting for its answer.
    pub fn ignore_response(mut self) -> Self {
        self.response = HookResponse::Ignore;
        self
    }

    /// Sends the API key `value` in the header `name`
    /// (`auth: {type: api_key, config: {in: header}}`).
    pub fn api_key_header(mut self, name: &str, value: impl Into<crate::Secret>) -> Self {
        self.auth = Some(HookAuth::ApiKey {
            name: name.to_string(),
            value: value.into(),
            cookie: false,
        });
        self
    }

    /// Sends the API key `value` in the cookie `name`
    /// (`auth: {type: api_key, config: {in: cookie}}`).
    pub fn api_key_cookie(mut self, name: &str, value: impl Into<crate::Secret>) -> Self {
        self.auth = Some(HookAuth::ApiKey {
            name: name.to_string(),
            value: value.into(),
            cookie: true,
        });
        self
    }

    /// Sends `user` and `password` with HTTP basic auth
    /// (`auth: {type: basic_auth}`).
    pub fn basic_auth(mut self, user: &str, password: impl Into<crate::Secret>) -> Self {
        self.auth = Some(HookAuth::Basic {
            user: user.to_string(),
            password: password.into(),
        });
        self
    }
}

/// One trait of the identity schema.
#[derive(Debug, Clone)]
pub(crate) struct Trait {
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) kind: TraitKind,
    pub(crate) required: bool,
}

/// The options both test servers share, with Kratos's defaults where Kratos
/// has the option.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) traits: Vec<Trait>,
    /// Whether `traits` was set by the user (the first trait they add
    /// replaces the default schema).
    custom_traits: bool,
    pub(crate) flow_lifetime: Duration,
    pub(crate) registration_enabled: bool,
    pub(crate) oidc_providers: Vec<String>,
    /// Providers that sign in to the end, beside `oidc_providers`.
    pub(crate) social_sign_ins: Vec<SocialSignIn>,
    /// The app's web hooks.
    pub(crate) web_hooks: Vec<WebHook>,
    pub(crate) identifier_first: bool,
    pub(crate) second_factor: bool,
    pub(crate) privileged_session_max_age: Duration,
    pub(crate) allowed_return_urls: Vec<String>,
    /// `feature_flags.cacheable_sessions` with its maximum age.
    pub(crate) cacheable_sessions: Option<Duration>,
    /// Where the app's pages for the browser flows are: `{base}/login`,
    /// `/registration`, `/settings`, `/recovery`, `/verification`, `/error`.
    pub(crate) ui_base: Option<String>,
    /// `selfservice.default_browser_return_url`.
    pub(crate) default_browser_return_url: Option<String>,
    /// Identity schemas beside the default one, by id.
    pub(crate) schemas: Vec<IdentitySchema>,
    /// `selfservice.methods.code.passwordless_enabled`: signing in by a
    /// code sent to the address, without a password.
    pub(crate) passwordless_code: bool,
    /// The required assurance level, when the test set it apart from
    /// `second_factor` (which requires the highest available).
    pub(crate) required_aal: Option<RequiredAal>,
    /// `selfservice.methods.password.config.min_password_length`.
    pub(crate) min_password_length: usize,
    /// `selfservice.flows.{recovery,verification}.notify_unknown_recipients`.
    pub(crate) notify_unknown_recipients: bool,
    /// `session.lifespan`, and `session.earliest_possible_extend` (`None`:
    /// the lifespan, so that a session can always be extended).
    pub(crate) session_lifespan: Duration,
    pub(crate) earliest_possible_extend: Option<Duration>,
    /// MockKratos only: the Ory Network's API key on the admin API.
    pub(crate) api_key: Option<String>,
    /// The options a test set, by setter name: over a user's own Kratos
    /// configuration only these are written.
    set: Vec<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            traits: vec![
                Trait {
                    name: "email".into(),
                    title: "E-Mail".into(),
                    kind: TraitKind::Email,
                    required: true,
                },
                Trait {
                    name: "name".into(),
                    title: "Name".into(),
                    kind: TraitKind::Text,
                    required: false,
                },
            ],
            custom_traits: false,
            flow_lifetime: Duration::from_secs(3600),
            registration_enabled: true,
            oidc_providers: vec!["github".into()],
            social_sign_ins: Vec::new(),
            web_hooks: Vec::new(),
            identifier_first: false,
            second_factor: false,
            // Kratos's default (`SelfServiceFlowSettingsPrivilegedSessionMaxAge`).
            privileged_session_max_age: Duration::from_secs(3600),
            allowed_return_urls: Vec::new(),
            cacheable_sessions: None,
            ui_base: None,
            default_browser_return_url: None,
            schemas: Vec::new(),
            passwordless_code: false,
            required_aal: None,
            min_password_length: 8,
            notify_unknown_recipients: false,
            // Kratos's default session lifespan.
            session_lifespan: Duration::from_secs(24 * 3600),
            earliest_possible_extend: None,
            api_key: None,
            set: Vec::new(),
        }
    }
}

/// The pages of an app's UI Kratos sends browsers to.
pub(crate) const UI_PAGES: [&str; 6] = [
    "login",
    "registration",
    "settings",
    "recovery",
    "verification",
    "error",
];

impl Options {
    /// The address of the app's page `page` (one of [`UI_PAGES`]): under
    /// the configured base, or Kratos's fallback page when none is set.
    pub(crate) fn ui_url(&self, page: &str) -> String {
        match &self.ui_base {
            Some(base) => format!("{}/{page}", base.trim_end_matches('/')),
            None => format!("https://www.ory.sh/kratos/docs/fallback/{page}"),
        }
    }

    /// Where a browser goes after a flow without `return_to`: the
    /// configured address, or `public`, the server's own.
    pub(crate) fn default_return(&self, public: &str) -> String {
        self.default_browser_return_url
            .clone()
            .unwrap_or_else(|| public.to_string())
    }
}

impl Options {
    /// Every social sign-in provider the forms offer, in Kratos's order
    /// (by id): its id and the label its buttons show.
    pub(crate) fn providers(&self) -> Vec<(&str, &str)> {
        let mut providers: Vec<(&str, &str)> = self
            .oidc_providers
            .iter()
            .map(|id| (id.as_str(), id.as_str()))
            .chain(
                self.social_sign_ins
                    .iter()
                    .map(|p| (p.id.as_str(), p.label.as_deref().unwrap_or(p.id.as_str()))),
            )
            .collect();
        // Kratos's forms list them by id.
        providers.sort_by_key(|(id, _)| *id);
        providers
    }

    /// Whether `id` is a social sign-in provider the forms offer.
    pub(crate) fn has_provider(&self, id: &str) -> bool {
        self.providers().iter().any(|(p, _)| *p == id)
    }

    /// The traits of the schema `id`: `default`, or one given with
    /// `identity_schema`.
    pub(crate) fn schema(&self, id: &str) -> Option<&[Trait]> {
        match id {
            "default" => Some(&self.traits),
            _ => self
                .schemas
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.traits.as_slice()),
        }
    }

    /// Every schema's id and traits, the default first.
    pub(crate) fn all_schemas(&self) -> Vec<(&str, &[Trait])> {
        std::iter::once(("default", self.traits.as_slice()))
            .chain(
                self.schemas
                    .iter()
                    .map(|s| (s.id.as_str(), s.traits.as_slice())),
            )
            .collect()
    }
}

/// The trait users sign in with among `traits`: the first email trait.
pub(crate) fn identifier_trait(traits: &[Trait]) -> Option<&Trait> {
    traits.iter().find(|t| t.kind == TraitKind::Email)
}

/// The JSON Schema of an identity with `traits`: the first email trait is
/// the identifier for passwords and codes and the address for verification
/// and recovery, as MockKratos plays it.
pub(crate) fn schema_json(traits: &[Trait]) -> String {
    let identifier = identifier_trait(traits).map(|t| t.name.as_str());
    // Kratos orders form fields by the schema's properties as written, so
    // they are written in the order of the traits (serde_json's map would
    // sort them).
    let properties: Vec<String> = traits
        .iter()
        .map(|t| {
            let mut property = json!({"type": "string", "title": t.title});
            if t.kind == TraitKind::Email {
                property["format"] = json!("email");
            }
            if identifier == Some(t.name.as_str()) {
                property["ory.sh/kratos"] = json!({
                    "credentials": {
                        "password": {"identifier": true},
                        "code": {"identifier": true, "via": "email"},
                    },
                    "verification": {"via": "email"},
                    "recovery": {"via": "email"},
                });
            }
            format!("{}: {property}", Value::from(t.name.as_str()))
        })
        .collect();
    let required: Vec<&str> = traits
        .iter()
        .filter(|t| t.required)
        .map(|t| t.name.as_str())
        .collect();
    format!(
        r#"{{
  "$id": "https://kratos-client.test/identity.schema.json",
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Person",
  "type": "object",
  "properties": {{
    "traits": {{
      "type": "object",
      "properties": {{
        {}
      }},
      "required": {},
      "additionalProperties": false
    }}
  }}
}}
"#,
        properties.join(",\n        "),
        json!(required)
    )
}

impl Options {
    /// Notes that the test set the option of the setter `name`.
    pub(crate) fn mark(&mut self, name: &'static str) {
        if !self.set.contains(&name) {
            self.set.push(name);
        }
    }

    /// Whether the test set the option of the setter `name`.
    pub(crate) fn is_set(&self, name: &str) -> bool {
        self.set.contains(&name)
    }

    /// The assurance level whoami and settings require: as set, else the
    /// highest available when a second factor is on, else `aal1`.
    pub(crate) fn required_aal(&self) -> RequiredAal {
        self.required_aal.unwrap_or(match self.second_factor {
            true => RequiredAal::HighestAvailable,
            false => RequiredAal::Aal1,
        })
    }

    /// [`required_aal`](Self::required_aal) as Kratos's configuration names it.
    pub(crate) fn required_aal_config(&self) -> &'static str {
        self.required_aal().as_config()
    }

    /// How long before a session expires Kratos extends it: never sooner
    /// than `earliest_possible_extend` before its end.
    pub(crate) fn extend_window(&self) -> Duration {
        self.earliest_possible_extend
            .unwrap_or(self.session_lifespan)
    }

    pub(crate) fn add_trait(&mut self, name: &str, title: &str, kind: TraitKind, required: bool) {
        if !self.custom_traits {
            self.traits.clear();
            self.custom_traits = true;
        }
        self.traits.push(Trait {
            name: name.to_string(),
            title: title.to_string(),
            kind,
            required,
        });
    }

    /// The trait users sign in with: the default schema's first email trait.
    pub(crate) fn identifier_trait(&self) -> Option<&Trait> {
        identifier_trait(&self.traits)
    }
}

/// The setters every test-server builder shares, written once. Each builder
/// has a field `options: Options`.
macro_rules! kratos_options {
    () => {
        /// Adds a trait to the identity schema. The first call replaces the
        /// default schema (a required email `email` and an optional text
        /// `name`). The first email trait is the identifier users sign in
        /// with and where recovery and verification codes go.
        pub fn identity_trait(
            mut self,
            name: &str,
            title: &str,
            kind: $crate::testing::TraitKind,
            required: bool,
        ) -> Self {
            self.options.mark("identity_trait");
            self.options.add_trait(name, title, kind, required);
            self
        }

        /// How long a new flow of any kind stays valid
        /// (`selfservice.flows.*.lifespan`). Default: one hour, as Kratos.
        pub fn flow_lifetime(mut self, lifetime: std::time::Duration) -> Self {
            self.options.mark("flow_lifetime");
            self.options.flow_lifetime = lifetime;
            self
        }

        /// Whether registration is enabled
        /// (`selfservice.flows.registration.enabled`). When it is not,
        /// creating a flow fails with `self_service_flow_disabled`.
        /// Default: enabled.
        pub fn registration_enabled(mut self, enabled: bool) -> Self {
            self.options.mark("registration_enabled");
            self.options.registration_enabled = enabled;
            self
        }

        /// The social sign-in providers the forms offer
        /// (`selfservice.methods.oidc.config.providers`). Default: `github`.
        /// Submitting with one answers 422 `browser_location_change_required`:
        /// social sign-in happens in a browser.
        pub fn oidc_providers<I>(mut self, providers: I) -> Self
        where
            I: IntoIterator,
            I::Item: Into<String>,
        {
            self.options.mark("oidc_providers");
            self.options.oidc_providers = providers.into_iter().map(Into::into).collect();
            self
        }

        /// Offers social sign-in with `provider`, a real OpenID Connect
        /// provider that signs in to the end (usually the test one:
        /// [`OidcProvider::social_sign_in`](crate::testing::OidcProvider::social_sign_in)),
        /// beside the providers of `oidc_providers`.
        pub fn social_sign_in(mut self, provider: crate::testing::SocialSignIn) -> Self {
            self.options.mark("social_sign_in");
            self.options.social_sign_ins.retain(|p| p.id != provider.id);
            self.options.social_sign_ins.push(provider);
            self
        }

        /// Calls the app's web hook `hook` ([`WebHook`](crate::testing::WebHook)),
        /// after the hooks added before it at the same place. Over a user's
        /// own Kratos configuration, the hooks of each place a test names
        /// replace the configuration's.
        pub fn web_hook(mut self, hook: crate::testing::WebHook) -> Self {
            self.options.mark("web_hook");
            self.options.web_hooks.push(hook);
            self
        }

        /// Whether login asks for the identifier first and then for the
        /// password (`selfservice.flows.login.style: identifier_first`): the
        /// identifier is answered with 400 and the password form, without an
        /// error. Default: off.
        pub fn identifier_first(mut self, enabled: bool) -> Self {
            self.options.mark("identifier_first");
            self.options.identifier_first = enabled;
            self
        }

        /// Whether the server requires a second factor: a code sent to the
        /// identity's email (`selfservice.methods.code.mfa_enabled` with
        /// `session.whoami.required_aal` and
        /// `selfservice.flows.settings.required_aal` set to
        /// `highest_available`). A password login then answers 200 with a
        /// session token but an `aal1` session without its identity;
        /// `whoami` and settings answer 403 `session_aal2_required` until an
        /// `aal2` login with that token. Default: off.
        pub fn second_factor(mut self, required: bool) -> Self {
            self.options.mark("second_factor");
            self.options.second_factor = required;
            self
        }

        /// How long after signing in a session may change its password or
        /// sign-in address
        /// (`selfservice.flows.settings.privileged_session_max_age`); later
        /// submissions get 403 `session_refresh_required`. Default: one
        /// hour, as Kratos.
        pub fn privileged_session_max_age(mut self, age: std::time::Duration) -> Self {
            self.options.mark("privileged_session_max_age");
            self.options.privileged_session_max_age = age;
            self
        }

        /// The addresses a flow's `return_to` may name
        /// (`selfservice.allowed_return_urls`), such as `myapp://done` or
        /// `https://*.example.com/app`: the scheme must be the same, the
        /// host the same (or under a `*.` wildcard), and the path start
        /// with the allowed one. Others are refused with 400
        /// `self_service_flow_return_to_forbidden` when the flow starts.
        /// The server's own `/self-service` addresses are always allowed.
        /// Default: none.
        pub fn allowed_return_urls<I>(mut self, urls: I) -> Self
        where
            I: IntoIterator,
            I::Item: Into<String>,
        {
            self.options.mark("allowed_return_urls");
            self.options.allowed_return_urls = urls.into_iter().map(Into::into).collect();
            self
        }

        /// Where the app's own pages for the browser flows are (Kratos's
        /// `selfservice.flows.<flow>.ui_url`): `{base}/login`,
        /// `{base}/registration`, `{base}/settings`, `{base}/recovery`,
        /// `{base}/verification`, and `{base}/error` for the error page.
        /// Browsers are sent there with `?flow=<id>` (`?id=<id>` for an
        /// error). Default: Kratos's fallback pages on ory.sh.
        pub fn ui_urls(mut self, base: impl Into<String>) -> Self {
            self.options.mark("ui_urls");
            self.options.ui_base = Some(base.into());
            self
        }

        /// Where a browser goes after a flow that names no `return_to`,
        /// and after signing out (`selfservice.default_browser_return_url`).
        /// Default: the server's own public address.
        pub fn default_browser_return_url(mut self, url: impl Into<String>) -> Self {
            self.options.mark("default_browser_return_url");
            self.options.default_browser_return_url = Some(url.into());
            self
        }

        /// Adds an identity schema beside the default one (`schema_id`
        /// `default`, which `identity_trait` makes): registration takes it
        /// with `identity_schema(id)` on the flow, the admin API with
        /// `schema_id`, and `/schemas` lists it (Kratos's
        /// `identity.schemas`, self-service selectable).
        pub fn identity_schema(mut self, schema: $crate::testing::IdentitySchema) -> Self {
            self.options.mark("identity_schema");
            self.options.schemas.push(schema);
            self
        }

        /// Whether users can sign in by a code sent to their address instead
        /// of a password (`selfservice.methods.code.passwordless_enabled`):
        /// the login form offers the `code` method; the identifier is
        /// answered with 400 and the form for the code (`sent_email`, no
        /// error), the right code with the session. Default: off.
        pub fn passwordless_code(mut self, enabled: bool) -> Self {
            self.options.mark("passwordless_code");
            self.options.passwordless_code = enabled;
            self
        }

        /// The assurance level whoami and settings require
        /// (`session.whoami.required_aal` and
        /// `selfservice.flows.settings.required_aal`). With
        /// [`RequiredAal::Aal1`](crate::testing::RequiredAal::Aal1) beside `second_factor(true)` the second
        /// factor is offered but not required: a password alone passes
        /// whoami and settings. Default: the highest available with
        /// `second_factor(true)`, else `aal1`.
        pub fn required_aal(mut self, level: $crate::testing::RequiredAal) -> Self {
            self.options.mark("required_aal");
            self.options.required_aal = Some(level);
            self
        }

        /// The shortest password the policy accepts, in bytes
        /// (`selfservice.methods.password.config.min_password_length`);
        /// shorter ones get 4000032. Default: 8, as Kratos.
        pub fn min_password_length(mut self, length: usize) -> Self {
            self.options.mark("min_password_length");
            self.options.min_password_length = length;
            self
        }

        /// Whether a recovery or verification for an address no identity
        /// has still sends an email, saying so (templates
        /// `recovery_code_invalid`, `verification_code_invalid`;
        /// `selfservice.flows.*.notify_unknown_recipients`). Default: off,
        /// as Kratos: nothing is sent.
        pub fn notify_unknown_recipients(mut self, notify: bool) -> Self {
            self.options.mark("notify_unknown_recipients");
            self.options.notify_unknown_recipients = notify;
            self
        }

        /// How long a new session lasts (`session.lifespan`). Default: 24
        /// hours, as Kratos.
        pub fn session_lifespan(mut self, lifespan: std::time::Duration) -> Self {
            self.options.mark("session_lifespan");
            self.options.session_lifespan = lifespan;
            self
        }

        /// How close to its end a session must be before the admin API's
        /// extend (`PATCH /admin/sessions/{id}/extend`) renews it for a
        /// whole lifespan (`session.earliest_possible_extend`); sooner, the
        /// session is left as it is. Default: the lifespan, so any time.
        pub fn earliest_possible_extend(mut self, before_end: std::time::Duration) -> Self {
            self.options.mark("earliest_possible_extend");
            self.options.earliest_possible_extend = Some(before_end);
            self
        }

        /// Has whoami say how long its answer may be cached, in the
        /// `Ory-Session-Cache-For` header (`feature_flags.cacheable_sessions`
        /// with `cacheable_sessions_max_age`): the seconds until the session
        /// expires, at most `max_age`; 60 on a 401 to a request that
        /// carried no credentials. Default: off, as in Kratos.
        pub fn cacheable_sessions(mut self, max_age: std::time::Duration) -> Self {
            self.options.mark("cacheable_sessions");
            self.options.cacheable_sessions = Some(max_age);
            self
        }
    };
}

pub(crate) use kratos_options;
