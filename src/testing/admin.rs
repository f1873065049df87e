//! The admin API over the same store as the self-service flows: identities
//! (created with a cleartext password or a bcrypt hash, they sign in
//! through the frontend), their sessions, recovery codes, the courier's
//! messages (the outbox), health and version. Identities can be replaced,
//! patched (JSON Patch) and created in batches; deleting a credential is
//! refused as Kratos refuses it for an identity whose only first factor is
//! its password. With an API key configured,
//! the admin endpoints refuse requests without it (401), as the Ory Network
//! does; health and version need none.

use std::time::SystemTime;

use super::http::Answer;
use serde_json::{json, Map, Value};

use super::call::Call;
use super::http::{
    bad_request, bad_request_message, error_body, json_response, not_found, not_found_because,
    paged, paged_by_offset, text_response,
};
use super::schema::{identifier, schema_refusal};
use super::store::{rfc3339, FlowKind, Password, Store};

/// Answers the admin, health and version endpoints; `None` for any other.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<Answer> {
    let path = call.path().to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (call.method(), segments.as_slice()) {
        ("GET", ["health", "alive" | "ready"]) => {
            return Some(json_response(200, json!({"status": "ok"})))
        }
        ("GET", ["version"]) => return Some(json_response(200, json!({"version": "v26.2.0"}))),
        // The script browser pages load for WebAuthn: a stand-in of the
        // mock's own, as JavaScript text.
        ("GET", [".well-known", "ory", "webauthn.js"]) => {
            return Some(text_response(
                200,
                "text/javascript; charset=UTF-8",
                "// MockKratos: a stand-in for Kratos's WebAuthn script.\n",
            ))
        }
        // FedCM is off on both test servers: Kratos has no route for its
        // parameters (its router's plain 404), and refuses a token without
        // the CSRF cookie.
        ("GET", ["self-service", "fed-cm", "parameters"]) => {
            return Some(text_response(
                404,
                "text/plain; charset=utf-8",
                "404 page not found\n",
            ))
        }
        ("POST", ["self-service", "fed-cm", "token"]) => {
            return Some(super::browser::csrf_violation(
                "The anti-CSRF cookie was not found in the request.",
            ))
        }
        // Public, on both ports (Kratos's admin port redirects here).
        ("GET", ["schemas"]) => {
            let schemas: Vec<Value> = store
                .config
                .all_schemas()
                .into_iter()
                .map(|(id, traits)| json!({"id": id, "schema": schema_value(traits)}))
                .collect();
            return Some(json_response(200, json!(schemas)));
        }
        ("GET", ["schemas", id]) => {
            return Some(match store.config.schema(id) {
                Some(traits) => json_response(200, schema_value(traits)),
                None => not_found_because(&format!("Identity schema `{id}` could not be found.")),
            })
        }
        (_, ["admin", ..]) => {}
        _ => return None,
    }
    if let Some(refused) = unauthorized(store, call) {
        return Some(refused);
    }
    Some(match (call.method(), &segments[1..]) {
        ("GET", ["identities"]) => list_identities(store, call),
        ("POST", ["identities"]) => create_identity(store, call),
        ("PATCH", ["identities"]) => batch_create(store, call),
        ("GET", ["identities", id]) => {
            let include = call.query_all("include_credential");
            match store.identity(id) {
                Some(identity) => {
                    let mut body = store.admin_identity_json(identity);
                    if include.iter().any(|c| c == "password") {
                        include_password(&mut body, identity);
                    }
                    json_response(200, body)
                }
                None => no_identity(),
            }
        }
        ("GET", ["identities", "by", "external", external]) => {
            match store
                .identities
                .iter()
                .find(|i| i.external_id.as_deref() == Some(*external))
            {
                Some(identity) => json_response(200, store.admin_identity_json(identity)),
                None => no_identity(),
            }
        }
        ("PUT", ["identities", id]) => update_identity(store, id, call),
        ("PATCH", ["identities", id]) => patch_identity(store, id, call),
        ("DELETE", ["identities", id, "credentials", kind]) => {
            let Some(identity) = store.identity(id) else {
                return Some(no_identity());
            };
            // The mock's identities have at most a password, their only
            // first factor; Kratos keeps the last one.
            if *kind != "password" || identity.password.is_none() {
                return Some(not_found_because(&format!(
                    "You tried to remove a {kind} but this user have no {kind} set up."
                )));
            }
            bad_request("You cannot remove the last first factor credential.")
        }
        ("DELETE", ["identities", id]) => {
            let before = store.identities.len();
            store.identities.retain(|i| i.id != *id);
            if store.identities.len() == before {
                return Some(no_identity());
            }
            // Its sessions end with it.
            store.end_sessions(|s| s.identity_id == *id);
            Answer::new(204)
        }
        ("GET", ["identities", id, "sessions"]) => {
            // An identity Kratos does not know simply has no sessions.
            // Newest first, inactive ones too unless `active` says otherwise,
            // paged by offset as Kratos v26.2.0 pages them.
            let active = call.query("active").map(|a| a == "true");
            let mut sessions: Vec<_> = store
                .sessions
                .iter()
                .filter(|s| s.identity_id == *id && active.is_none_or(|a| s.active == a))
                .collect();
            sessions.reverse();
            paged_by_offset(call, sessions, |s| store.session_json(s))
        }
        ("DELETE", ["identities", id, "sessions"]) => {
            if store.end_sessions(|s| s.identity_id == *id) == 0 {
                return Some(not_found());
            }
            Answer::new(204)
        }
        ("GET", ["sessions"]) => {
            let expand = match expand(call) {
                Ok(expand) => expand,
                Err(refused) => return Some(*refused),
            };
            let active = call.query("active").map(|a| a == "true");
            let sessions: Vec<_> = store
                .sessions
                .iter()
                .filter(|s| active.is_none_or(|a| s.active == a))
                .collect();
            paged(call, sessions, |s| &s.id, |s| expanded(store, s, &expand))
        }
        ("GET", ["sessions", id]) => {
            let expand = match expand(call) {
                Ok(expand) => expand,
                Err(refused) => return Some(*refused),
            };
            match store.sessions.iter().find(|s| s.id == *id) {
                Some(session) => json_response(200, expanded(store, session, &expand)),
                None => not_found(),
            }
        }
        ("DELETE", ["sessions", id]) => {
            // Kratos revokes it: it stays, inactive.
            if store.revoke_sessions(|s| s.id == *id) == 0 {
                return Some(not_found());
            }
            Answer::new(204)
        }
        ("PATCH", ["sessions", id, "extend"]) => {
            let (lifespan, window) = (store.config.session_lifespan, store.config.extend_window());
            let Some(session) = store.sessions.iter_mut().find(|s| s.id == *id) else {
                return Some(not_found());
            };
            // Kratos renews a session for a whole lifespan once less than
            // `earliest_possible_extend` of it is left, else leaves it.
            let now = SystemTime::now();
            if session.expires_at < now + window {
                session.expires_at = now + lifespan;
            }
            let id = session.id.clone();
            match store.sessions.iter().find(|s| s.id == id) {
                Some(session) => json_response(200, store.session_json(session)),
                None => not_found(),
            }
        }
        ("POST", ["recovery", "code"]) => recovery_code(store, call),
        ("GET", ["courier", "messages"]) => {
            let messages: Vec<_> = store.outbox.iter().collect();
            let recipient = call.query("recipient");
            let messages = messages
                .into_iter()
                .filter(|m| recipient.as_ref().is_none_or(|r| &m.recipient == r))
                .collect();
            paged(call, messages, |m| &m.id, |m| message_json(m))
        }
        ("GET", ["courier", "messages", id]) => match store.outbox.iter().find(|m| m.id == *id) {
            Some(message) => json_response(200, message_json(message)),
            None => not_found(),
        },
        _ => not_found_because("This mock does not serve this path."),
    })
}

