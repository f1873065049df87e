//! Off the happy path: what users get wrong, and what a server refuses.
//! Code attempts past Kratos's limit, a disabled identity, identities the
//! schema refuses, empty sign-in fields, login parameters Kratos does not
//! know, and the admin reads of sessions and identifiers.

use kratos_client::models::{
    JsonPatchOp, UpdateIdentityBody, UpdateIdentityBodyState, UpdateLoginFlowWithPasswordMethod,
    UpdateRecoveryFlowWithCodeMethod, UpdateVerificationFlowWithCodeMethod,
};
use kratos_client::testing::TestKratos;
use kratos_client::{Error, OperationError, UpdateLoginFlowError, UpdateRecoveryFlowError};
use serde_json::{json, Map, Value};

use crate::common::accounts::{identity_body as body, patch, sign_in};
use crate::seen::{on_each, FlowIn, Seen};
use crate::{EMAIL, PASSWORD};

/// Kratos's limit on code submissions per flow
/// (`selfservice.methods.code.config.max_submissions`, default 5).
const CODE_ATTEMPTS: usize = 5;

/// A wrong code that is never the right one: Kratos's codes are six digits.
const WRONG: &str = "000000";

/// Notes an error's `reason` (Kratos's detail, which says which rule
/// refused), beside what [`Seen::outcome`] notes.
fn outcome_with_reason<T, E>(seen: &mut Seen, step: &str, result: &Result<T, Error<E>>)
where
    T: serde::Serialize,
    E: OperationError + FlowIn,
{
    seen.outcome(step, result);
    if let Err(error) = result {
        if let Some(reason) = error.generic_error().and_then(|e| e.reason.clone()) {
            seen.note("  reason", reason);
        }
    }
}

/// Notes what a wrong code came back as: the flow's state and the ids of
/// its error messages (`read` gives them), or the error and whether it names
/// a new flow.
fn note_attempt<F: serde::Serialize, E: OperationError + FlowIn>(
    seen: &mut Seen,
    attempt: usize,
    answer: &Result<F, Error<E>>,
    read: impl Fn(&F) -> (Option<&str>, Vec<i64>),
) {
    let step = format!("wrong code {attempt}");
    match answer {
        Ok(flow) => {
            let (state, messages) = read(flow);
            seen.note(&step, format!("ok state={state:?} messages={messages:?}"));
        }
        Err(error) => {
            outcome_with_reason(seen, &step, answer);
            seen.note(
                "  replaced by a new flow",
                error.replacement_flow_id().is_some(),
            );
        }
    }
}

#[tokio::test]
async fn recovery_codes_past_the_limit_refuse_even_the_right_one() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            let api = kratos.frontend();
            let flow = api.create_native_recovery_flow().send().await.unwrap();
            let body = UpdateRecoveryFlowWithCodeMethod::new().email(EMAIL);
            api.update_recovery_flow(&flow.id, body)
                .send()
                .await
                .unwrap();
            for attempt in 1..=CODE_ATTEMPTS + 1 {
                let wrong = UpdateRecoveryFlowWithCodeMethod::new().code(WRONG);
                let answer = api.update_recovery_flow(&flow.id, wrong).send().await;
                note_attempt(seen, attempt, &answer, |f| {
                    (f.state_name(), f.errors().iter().map(|m| m.id()).collect())
                });
            }
            let mut right = UpdateRecoveryFlowWithCodeMethod::default();
            right.code = kratos.last_code(EMAIL).await.unwrap();
            let answer = api.update_recovery_flow(&flow.id, right).send().await;
            outcome_with_reason(seen, "right code", &answer);
            // A typed refusal, whose error names a new flow to start over with.
            let error = answer.unwrap_err();
            assert!(
                matches!(error, Error::Api(UpdateRecoveryFlowError::Refused(_))),
                "{error:?}"
            );
            let next = error
                .replacement_flow_id()
                .expect("a new recovery flow")
                .to_string();
            assert_ne!(next, flow.id);
            let next = api.get_recovery_flow(&next).send().await.unwrap();
            seen.flow("the new flow", &next);
        },
    )
    .await;
}

