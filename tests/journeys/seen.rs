//! What an app saw on a journey, written down so that two servers' records
//! compare line by line: statuses, error ids, flow states, forms (node
//! names, types, groups, the attributes that matter, labels and messages
//! in order), `continue_with` actions, sessions and their assurance level,
//! paging. Ids, times, tokens and the servers' addresses differ by nature
//! and are written by their shape (`{uuid}`, `{time}`, `{token}`,
//! `{public}`).

use std::fmt::Display;
use std::sync::LazyLock;

use kratos_client::models::Session;
use kratos_client::testing::{KratosServerError, TestKratos, TestKratosBuilder};
use kratos_client::{Error, OperationError};
use regex::Regex;
use serde::Serialize;
use serde_json::Value;

/// The record of one journey on one server.
pub struct Seen {
    lines: Vec<String>,
    print: bool,
    public: String,
    admin: String,
    /// Other addresses a journey's lines may hold (its own servers, such as
    /// the app's hook server), with the shape each is written as.
    shapes: Vec<(String, String)>,
}

impl Seen {
    fn new(kratos: &TestKratos) -> Seen {
        Seen {
            lines: Vec::new(),
            print: false,
            public: kratos.uri(),
            admin: kratos.admin_uri(),
            shapes: Vec::new(),
        }
    }

    /// Writes `address` (a server of the journey's own, on a port that
    /// differs each run) as `shape` in the lines that follow.
    pub fn shape(&mut self, address: &str, shape: &str) {
        self.shapes.push((address.to_string(), shape.to_string()));
    }

    /// A line of its own, for what the journey checks beyond the helpers.
    pub fn note(&mut self, step: &str, what: impl Display) {
        // One line each, whatever it holds: a record file is read back
        // line by line.
        let what = what.to_string().replace('\n', "\\n");
        let line = self.normalize(&format!("{step}: {what}"));
        if self.print {
            println!("{line}");
        }
        self.lines.push(line);
    }

    /// A flow as its form shows it.
    pub fn flow(&mut self, step: &str, flow: &impl Serialize) {
        let value = serde_json::to_value(flow).unwrap_or(Value::Null);
        self.note(step, "flow");
        for line in flow_lines(&value) {
            self.note("  ", line);
        }
    }

    /// A session: active, assurance level, methods, identity.
    pub fn session(&mut self, step: &str, session: &Session) {
        let value = serde_json::to_value(session).unwrap_or(Value::Null);
        let line = session_line(&value);
        self.note(step, line);
    }

    /// A failed call: status, Kratos's error id and message, and the flow
    /// when the answer is one.
    pub fn error<E: OperationError + FlowIn>(&mut self, step: &str, error: &Error<E>) {
        let status = error.status().map(|s| s.as_u16()).unwrap_or(0);
        match error.generic_error() {
            Some(generic) => {
                let id = generic.id.as_deref().unwrap_or("-");
                self.note(
                    step,
                    format!("error {status} id={id} message={:?}", generic.message),
                );
            }
            None => self.note(step, format!("error {status}")),
        }
        if let Some(flow) = error.api().and_then(FlowIn::flow) {
            for line in flow_lines(&flow) {
                self.note("  ", line);
            }
        }
    }

    /// The outcome of a call: its value's record, or its error's.
    pub fn outcome<T, E>(&mut self, step: &str, result: &Result<T, Error<E>>)
    where
        T: Serialize,
        E: OperationError + FlowIn,
    {
        match result {
            Ok(value) => {
                let value = serde_json::to_value(value).unwrap_or(Value::Null);
                self.note(step, format!("ok {}", summary(&value)));
            }
            Err(error) => self.error(step, error),
        }
    }

