// Shared by the generator (`src/codegen/types.rs`) and the runtime (`src/secret.rs`).

/// JSON property names whose values are credentials or one-time secrets.
/// Generated `Debug` output leaves their values out, and error excerpts blank them.
pub const SECRET_FIELDS: &[&str] = &[
    "password",
    "session_token",
    "ory_session_token",
    "tokenized",
    "session_token_exchange_code",
    "init_code",
    "return_to_code",
    "code",
    "totp_code",
    "lookup_secret",
    "csrf_token",
    "client_secret",
    "registration_access_token",
    "pin_secret",
    "id_token",
    "access_token",
    "refresh_token",
    // The browser logout token and FedCM's identity token.
    "token",
    "logout_token",
    // Admin API: imported password hashes, the tokens an OIDC credential
    // keeps, and the recovery codes and links handed to support agents.
    "hashed_password",
    "initial_id_token",
    "initial_access_token",
    "initial_refresh_token",
    "recovery_code",
    "recovery_link",
];