#[tokio::test]
async fn verification_codes_past_the_limit_replace_the_flow() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            let api = kratos.frontend();
            let flow = api.create_native_verification_flow().send().await.unwrap();
            let body = UpdateVerificationFlowWithCodeMethod::new().email(EMAIL);
            api.update_verification_flow(&flow.id, body)
                .send()
                .await
                .unwrap();
            for attempt in 1..=CODE_ATTEMPTS + 1 {
                let wrong = UpdateVerificationFlowWithCodeMethod::new().code(WRONG);
                let answer = api.update_verification_flow(&flow.id, wrong).send().await;
                note_attempt(seen, attempt, &answer, |f| {
                    (f.state_name(), f.errors().iter().map(|m| m.id()).collect())
                });
            }
            let mut right = UpdateVerificationFlowWithCodeMethod::default();
            right.code = kratos.last_code(EMAIL).await.unwrap();
            let answer = api.update_verification_flow(&flow.id, right).send().await;
            outcome_with_reason(seen, "right code", &answer);
            let next = answer
                .unwrap_err()
                .replacement_flow_id()
                .expect("a new flow")
                .to_string();
            assert_ne!(next, flow.id);
            let next = api.get_verification_flow(&next).send().await.unwrap();
            seen.flow("the new flow", &next);
        },
    )
    .await;
}

/// The identity's state set through the admin API by a JSON Patch.
async fn set_state(kratos: &TestKratos, id: &str, state: &str) {
    let ops = vec![patch(JsonPatchOp::Replace, "/state", Some(json!(state)))];
    kratos
        .identity()
        .patch_identity(id, ops)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_disabled_identity_loses_its_sessions_and_signs_in_again_once_reactivated() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let id = kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            let api = kratos.frontend();
            let token = sign_in(&api, EMAIL, PASSWORD).await.expect("signed in");

            set_state(kratos, &id, "inactive").await;
            let whoami = api.to_session().session_token(&token).send().await;
            outcome_with_reason(seen, "disabled, whoami", &whoami);
            let settings = api
                .create_native_settings_flow()
                .session_token(&token)
                .send()
                .await;
            outcome_with_reason(seen, "disabled, settings", &settings);
            let flow = api.create_native_login_flow().send().await.unwrap();
            let login = api
                .update_login_flow(
                    &flow.id,
                    UpdateLoginFlowWithPasswordMethod::new(EMAIL, PASSWORD),
                )
                .send()
                .await;
            outcome_with_reason(seen, "disabled, sign in", &login);
            assert!(
                matches!(
                    login,
                    Err(Error::Api(UpdateLoginFlowError::Unauthorized(_)))
                ),
                "a typed refusal: {login:?}"
            );

            set_state(kratos, &id, "active").await;
            let whoami = api.to_session().session_token(&token).send().await;
            outcome_with_reason(seen, "reactivated, old session", &whoami);
            let again = sign_in(&api, EMAIL, PASSWORD).await;
            seen.note("reactivated, sign in", again.is_some());
        },
    )
    .await;
}

fn traits(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_admin_api_checks_identities_against_the_schema() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let admin = kratos.identity();
            let cases = [
                (
                    "unknown trait",
                    "default",
                    json!({"email": "a@example.com", "shoe_size": 42}),
                ),
                ("trait of the wrong type", "default", json!({"email": 42})),
                ("missing required trait", "default", json!({"name": "Ada"})),
                (
                    "not an email",
                    "default",
                    json!({"email": "not-an-address"}),
                ),
                ("unknown schema", "nope", json!({"email": "a@example.com"})),
            ];
            for (what, schema, value) in &cases {
                let mut create = body("a@example.com", Some(PASSWORD), None);
                create.schema_id = schema.to_string();
                create.traits = traits(value.clone());
                let created = admin.create_identity(create).send().await;
                outcome_with_reason(seen, &format!("create, {what}"), &created);
            }
            let id = kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            for (what, schema, value) in &cases {
                let update = UpdateIdentityBody::new(
                    schema.to_string(),
                    UpdateIdentityBodyState::Active,
                    traits(value.clone()),
                );
                let updated = admin.update_identity(&id, update).send().await;
                outcome_with_reason(seen, &format!("update, {what}"), &updated);
            }
            for (what, schema, value) in &cases {
                let ops = vec![
                    patch(JsonPatchOp::Replace, "/schema_id", Some(json!(schema))),
                    patch(JsonPatchOp::Replace, "/traits", Some(value.clone())),
                ];
                let patched = admin.patch_identity(&id, ops).send().await;
                outcome_with_reason(seen, &format!("patch, {what}"), &patched);
            }
            let read = admin.get_identity(&id).send().await.unwrap();
            seen.note("unchanged", serde_json::to_value(&read.traits).unwrap());
        },
    )
    .await;
}