/// With an API key configured, the answer to a request without it.
fn unauthorized(store: &Store, call: &Call) -> Option<Answer> {
    let key = store.config.api_key.as_deref()?;
    let sent = call.header("authorization");
    if sent.and_then(|s| s.strip_prefix("Bearer ")) == Some(key) {
        return None;
    }
    Some(json_response(
        401,
        error_body(
            401,
            "Unauthorized",
            None,
            "The request could not be authorized",
            "The API key is missing or not valid.",
        ),
    ))
}

fn no_identity() -> Answer {
    not_found()
}

/// Kratos's 409 for an identifier or external id taken already, as it
/// answers creating one identity.
fn conflict() -> Answer {
    json_response(409, conflict_body())
}

fn conflict_body() -> Value {
    error_body(
        409,
        "Conflict",
        None,
        "The resource could not be created due to a conflict",
        "This identity conflicts with another identity that already exists.",
    )
}

/// Kratos's 409 for the same when it stores a change or a batch: its
/// database layer's words.
fn taken_on_update() -> Answer {
    json_response(
        409,
        json!({"error": {"code": 409, "status": "Conflict", "message": "Unable to insert or update resource because a resource with that value exists already"}}),
    )
}

/// `include_credential=password`: the password credential's configuration
/// with its hash, as Kratos shows it then (a cleartext password is hashed
/// here, as Kratos hashed it when it was set).
fn include_password(body: &mut Value, identity: &super::store::Identity) {
    let hash = match &identity.password {
        Some(Password::Hashed(hash)) => hash.clone(),
        Some(Password::Clear(clear)) => bcrypt::hash(clear, 4).unwrap_or_default(),
        Some(Password::Migrate) => {
            if let Some(password) = body.pointer_mut("/credentials/password") {
                password["config"] = json!({ "use_password_migration_hook": true });
            }
            return;
        }
        None => return,
    };
    if let Some(password) = body.pointer_mut("/credentials/password") {
        password["config"] = json!({ "hashed_password": hash });
    }
}

