//! The native verification flow by code: the address, a code through the
//! outbox, then the address counts as verified.

use super::http::Answer;

use super::by_code::{self, CodeFlow};
use super::call::Call;
use super::http::text;
use super::store::{FlowKind, Store};

const VERIFICATION: CodeFlow = CodeFlow {
    kind: FlowKind::Verification,
    refuse_signed_in: None,
    code_label: (1070011, "Verification code"),
    code_digits: false,
    sent: (1080003, "An email containing a verification code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with."),
    invalid: (4070006, "The verification code is invalid or has already been used. Please try again."),
    template: "verification_code_valid",
    passed,
};

/// Answers the verification endpoints; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<Answer> {
    by_code::route(&VERIFICATION, store, call)
}

/// A right code verifies the address.
fn passed(store: &mut Store, flow_id: &str, identity_id: &str) {
    if let Some(identity) = store.identities.iter_mut().find(|i| i.id == identity_id) {
        identity.address_status = "completed";
    }
    if let Some(flow) = store.flows.get_mut(flow_id) {
        flow.state = "passed_challenge";
        flow.form_messages = vec![text(
            1080002,
            "You successfully verified your email address.",
            "success",
            None,
        )];
    }
}