#[tokio::test]
async fn a_login_with_empty_fields_gets_a_message_per_field() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            let api = kratos.frontend();
            for (what, identifier, password) in [
                ("both empty", "", ""),
                ("no password", EMAIL, ""),
                ("no identifier", "", PASSWORD),
            ] {
                let flow = api.create_native_login_flow().send().await.unwrap();
                let body = UpdateLoginFlowWithPasswordMethod::new(identifier, password);
                let answer = api.update_login_flow(&flow.id, body).send().await;
                seen.outcome(what, &answer);
                // Read as any update's refusal is: the form, and its flow.
                let error = answer.unwrap_err();
                assert_eq!(error.flow_id(), Some(flow.id.as_str()));
                let missing: Vec<i64> = error
                    .form()
                    .unwrap()
                    .errors()
                    .iter()
                    .map(|m| m.id())
                    .collect();
                assert!(
                    !missing.is_empty() && missing.iter().all(|id| *id == 4000002),
                    "{missing:?}"
                );
            }
        },
    )
    .await;
}

#[tokio::test]
async fn login_parameters_off_the_happy_path() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            let api = kratos.frontend();
            let refresh = api.create_native_login_flow().refresh(true).send().await;
            seen.outcome("refresh without a session", &refresh);
            if let Ok(flow) = &refresh {
                seen.flow("  the flow", flow);
            }
            for aal in ["aal3", "AAL1", ""] {
                let flow = api.create_native_login_flow().aal(aal).send().await;
                outcome_with_reason(seen, &format!("aal={aal:?}"), &flow);
                if let Ok(flow) = &flow {
                    seen.note(
                        "  requested_aal",
                        flow.requested_aal
                            .as_ref()
                            .map(|a| a.to_string())
                            .unwrap_or_default(),
                    );
                }
            }
            let aal2 = api.create_native_login_flow().aal("aal2").send().await;
            outcome_with_reason(seen, "aal2 without a session", &aal2);
            let token = sign_in(&api, EMAIL, PASSWORD).await.expect("signed in");
            let aal2 = api
                .create_native_login_flow()
                .aal("aal2")
                .session_token(&token)
                .send()
                .await;
            outcome_with_reason(seen, "aal2, no second factor configured", &aal2);
            if let Ok(flow) = &aal2 {
                seen.flow("  the flow", flow);
            }
            let upper = api
                .create_native_login_flow()
                .aal("AAL2")
                .session_token(&token)
                .send()
                .await;
            outcome_with_reason(seen, "AAL2 with a session", &upper);
            if let Ok(flow) = &upper {
                seen.note(
                    "  requested_aal",
                    flow.requested_aal
                        .as_ref()
                        .map(|a| a.to_string())
                        .unwrap_or_default(),
                );
            }
        },
    )
    .await;
}

/// The credential types and identifiers of an identity, as the admin API
/// lists them, sorted.
async fn credentials_of(kratos: &TestKratos, id: &str) -> String {
    let read = kratos.identity().get_identity(id).send().await.unwrap();
    let mut credentials: Vec<String> = read
        .credentials
        .as_ref()
        .map(|c| {
            c.iter()
                .map(|(kind, c)| {
                    format!("{kind}:{:?} config={}", c.identifiers, c.config.is_some())
                })
                .collect()
        })
        .unwrap_or_default();
    credentials.sort();
    credentials.join(" ")
}

#[tokio::test]
async fn identities_carry_the_credentials_kratos_gives_them() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let api = kratos.frontend();
            let flow = api.create_native_registration_flow().send().await.unwrap();
            let body = kratos_client::models::UpdateRegistrationFlowWithPasswordMethod::new(
                PASSWORD,
                traits(json!({"email": EMAIL})),
            );
            let done = api
                .update_registration_flow(&flow.id, body)
                .send()
                .await
                .unwrap();
            seen.note("signed up", credentials_of(kratos, &done.identity.id).await);
            let created = kratos
                .identity()
                .create_identity(body_for("grace@example.com"))
                .send()
                .await
                .unwrap();
            seen.note(
                "created by the admin API",
                credentials_of(kratos, &created.id).await,
            );
        },
    )
    .await;
}

/// An identity of the default schema signing in with a cleartext password.
fn body_for(email: &str) -> kratos_client::models::CreateIdentityBody {
    body(email, Some(PASSWORD), None)
}