    /// `text` with what differs by nature written by its shape.
    fn normalize(&self, text: &str) -> String {
        static SHAPES: LazyLock<[(Regex, &str); 7]> = LazyLock::new(|| {
            let re = |r: &str| Regex::new(r).expect("a valid pattern");
            [
                (
                    re(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
                    "{uuid}",
                ),
                (
                    re(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"),
                    "{time}",
                ),
                (re(r"ory_[a-z]{2}_[A-Za-z0-9]+"), "{token}"),
                (re(r"page_token=[^&>;\s]+"), "page_token={page}"),
                // A browser flow's CSRF token.
                (
                    re(r"name=csrf_token type=hidden required value=\S+"),
                    "name=csrf_token type=hidden required value={csrf}",
                ),
                (re(r#"_unix":\d+"#), "_unix\":{unix}"),
                // How long ago a flow expired.
                (re(r"\d+\.\d\d minutes ago"), "{n} minutes ago"),
            ]
        });
        // The longer address first: one may be a prefix of the other
        // (ports 4433 and 44331); the mock serves both APIs on one.
        let mut bases = [(&self.public, "{public}"), (&self.admin, "{admin}")];
        bases.sort_by_key(|(base, _)| std::cmp::Reverse(base.len()));
        let mut out = text.to_string();
        for (base, shape) in bases {
            out = out.replace(base.as_str(), shape);
        }
        for (address, shape) in &self.shapes {
            out = out.replace(address.as_str(), shape);
        }
        for (pattern, shape) in SHAPES.iter() {
            out = pattern.replace_all(&out, *shape).into_owned();
        }
        out
    }
}

/// The flow in an operation's error answer, when it is one (a 400 with the
/// form and its messages).
pub trait FlowIn {
    fn flow(&self) -> Option<Value> {
        None
    }
}

macro_rules! flow_in {
    ($($error:ident: $($variant:ident)|+;)*) => {$(
        impl FlowIn for kratos_client::$error {
            fn flow(&self) -> Option<Value> {
                match self {
                    $(Self::$variant(flow) => serde_json::to_value(flow).ok(),)+
                    _ => None,
                }
            }
        }
    )*};
}

flow_in! {
    UpdateLoginFlowError: BadRequest;
    UpdateRegistrationFlowError: BadRequest;
    UpdateSettingsFlowError: BadRequest;
    UpdateRecoveryFlowError: BadRequest;
    UpdateVerificationFlowError: BadRequest;
}

macro_rules! no_flow_in {
    ($($error:ident),* $(,)?) => {$(impl FlowIn for kratos_client::$error {})*};
}

no_flow_in!(
    ListIdentitySchemasError,
    UpdateIdentityError,
    ExtendSessionError,
    GetIdentitySchemaError,
    CreateNativeLoginFlowError,
    CreateNativeRegistrationFlowError,
    CreateNativeSettingsFlowError,
    CreateNativeRecoveryFlowError,
    CreateNativeVerificationFlowError,
    GetLoginFlowError,
    GetRegistrationFlowError,
    GetSettingsFlowError,
    GetRecoveryFlowError,
    GetVerificationFlowError,
    ToSessionError,
    ExchangeSessionTokenError,
    ListMySessionsError,
    DisableMySessionError,
    DisableMyOtherSessionsError,
    PerformNativeLogoutError,
    CreateIdentityError,
    GetIdentityError,
    ListIdentitiesError,
    PatchIdentityError,
    DeleteIdentityError,
    BatchPatchIdentitiesError,
    CreateRecoveryCodeForIdentityError,
    ListIdentitySessionsError,
    ListCourierMessagesError,
    DeleteIdentityCredentialsError,
);

/// The fields a summary of any answer shows, where present.
fn summary(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("{} items", items.len()),
        Value::Object(_) if value.get("ui").is_some() => {
            format!("flow state={}", scalar(value.get("state")))
        }
        Value::Object(map) => {
            let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
            keys.sort_unstable();
            format!("{{{}}}", keys.join(","))
        }
        other => other.to_string(),
    }
}

fn scalar(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A UI text: its id, type, text and context.
fn text(value: &Value) -> String {
    let mut text = format!(
        "{}:{} {:?}",
        scalar(value.get("id")),
        scalar(value.get("type")),
        scalar(value.get("text"))
    );
    if let Some(context) = value.get("context").filter(|c| !c.is_null()) {
        text.push_str(&format!(" {context}"));
    }
    text
}

fn texts(value: Option<&Value>) -> String {
    let items = value.and_then(Value::as_array).cloned().unwrap_or_default();
    let texts: Vec<String> = items.iter().map(text).collect();
    format!("[{}]", texts.join(", "))
}

/// A flow: its state and what its form shows, a line per node.
pub fn flow_lines(flow: &Value) -> Vec<String> {
    let mut lines = vec![format!(
        "type={} state={} active={} refresh={} requested_aal={} return_to={}",
        scalar(flow.get("type")),
        scalar(flow.get("state")),
        scalar(flow.get("active")),
        scalar(flow.get("refresh")),
        scalar(flow.get("requested_aal")),
        scalar(flow.get("return_to")),
    )];
    let ui = flow.get("ui").cloned().unwrap_or(Value::Null);
    lines.push(format!(
        "form {} {} messages={}",
        scalar(ui.get("method")),
        scalar(ui.get("action")),
        texts(ui.get("messages"))
    ));
    for node in ui
        .get("nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        lines.push(node_line(node));
    }
    if let Some(items) = flow.get("continue_with").and_then(Value::as_array) {
        lines.push(continue_with_line(items));
    }
    if let Some(identity) = flow.get("identity").filter(|i| !i.is_null()) {
        lines.push(format!("identity {}", identity_line(identity)));
    }
    lines
}

/// One form node: group, type, name, input type, the attributes that
/// matter, its label and messages.
fn node_line(node: &Value) -> String {
    let attributes = node.get("attributes").cloned().unwrap_or(Value::Null);
    let mut line = format!(
        "node {} {}",
        scalar(node.get("group")),
        scalar(node.get("type"))
    );
    for key in ["name", "id", "type"] {
        if let Some(v) = attributes.get(key) {
            line.push_str(&format!(" {key}={}", scalar(Some(v))));
        }
    }
    for key in ["required", "disabled"] {
        if attributes.get(key) == Some(&Value::Bool(true)) {
            line.push_str(&format!(" {key}"));
        }
    }
    for key in ["autocomplete", "pattern", "maxlength", "value", "href"] {
        if let Some(v) = attributes.get(key).filter(|v| !v.is_null()) {
            line.push_str(&format!(" {key}={}", scalar(Some(v))));
        }
    }
    if let Some(t) = attributes.get("text") {
        line.push_str(&format!(" text={}", text(t)));
    }
    if let Some(label) = node.get("meta").and_then(|m| m.get("label")) {
        line.push_str(&format!(" label={}", text(label)));
    }
    let messages = node.get("messages").and_then(Value::as_array);
    if messages.is_some_and(|m| !m.is_empty()) {
        line.push_str(&format!(" messages={}", texts(node.get("messages"))));
    }
    line
}

/// The actions of `continue_with`, in the order sent.
fn continue_with_line(items: &[Value]) -> String {
    let actions: Vec<String> = items
        .iter()
        .map(|item| {
            let mut action = scalar(item.get("action"));
            if let Some(url) = item.get("flow").and_then(|f| f.get("url")) {
                action.push_str(&format!("({})", scalar(Some(url))));
            }
            action
        })
        .collect();
    format!("continue_with [{}]", actions.join(", "))
}

/// An identity: its traits, state, and addresses with their status.
fn identity_line(identity: &Value) -> String {
    let addresses: Vec<String> = identity
        .get("verifiable_addresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| {
            format!(
                "{} verified={} status={}",
                scalar(a.get("value")),
                scalar(a.get("verified")),
                scalar(a.get("status"))
            )
        })
        .collect();
    let recovery: Vec<String> = identity
        .get("recovery_addresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| scalar(a.get("value")))
        .collect();
    format!(
        "traits={} state={} schema={} verifiable=[{}] recovery=[{}]",
        identity.get("traits").cloned().unwrap_or(Value::Null),
        scalar(identity.get("state")),
        scalar(identity.get("schema_id")),
        addresses.join("; "),
        recovery.join("; ")
    )
}

/// A session: whether it is active, its assurance level, how it was
/// authenticated, and its identity (absent while a second factor is due).
pub fn session_line(session: &Value) -> String {
    let methods: Vec<String> = session
        .get("authentication_methods")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| format!("{}:{}", scalar(m.get("method")), scalar(m.get("aal"))))
        .collect();
    let identity = match session.get("identity").filter(|i| !i.is_null()) {
        Some(identity) => identity_line(identity),
        None => "-".into(),
    };
    format!(
        "session active={} aal={} methods=[{}] devices={} identity {}",
        scalar(session.get("active")),
        scalar(session.get("authenticator_assurance_level")),
        methods.join(", "),
        session
            .get("devices")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
        identity
    )
}

/// Runs `journey` on MockKratos, and on a real Kratos when `KRATOS_BIN` is
/// set, each server started from `builder`; then compares what the app saw
/// on each, and fails on the first difference with both records.
///
/// What the real Kratos saw is also kept in `tests/journeys/records/`, one
/// file per test, written when `JOURNEY_RECORD=1` is set with `KRATOS_BIN`.
/// Without a real Kratos the mock is compared with that record, so that a
/// machine without Kratos still holds the mock to the last real run.
pub async fn on_each(builder: TestKratosBuilder, journey: impl AsyncFn(&TestKratos, &mut Seen)) {
    let key = format!("{builder:?}");
    let servers = servers_for(builder).await;
    let mut records: Vec<(String, Vec<String>)> = Vec::new();
    // JOURNEY_ONLY=real (or mock) runs one server alone; JOURNEY_PRINT=1
    // prints each record as it grows, to read a server's answers.
    let only = std::env::var("JOURNEY_ONLY").unwrap_or_default();
    let print = std::env::var_os("JOURNEY_PRINT").is_some();
    for kratos in &servers {
        if (only == "real" && kratos.is_mock()) || (only == "mock" && !kratos.is_mock()) {
            continue;
        }
        println!("== on {}", kratos.name());
        let mut seen = Seen::new(kratos);
        seen.print = print;
        journey(kratos, &mut seen).await;
        records.push((kratos.name(), seen.lines));
    }
    // Done without a panic: the servers serve the next journey with these options.
    give_back(key, servers);
    let file = record_file();
    match &records[..] {
        [(mock_name, mock), (real_name, real)] => {
            compare(mock_name, mock, real_name, real);
            if std::env::var_os("JOURNEY_RECORD").is_some() {
                let text = format!("# {real_name}\n{}\n", real.join("\n"));
                std::fs::write(&file, text).expect("the record is written");
            }
        }
        [(mock_name, mock)] if only.is_empty() => {
            let text = std::fs::read_to_string(&file).unwrap_or_else(|_| {
                panic!(
                    "no record of a real Kratos at {}: run the suite with KRATOS_BIN and JOURNEY_RECORD=1",
                    file.display()
                )
            });
            let mut lines = text.lines();
            let name = lines.next().unwrap_or_default().trim_start_matches("# ");
            let recorded: Vec<String> = lines.map(str::to_string).collect();
            compare(mock_name, mock, &format!("{name} (recorded)"), &recorded);
        }
        _ => {}
    }
}

/// Servers a journey gave back, by their builder's options: the next
/// journey with the same options clears and reuses them (about 0.2 s for a
/// real Kratos) instead of starting new ones (about 1.3 s). Servers left here
/// when the test binary ends are stopped by their watchdogs.
static IDLE: std::sync::Mutex<Vec<(String, Vec<TestKratos>)>> = std::sync::Mutex::new(Vec::new());

/// Idle servers with `builder`'s options, cleared, or new ones.
async fn servers_for(builder: TestKratosBuilder) -> Vec<TestKratos> {
    let key = format!("{builder:?}");
    let idle = {
        let mut idle = IDLE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = idle.iter().position(|(k, _)| *k == key);
        found.map(|at| idle.swap_remove(at).1)
    };
    if let Some(servers) = idle {
        let mut cleared = true;
        for server in &servers {
            match server.clear().await {
                Ok(()) => {}
                // A real Kratos on PostgreSQL (KRATOS_TEST_POSTGRES) is not
                // cleared: new servers, on the next databases.
                Err(KratosServerError::CannotClear) => cleared = false,
                Err(error) => panic!("the server clears: {error}"),
            }
        }
        if cleared {
            return servers;
        }
    }
    builder.start_each().await.expect("the servers start")
}

fn give_back(key: String, servers: Vec<TestKratos>) {
    IDLE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((key, servers));
}

/// The record of the running test: `records/<module>__<test>.txt`.
fn record_file() -> std::path::PathBuf {
    let name = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .replace("::", "__");
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/journeys/records")
        .join(format!("{name}.txt"))
}

/// Fails when the two records differ, showing both around the first
/// difference and every differing line.
fn compare(a_name: &str, a: &[String], b_name: &str, b: &[String]) {
    if a == b {
        return;
    }
    let mut report = format!("{a_name} and {b_name} differ:\n");
    let longest = a.len().max(b.len());
    for i in 0..longest {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            report.push_str(&format!(
                "line {i}:\n  {a_name}: {}\n  {b_name}: {}\n",
                x.map_or("(none)", String::as_str),
                y.map_or("(none)", String::as_str)
            ));
        }
    }
    report.push_str(&format!("\nwhole record on {a_name}:\n{}\n", a.join("\n")));
    report.push_str(&format!("\nwhole record on {b_name}:\n{}\n", b.join("\n")));
    panic!("{report}");
}