/// The `expand` values of an admin read of sessions: `identity`,
/// `devices`; Kratos refuses any other with 400.
fn expand(call: &Call) -> Result<Vec<String>, Box<Answer>> {
    let expand = call.query_all("expand");
    match expand
        .iter()
        .find(|e| !matches!(e.as_str(), "identity" | "devices"))
    {
        Some(other) => Err(Box::new(bad_request(&format!(
            "Could not parse expand option: {other}"
        )))),
        None => Ok(expand),
    }
}

/// A session as the admin API reads it: its identity and devices only
/// when `expand` names them (Kratos leaves the identity out and sends no
/// devices otherwise).
fn expanded(store: &Store, session: &super::store::Session, expand: &[String]) -> Value {
    let mut body = store.session_json(session);
    if let Some(body) = body.as_object_mut() {
        if !expand.iter().any(|e| e == "identity") {
            body.remove("identity");
        }
        if !expand.iter().any(|e| e == "devices") {
            body.insert("devices".into(), json!([]));
        }
    }
    body
}

fn list_identities(store: &Store, call: &Call) -> Answer {
    // Kratos finds an identifier as it stores them: trimmed, lower-cased.
    let wanted = call
        .query("credentials_identifier")
        .map(|i| i.trim().to_lowercase());
    let identities: Vec<_> = store
        .identities
        .iter()
        .filter(|i| wanted.is_none() || i.identifier == wanted)
        .collect();
    // `include_credential=password` shows each one's hash, as a read of
    // one identity does.
    let with_password = call
        .query_all("include_credential")
        .iter()
        .any(|c| c == "password");
    paged(
        call,
        identities,
        |i| &i.id,
        |i| {
            let mut body = store.admin_identity_json(i);
            if with_password {
                include_password(&mut body, i);
            }
            body
        },
    )
}

/// What both creating and replacing an identity read from the body, checked
/// against the schema: traits, identifier, state, metadata.
struct Given {
    traits: Map<String, Value>,
    schema_id: String,
    identifier: Option<String>,
    state: String,
    external_id: Option<String>,
    metadata_public: Value,
    metadata_admin: Value,
}