#[tokio::test]
async fn admin_reads_of_sessions_and_identifiers() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let id = kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            let api = kratos.frontend();
            let token = sign_in(&api, EMAIL, PASSWORD).await.expect("signed in");
            let session = api.to_session().session_token(&token).send().await.unwrap();
            let admin = kratos.identity();
            let plain = admin.get_session(&session.id).send().await.unwrap();
            seen.note(
                "get_session",
                format!(
                    "identity={} devices={}",
                    plain.identity.is_some(),
                    plain.devices.as_ref().map_or(0, Vec::len)
                ),
            );
            let expanded = admin
                .get_session(&session.id)
                .expand(["identity", "devices"])
                .send()
                .await
                .unwrap();
            seen.note(
                "get_session expanded",
                format!(
                    "identity={} devices={}",
                    expanded.identity.is_some(),
                    expanded.devices.as_ref().map_or(0, Vec::len)
                ),
            );
            // By default a session can be extended any time: it is renewed.
            let extended = admin.extend_session(&session.id).send().await.unwrap();
            let at = |t: &Option<String>| {
                humantime::parse_rfc3339_weak(t.as_deref().unwrap_or_default()).ok()
            };
            let later = extended.map(|s| at(&s.expires_at) > at(&session.expires_at));
            seen.note("extend, any time", format!("{later:?}"));
            for identifier in [
                EMAIL,
                " ada@example.com ",
                "ADA@example.com",
                "Ada@Example.com",
            ] {
                let found = admin
                    .list_identities()
                    .credentials_identifier(identifier)
                    .send()
                    .await
                    .unwrap();
                let ids: Vec<bool> = found.items.iter().map(|i| i.id == id).collect();
                seen.note(
                    &format!("credentials_identifier {identifier:?}"),
                    format!("{ids:?}"),
                );
            }
        },
    )
    .await;
}

/// Whole minutes from `from` to `to`, both RFC 3339.
fn minutes_between(from: &str, to: &str) -> u64 {
    let at = |t: &str| humantime::parse_rfc3339_weak(t).unwrap();
    let seconds = at(to).duration_since(at(from)).map_or(0, |d| d.as_secs());
    (seconds + 30) / 60
}

#[tokio::test]
async fn a_server_with_policies_of_its_own() {
    use std::time::Duration;
    let builder = TestKratos::builder()
        .min_password_length(12)
        .notify_unknown_recipients(true)
        .session_lifespan(Duration::from_secs(2 * 3600))
        .earliest_possible_extend(Duration::from_secs(30 * 60));
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        let api = kratos.frontend();
        let flow = api.create_native_registration_flow().send().await.unwrap();
        let email = traits(json!({"email": EMAIL}));
        let short = kratos_client::models::UpdateRegistrationFlowWithPasswordMethod::new(
            "eleven char",
            email.clone(),
        );
        let refused = api.update_registration_flow(&flow.id, short).send().await;
        seen.outcome("eleven characters", &refused);
        let body = kratos_client::models::UpdateRegistrationFlowWithPasswordMethod::new(
            "twelve chars!",
            email,
        );
        let done = api
            .update_registration_flow(&flow.id, body)
            .send()
            .await
            .unwrap();
        let session = done.session.expect("signed in");
        seen.note(
            "session lasts (minutes)",
            minutes_between(
                session.issued_at.as_deref().unwrap_or_default(),
                session.expires_at.as_deref().unwrap_or_default(),
            ),
        );
        // Far from its end, an extend leaves the session as it is.
        let extended = kratos.identity().extend_session(&session.id).send().await;
        seen.outcome("extend, two hours left", &extended);
        if let Ok(extended) = &extended {
            let same = extended
                .as_ref()
                .map(|s| s.expires_at == session.expires_at);
            seen.note("  expires as before", format!("{same:?}"));
        }

        for (kind, address) in [
            ("recovery", "nobody@example.com"),
            ("verification", "nobody@example.com"),
        ] {
            let sent = if kind == "recovery" {
                let flow = api.create_native_recovery_flow().send().await.unwrap();
                let body = UpdateRecoveryFlowWithCodeMethod::new().email(address);
                api.update_recovery_flow(&flow.id, body)
                    .send()
                    .await
                    .map(|f| f.state_name().map(str::to_string))
                    .map_err(|e| e.to_string())
            } else {
                let flow = api.create_native_verification_flow().send().await.unwrap();
                let body = UpdateVerificationFlowWithCodeMethod::new().email(address);
                api.update_verification_flow(&flow.id, body)
                    .send()
                    .await
                    .map(|f| f.state_name().map(str::to_string))
                    .map_err(|e| e.to_string())
            };
            seen.note(
                &format!("{kind} for an unknown address"),
                format!("{sent:?}"),
            );
        }
        let mut messages: Vec<String> = kratos
            .messages()
            .await
            .unwrap()
            .iter()
            .map(|m| {
                // The subjects of codes hold the code: only the others show.
                let subject = if m.code().is_empty() {
                    m.subject.as_str()
                } else {
                    "(a code)"
                };
                format!("{} to {}: {subject}", m.template_type, m.recipient)
            })
            .collect();
        messages.sort();
        seen.note("messages", messages.join(" | "));
    })
    .await;
}

