//! What comes after a submission: the next step of a flow that Kratos sent
//! back with a 400 (`next_step()` on every flow's update error), and the
//! `continue_with` items of a finished one, in the order an app acts on
//! them.

/// Writes `next_step()` and `into_next_step()` on an operation's error enum
/// (and on `Error` of it) whose `$variant` carries the flow `$flow`: Kratos
/// sends a flow back with a 400 both to refuse the input (with error
/// messages) and to ask for the next step of the same flow (without any).
macro_rules! impl_next_step {
    ($error:ident, $variant:ident, $flow:ident) => {
        impl $error {
            /// The flow Kratos sent back with its 400, either way: refusing
            /// the input (`has_errors()`: show its messages, such as 4000006
            /// for a wrong password, and let the user try again on the same
            /// flow) or asking for the next step (no error message).
            pub fn flow(&self) -> Option<&crate::models::$flow> {
                match self {
                    Self::$variant(flow) => Some(flow),
                    _ => None,
                }
            }

            /// The flow, when this answer is not a refusal but the next
            /// step of the same flow: a flow sent back without any error
            /// message (identifier-first login asking for the password, the
            /// code method having sent its code). Show its form and submit
            /// again.
            pub fn next_step(&self) -> Option<&crate::models::$flow> {
                self.flow().filter(|flow| !flow.has_errors())
            }
        }

        impl crate::Error<$error> {
            /// The flow Kratos sent back with its 400, refusing the input or
            /// asking for the next step (`has_errors()` tells which); see
            #[doc = concat!("[`", stringify!($error), "::flow`].")]
            pub fn flow(&self) -> Option<&crate::models::$flow> {
                match self {
                    crate::Error::Api(error) => error.flow(),
                    _ => None,
                }
            }

            /// The flow, when the server answered with the next step of the
            /// same flow rather than a refusal; see
            #[doc = concat!("[`", stringify!($error), "::next_step`].")]
            pub fn next_step(&self) -> Option<&crate::models::$flow> {
                match self {
                    crate::Error::Api(error) => error.next_step(),
                    _ => None,
                }
            }

            /// The flow of the next step, or the error itself when it is a
            /// real failure, for `Err(error) => error.into_next_step()?`
            /// where a next step is expected.
            pub fn into_next_step(self) -> Result<crate::models::$flow, Self> {
                match self {
                    crate::Error::Api($error::$variant(flow)) if !flow.has_errors() => Ok(flow),
                    other => Err(other),
                }
            }
        }
    };
}

pub(crate) use impl_next_step;

impl crate::models::ContinueWith {
    /// Where an item stands in the order an app acts on them.
    fn rank(&self) -> u8 {
        match self.action() {
            "set_ory_session_token" => 0,
            "show_verification_ui" => 1,
            "show_settings_ui" => 2,
            "show_recovery_ui" => 3,
            "redirect_browser_to" => 5,
            _ => 4,
        }
    }

    /// `items` (a finished flow's `continue_with`) in the order an app acts
    /// on them: keep the session token first, then show the flow that comes
    /// next (verify the address, set a new password after a recovery,
    /// recover), then anything this crate does not know, and last the
    /// browser redirect, which native apps usually leave aside. Items of
    /// the same kind keep the server's order.
    pub fn in_order(items: &[Self]) -> Vec<&Self> {
        let mut ordered: Vec<&Self> = items.iter().collect();
        ordered.sort_by_key(|item| item.rank());
        ordered
    }

    /// The session token among `items` (`set_ory_session_token`): what a
    /// recovery by code or a registration that signs the user in leaves
    /// the app. It is a secret: keep it like a password.
    pub fn session_token(items: &[Self]) -> Option<&str> {
        items.iter().find_map(|item| match item {
            Self::SetOrySessionToken(token) => Some(token.ory_session_token.as_str()),
            _ => None,
        })
    }

    /// The id of the flow this item asks the app to show next: the
    /// verification flow of `show_verification_ui`, the settings flow of
    /// `show_settings_ui` (a new password after a recovery), the recovery
    /// flow of `show_recovery_ui`. Fetch it with the matching `get_*_flow`.
    pub fn flow_id(&self) -> Option<&str> {
        match self {
            Self::VerificationUi(item) => Some(&item.flow.id),
            Self::SettingsUi(item) => Some(&item.flow.id),
            Self::RecoveryUi(item) => Some(&item.flow.id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn continue_with_items_come_in_the_order_an_app_acts_on_them() {
        let items: Vec<crate::models::ContinueWith> = serde_json::from_value(serde_json::json!([
            {"action": "redirect_browser_to", "redirect_browser_to": "https://app.example/welcome"},
            {"action": "show_verification_ui", "flow": {"id": "v1", "verifiable_address": "ada@example.com"}},
            {"action": "brand_new_action", "x": 1},
            {"action": "set_ory_session_token", "ory_session_token": "ory_st_x"},
        ]))
        .unwrap();
        let actions: Vec<&str> = crate::models::ContinueWith::in_order(&items)
            .iter()
            .map(|i| i.action())
            .collect();
        assert_eq!(
            actions,
            [
                "set_ory_session_token",
                "show_verification_ui",
                "brand_new_action",
                "redirect_browser_to"
            ]
        );
    }
}