fn read(store: &Store, body: &Value) -> Result<Given, Box<Answer>> {
    let Some(traits) = body.get("traits").and_then(Value::as_object).cloned() else {
        return Err(Box::new(bad_request(
            "The request body needs `traits`, an object.",
        )));
    };
    // Kratos gives an identity without a schema (or with an empty one)
    // its default schema.
    let schema_id = body
        .get("schema_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .unwrap_or("default");
    if let Some(refused) = schema_refusal(store, schema_id, &traits) {
        return Err(Box::new(bad_request(&refused)));
    }
    let state = match body.get("state").and_then(Value::as_str) {
        None | Some("active") => "active",
        Some("inactive") => "inactive",
        Some(_) => return Err(Box::new(bad_request_message("identity state is not valid"))),
    };
    Ok(Given {
        identifier: identifier(store, schema_id, &traits),
        schema_id: schema_id.to_string(),
        traits,
        state: state.to_string(),
        external_id: body
            .get("external_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        metadata_public: body.get("metadata_public").cloned().unwrap_or(Value::Null),
        metadata_admin: body.get("metadata_admin").cloned().unwrap_or(Value::Null),
    })
}

/// Whether another identity than `except` has `given`'s identifier or
/// external id.
fn taken(store: &Store, given: &Given, except: Option<&str>) -> bool {
    store.identities.iter().any(|i| {
        Some(i.id.as_str()) != except
            && ((given.identifier.is_some() && i.identifier == given.identifier)
                || (given.external_id.is_some() && i.external_id == given.external_id))
    })
}

/// An identity to create, read and checked from a `createIdentityBody`.
struct New {
    given: Given,
    password: Option<Password>,
    verified: bool,
}

fn prepare(store: &Store, body: &Value) -> Result<New, Box<Answer>> {
    let given = read(store, body)?;
    let config = body.pointer("/credentials/password/config");
    let text = |name: &str| config.and_then(|c| c.get(name)).and_then(Value::as_str);
    let password = match (text("password"), text("hashed_password")) {
        (Some(clear), _) if !clear.is_empty() => Some(Password::Clear(clear.to_string())),
        (_, Some(hash)) if known_hash_format(hash) => Some(Password::Hashed(hash.to_string())),
        // Checked by the app's password migration hook at the first
        // sign-in.
        _ if config
            .and_then(|c| c.get("use_password_migration_hook"))
            .and_then(Value::as_bool)
            == Some(true) =>
        {
            Some(Password::Migrate)
        }
        // A password credential without a password: Kratos reads the empty
        // hash as an import of an unknown format, before anything else.
        _ if config.is_some() => {
            return Err(Box::new(bad_request(
                "The imported password does not match any known hash format. For more information see https://www.ory.sh/dr/2",
            )))
        }
        _ => None,
    };
    let verified = body
        .pointer("/verifiable_addresses/0/verified")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(New {
        given,
        password,
        verified,
    })
}

/// Stores `new` and returns its id; `None` when its identifier or external
/// id is taken.
fn insert(store: &mut Store, new: New) -> Option<String> {
    if taken(store, &new.given, None) {
        return None;
    }
    let New {
        given,
        password,
        verified,
    } = new;
    let id = store.add_identity(given.identifier, given.traits, password);
    if let Some(identity) = store.identities.iter_mut().find(|i| i.id == id) {
        identity.state = given.state;
        identity.schema_id = given.schema_id;
        identity.external_id = given.external_id;
        identity.metadata_public = given.metadata_public;
        identity.metadata_admin = given.metadata_admin;
        if verified {
            identity.address_status = "completed";
        }
    }
    Some(id)
}

fn create_identity(store: &mut Store, call: &Call) -> Answer {
    let new = match prepare(store, &call.form().0) {
        Ok(new) => new,
        Err(refused) => return *refused,
    };
    match insert(store, new) {
        Some(id) => identity_answer(store, &id, 201),
        None => conflict(),
    }
}

/// An identity schema the mock plays, as a real Kratos serves it.
fn schema_value(traits: &[super::options::Trait]) -> Value {
    serde_json::from_str(&super::options::schema_json(traits)).unwrap_or(Value::Null)
}

/// Kratos's limits on one batch: identities, and of them ones with a
/// cleartext password (hashing is slow).
const BATCH_LIMIT: usize = 1000;
const BATCH_CLEARTEXT_LIMIT: usize = 200;

/// Whether Kratos knows the format of an imported hash
/// (`hash.IsValidHashFormat`): by its prefix.
fn known_hash_format(hash: &str) -> bool {
    let after = |prefix: &str| hash.strip_prefix(prefix);
    let bcrypt = after("$2").is_some_and(|rest| {
        let rest = rest.strip_prefix(['a', 'b', 'z', 'y']).unwrap_or(rest);
        rest.starts_with('$')
    });
    let pbkdf2 = after("$pbkdf2-sha").is_some_and(|rest| {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        (1..=3).contains(&digits) && rest[digits..].starts_with('$')
    });
    let hmac = after("$hmac-").is_some_and(|rest| {
        ["md4", "md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
            .iter()
            .any(|h| rest.strip_prefix(h).is_some_and(|r| r.starts_with('$')))
    });
    let prefixes = [
        "$md5-crypt$",
        "$sha256-crypt$",
        "$sha512-crypt$",
        "$argon2id$",
        "$argon2i$",
        "$scrypt$",
        "{SSHA}",
        "{SSHA256}",
        "{SSHA512}",
        "$sha1$",
        "$sha256$",
        "$sha512$",
        "$firescrypt$",
        "$md5$",
    ];
    bcrypt || pbkdf2 || hmac || prefixes.iter().any(|p| hash.starts_with(p))
}

/// `PATCH /admin/identities`, as Kratos v26.2.0 answers it: at most 1,000
/// patches; each `create` read first, where an invalid state or an
/// unknown hash format refuses the whole batch; then at most 200 with a
/// cleartext password; then each identity checked against its schema and
/// stored, an invalid one or one whose identifier or external id is
/// taken (by a stored identity or an earlier one of the batch) getting
/// `action: error` with its 400 or 409 in its entry; a patch without
/// `create` a `null` entry. 200 once read, except when a single valid
/// identity conflicts: 409 for the whole call, as Kratos inserts a lone
/// identity without its per-item path.
fn batch_create(store: &mut Store, call: &Call) -> Answer {
    let body = call.form().0;
    // No `identities` is nothing to do, as an empty list.
    let none = Vec::new();
    let patches = match body.get("identities") {
        None | Some(Value::Null) => &none,
        Some(Value::Array(patches)) => patches,
        Some(_) => return bad_request("The request body needs `identities`, an array."),
    };
    if patches.len() > BATCH_LIMIT {
        return bad_request(&format!(
            "The maximum number of identities per request that can be created or deleted at once is {BATCH_LIMIT}."
        ));
    }
    // What Kratos checks as it reads the batch refuses all of it.
    for create in patches.iter().filter_map(|p| p.get("create")) {
        if let Some(refused) = refused_as_read(create) {
            return refused;
        }
    }
    let cleartext = patches
        .iter()
        .filter(|p| {
            p.pointer("/create/credentials/password/config/password")
                .and_then(Value::as_str)
                .is_some_and(|password| !password.is_empty())
        })
        .count();
    if cleartext > BATCH_CLEARTEXT_LIMIT {
        return bad_request(&format!(
            "The maximum number of identities per request that can be created with a plaintext password is {BATCH_CLEARTEXT_LIMIT}."
        ));
    }
    // Each identity checked against its schema first.
    let checked: Vec<Option<Result<New, Value>>> = patches
        .iter()
        .map(|patch| {
            let create = patch.get("create")?;
            Some(prepare(store, create).map_err(|refused| {
                refused
                    .body
                    .as_ref()
                    .map(|b| b["error"].clone())
                    .unwrap_or(Value::Null)
            }))
        })
        .collect();
    // Kratos inserts a batch's valid identities one by one, each conflict
    // an entry of its own, only when there are two or more; a single one
    // that conflicts fails the whole call with 409.
    let valid = checked.iter().flatten().filter(|c| c.is_ok()).count();
    let mut results = Vec::new();
    for (patch, checked) in patches.iter().zip(checked) {
        // A patch without `create` has no result: Kratos writes `null`.
        let Some(checked) = checked else {
            results.push(Value::Null);
            continue;
        };
        let mut result = json!({"action": "create"});
        if let Some(patch_id) = patch.get("patch_id") {
            result["patch_id"] = patch_id.clone();
        }
        let stored = match checked {
            Ok(new) => match insert(store, new) {
                Some(id) => Ok(id),
                None if valid == 1 => return taken_on_update(),
                // The database layer's words, as `taken_on_update`.
                None => Err(
                    json!({"code": 409, "status": "Conflict", "message": "Unable to insert or update resource because a resource with that value exists already"}),
                ),
            },
            Err(error) => Err(error),
        };
        match stored {
            Ok(id) => result["identity"] = json!(id),
            Err(error) => {
                result["action"] = json!("error");
                result["error"] = error;
            }
        }
        results.push(result);
    }
    json_response(200, json!({ "identities": results }))
}

/// What refuses a whole batch as Kratos reads one of its identities: a
/// state it does not know, a hash of a format it does not know.
fn refused_as_read(create: &Value) -> Option<Answer> {
    if let Some(state) = create.get("state").and_then(Value::as_str) {
        if !matches!(state, "" | "active" | "inactive") {
            return Some(bad_request("identity state is not valid"));
        }
    }
    // A password credential is imported from its cleartext, else through
    // the migration hook, else from its hash, which must be of a format
    // Kratos knows (an empty one is not).
    let config = create.pointer("/credentials/password/config")?;
    let text = |name: &str| config.get(name).and_then(Value::as_str).unwrap_or_default();
    let migrate = config.get("use_password_migration_hook") == Some(&Value::Bool(true));
    if text("password").is_empty() && !migrate && !known_hash_format(text("hashed_password")) {
        return Some(bad_request(
            "The imported password does not match any known hash format. For more information see https://www.ory.sh/dr/2",
        ));
    }
    None
}

fn update_identity(store: &mut Store, id: &str, call: &Call) -> Answer {
    if store.identity(id).is_none() {
        return no_identity();
    }
    replace(store, id, &call.form().0)
}

/// `PATCH /admin/identities/{id}`: the JSON Patch applied to the identity as
/// the admin API shows it (with `metadata_admin`), then stored as a `PUT` of
/// the result would be, under Kratos's rules for these patches (below).
fn patch_identity(store: &mut Store, id: &str, call: &Call) -> Answer {
    let Some(identity) = store.identity(id) else {
        return no_identity();
    };
    let current = store.admin_identity_json(identity);
    let mut patch = call.form().0;
    if let Err(refused) = kratos_patch_rules(&mut patch) {
        return bad_request_message(&refused);
    }
    match super::json_patch::apply(&current, &patch) {
        Ok(patched) => {
            // Removing the password credential empties it: Kratos still
            // lists the credential, but no password signs in any more.
            if patched.pointer("/credentials/password").is_none() {
                if let Some(identity) = store.identities.iter_mut().find(|i| i.id == id) {
                    if identity.password.is_some() {
                        identity.password = Some(Password::Hashed(String::new()));
                    }
                }
            }
            replace(store, id, &patched)
        }
        Err(why) => bad_request(&format!(
            "An error occurred when applying the JSON patch: {why}"
        )),
    }
}

/// Kratos's rules for an identity's JSON Patch, checked on every operation
/// before any is applied: it takes `add`, `remove` and `replace` only; it
/// denies the paths `/id`, `/stateChangedAt` and `/credentials` themselves
/// and anything under `/credentials/oidc` (matched case-insensitively, on
/// `path` only); and it turns a `replace` of a member into an `add`, so
/// that a missing one is no error. The refusal is Kratos's message.
fn kratos_patch_rules(patch: &mut Value) -> Result<(), String> {
    for op in patch.as_array_mut().into_iter().flatten() {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !matches!(kind.as_str(), "add" | "remove" | "replace") {
            return Err(format!("unsupported operation: {kind}"));
        }
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let lower = path.to_lowercase();
        let denied = matches!(lower.as_str(), "/id" | "/statechangedat" | "/credentials")
            || lower.starts_with("/credentials/oidc/");
        if denied {
            return Err(format!("patch includes denied path: {path}"));
        }
        let member = path
            .rsplit('/')
            .next()
            .is_some_and(|last| last != "-" && last.parse::<usize>().is_err());
        if kind == "replace" && member {
            op["op"] = json!("add");
        }
    }
    Ok(())
}

/// Replaces the identity `id` with what `body` gives (traits checked
/// against the schema); its credentials stay.
fn replace(store: &mut Store, id: &str, body: &Value) -> Answer {
    let given = match read(store, body) {
        Ok(given) => given,
        Err(refused) => return *refused,
    };
    if taken(store, &given, Some(id)) {
        return taken_on_update();
    }
    if let Some(identity) = store.identities.iter_mut().find(|i| i.id == id) {
        if identity.identifier != given.identifier {
            identity.address_status = "pending";
        }
        identity.traits = given.traits;
        identity.identifier = given.identifier;
        identity.state = given.state;
        identity.schema_id = given.schema_id;
        identity.external_id = given.external_id.or(identity.external_id.take());
        identity.metadata_public = given.metadata_public;
        identity.metadata_admin = given.metadata_admin;
    }
    identity_answer(store, id, 200)
}

/// The identity `id` as the admin API answers it, with `status`.
fn identity_answer(store: &Store, id: &str, status: u16) -> Answer {
    match store.identity(id) {
        Some(identity) => json_response(status, store.admin_identity_json(identity)),
        None => no_identity(),
    }
}

/// A recovery code for an identity: a browser recovery flow waiting for
/// that code, so that the user can finish it through the frontend; the
/// link points at the app's recovery page (Kratos's fallback page without
/// `ui_urls`).
fn recovery_code(store: &mut Store, call: &Call) -> Answer {
    let body = call.form();
    let identity_id = body.field("identity_id").to_string();
    let Some(address) = store.identity(&identity_id).map(|i| i.identifier.clone()) else {
        return no_identity();
    };
    let request_url = format!("{}/self-service/recovery/browser", store.base);
    let flow_id = store.new_flow(FlowKind::Recovery, request_url, None);
    let code = store.random.digits(6);
    let csrf = store.random.code(64);
    let expires_at = store
        .flows
        .get(&flow_id)
        .map(|f| f.expires_at)
        .unwrap_or_else(SystemTime::now);
    if let Some(flow) = store.flows.get_mut(&flow_id) {
        flow.identity_id = Some(identity_id);
        flow.address = address;
        flow.code = Some(code.clone());
        flow.active = Some("code");
        flow.state = "sent_email";
        flow.browser = true;
        flow.csrf_token = csrf;
        flow.skip_csrf = true;
    }
    let recovery_ui = store.config.ui_url("recovery");
    json_response(
        201,
        json!({
            "recovery_link": format!("{recovery_ui}?flow={flow_id}"),
            "recovery_code": code,
            "expires_at": rfc3339(expires_at),
        }),
    )
}

/// A courier message as Kratos lists it.
fn message_json(message: &super::Message) -> Value {
    let at = rfc3339(message.created_at);
    json!({
        "id": message.id,
        // The mock sends nothing, as KratosServer's courier: messages stay
        // queued, and their bodies show, as in dev mode.
        "status": "queued",
        "type": "email",
        "channel": "email",
        "recipient": message.recipient,
        "subject": message.subject,
        "body": message.body,
        "template_type": message.template_type,
        "send_count": 0,
        "created_at": at,
        "updated_at": at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_follow_kratos_rules() {
        let refused = |patch: Value| kratos_patch_rules(&mut patch.clone()).unwrap_err();
        let path = |p: &str| json!([{"op": "remove", "path": p}]);
        assert_eq!(refused(path("/id")), "patch includes denied path: /id");
        assert_eq!(refused(path("/ID")), "patch includes denied path: /ID");
        assert_eq!(
            refused(path("/credentials")),
            "patch includes denied path: /credentials"
        );
        assert_eq!(
            refused(path("/credentials/oidc/github")),
            "patch includes denied path: /credentials/oidc/github"
        );
        assert_eq!(
            refused(json!([{"op": "test", "path": "/state", "value": "active"}])),
            "unsupported operation: test"
        );
        assert_eq!(
            refused(json!([{"op": "copy", "from": "/credentials", "path": "/x"}])),
            "unsupported operation: copy"
        );
        // Allowed: under /credentials but not /credentials/oidc, and a path
        // that merely starts like a denied one.
        for allowed in ["/credentials/password", "/identity", "/stateChangedAtX"] {
            assert!(kratos_patch_rules(&mut path(allowed)).is_ok(), "{allowed}");
        }
        // A replace of a member becomes an add; of an array element, not.
        let mut patch = json!([
            {"op": "replace", "path": "/metadata_public", "value": 1},
            {"op": "replace", "path": "/traits/emails/0", "value": "x"}
        ]);
        kratos_patch_rules(&mut patch).unwrap();
        assert_eq!(patch[0]["op"], "add");
        assert_eq!(patch[1]["op"], "replace");
    }
}