#[tokio::test]
async fn a_second_factor_offered_but_not_required() {
    use kratos_client::testing::RequiredAal;
    let builder = TestKratos::builder()
        .second_factor(true)
        .required_aal(RequiredAal::Aal1);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
        let api = kratos.frontend();
        let flow = api.create_native_login_flow().send().await.unwrap();
        let body = UpdateLoginFlowWithPasswordMethod::new(EMAIL, PASSWORD);
        let done = api.update_login_flow(&flow.id, body).send().await.unwrap();
        seen.session("password alone", &done.session);
        let token = done.session_token.clone().expect("a token");
        let whoami = api.to_session().session_token(&token).send().await;
        seen.outcome("whoami at aal1", &whoami);
        let settings = api
            .create_native_settings_flow()
            .session_token(&token)
            .send()
            .await;
        seen.outcome("settings at aal1", &settings);
        // The second factor is still there to take.
        let aal2 = api
            .create_native_login_flow()
            .aal("aal2")
            .session_token(&token)
            .send()
            .await;
        seen.outcome("aal2 login flow", &aal2);
        if let Ok(flow) = &aal2 {
            seen.flow("  the flow", flow);
        }
    })
    .await;
}

#[tokio::test]
async fn a_second_identity_schema_for_sign_up_and_the_admin_api() {
    use kratos_client::testing::{IdentitySchema, TraitKind};
    let customer = IdentitySchema::new("customer")
        .with_trait("email", "E-Mail", TraitKind::Email, true)
        .with_trait("company", "Company", TraitKind::Text, true);
    let builder = TestKratos::builder().identity_schema(customer);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        let admin = kratos.identity();
        let page = admin.list_identity_schemas().send().await.unwrap();
        let mut ids: Vec<String> = page.items.into_iter().map(|s| s.id).collect();
        ids.sort();
        seen.note("schemas", format!("{ids:?}"));

        let api = kratos.frontend();
        let unknown = api
            .create_native_registration_flow()
            .identity_schema("nope")
            .send()
            .await;
        outcome_with_reason(seen, "sign up with an unknown schema", &unknown);
        let flow = api
            .create_native_registration_flow()
            .identity_schema("customer")
            .send()
            .await
            .unwrap();
        seen.flow("sign up as a customer", &flow);
        let body = |traits: Value| {
            kratos_client::models::UpdateRegistrationFlowWithPasswordMethod::new(
                PASSWORD,
                self::traits(traits),
            )
        };
        let missing = api
            .update_registration_flow(&flow.id, body(json!({"email": EMAIL})))
            .send()
            .await;
        seen.outcome("without the company", &missing);
        let done = api
            .update_registration_flow(
                &flow.id,
                body(json!({"email": EMAIL, "company": "Analytical Engines"})),
            )
            .send()
            .await
            .unwrap();
        seen.note("signed up with schema", &done.identity.schema_id);
        // Settings show the customer's traits.
        let token = done.session_token.clone().expect("a token");
        let settings = api
            .create_native_settings_flow()
            .session_token(&token)
            .send()
            .await
            .unwrap();
        let mut fields: Vec<&str> = settings
            .inputs_for("profile")
            .iter()
            .map(|i| i.name)
            .collect();
        fields.sort_unstable();
        seen.note("settings fields", fields.join(","));

        let mut create = body_for("grace@example.com");
        create.schema_id = "customer".into();
        create.traits = traits(json!({"email": "grace@example.com"}));
        let refused = admin.create_identity(create.clone()).send().await;
        outcome_with_reason(seen, "admin, without the company", &refused);
        create.traits = traits(json!({"email": "grace@example.com", "company": "Navy"}));
        let created = admin.create_identity(create).send().await.unwrap();
        seen.note("admin, created with schema", &created.schema_id);
        let schema = admin.get_identity_schema("customer").send().await.unwrap();
        seen.note(
            "the customer schema's traits",
            schema["properties"]["traits"]["required"].to_string(),
        );
    })
    .await;
}
