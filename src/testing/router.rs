//! Where the mock sends each request: the browser flows' module, then the
//! first flow module that answers it.

use std::sync::{Arc, Mutex, PoisonError};

use wiremock::{Request, Respond, ResponseTemplate};

use super::call::Call;
use super::store::Store;
use super::{
    admin, browser, http, login, recovery, registration, sessions, settings, social, verification,
};

/// The flow modules, each answering its own endpoints: adding a flow means
/// adding a module here.
const MODULES: &[fn(&mut Store, &Call) -> Option<http::Answer>] = &[
    registration::route,
    login::route,
    sessions::route,
    settings::route,
    recovery::route,
    verification::route,
    social::route,
    admin::route,
];

/// The answer of the first flow module that answers `call`, as it answers
/// a native app.
fn native(store: &mut Store, call: &Call) -> http::Answer {
    MODULES
        .iter()
        .find_map(|route| route(store, call))
        .unwrap_or_else(|| http::not_found_because("This mock does not serve this path."))
}

/// Sends each request to the browser flows' module, then to the first flow
/// module that answers it.
pub(super) struct Routes(pub(super) Arc<Mutex<Store>>);

impl Respond for Routes {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut store = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let call = Call(request);
        let answer = if store.unavailable {
            http::unavailable()
        } else {
            browser::route(&mut store, &call, native).unwrap_or_else(|| native(&mut store, &call))
        }
        .into_template();
        match store.delay {
            Some(delay) => answer.set_delay(delay),
            None => answer,
        }
    }
}
