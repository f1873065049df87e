//! One test, two servers: [`TestKratos`] is MockKratos or a real Kratos,
//! with the calls a test makes on either.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Once;

use super::kratos_server::binary_from_env;
use super::options::{kratos_options, Options};
use super::{KratosServer, KratosServerBuilder, KratosServerError, Message, MockKratos};

/// A Kratos for a test: [`MockKratos`], or a real Kratos run by
/// [`KratosServer`]. A test written against it runs on both:
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use kratos_client::testing::TestKratos;
///
/// // MockKratos, then a real Kratos when KRATOS_BIN is set.
/// for kratos in TestKratos::builder().identifier_first(true).start_each().await? {
///     kratos.add_identity("ada@example.com", "correct horse battery", None).await?;
///     let flow = kratos.frontend().create_native_login_flow().send().await?;
///     assert_eq!(flow.ui.methods(), ["identifier_first"], "on {}", kratos.name());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum TestKratos {
    /// The mock.
    Mock(MockKratos),
    /// A real Kratos.
    Real(KratosServer),
}

/// Configures the servers [`TestKratos::builder`] starts: the options of
/// [`MockKratosBuilder`](super::MockKratosBuilder) and
/// [`KratosServerBuilder`](super::KratosServerBuilder), which both servers share.
#[derive(Debug, Clone)]
#[must_use = "call .start_each().await to run the servers"]
pub struct TestKratosBuilder {
    options: Options,
    binary: Option<PathBuf>,
    config_file: Option<PathBuf>,
    schema_files: Vec<(String, PathBuf)>,
}

impl TestKratosBuilder {
    kratos_options!();

    /// The Kratos binary to run. Default: the path in `KRATOS_BIN`.
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// The real Kratos runs your own configuration; see
    /// [`KratosServerBuilder::config_file`]. The mock cannot play one: a
    /// start that would give the mock fails with
    /// [`KratosServerError::NotForMock`].
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// An identity schema of your own for the real Kratos; see
    /// [`KratosServerBuilder::identity_schema_file`]. The mock refuses it
    /// as it refuses [`config_file`](Self::config_file).
    pub fn identity_schema_file(mut self, id: &str, path: impl Into<PathBuf>) -> Self {
        self.schema_files.push((id.to_string(), path.into()));
        self
    }

    /// Starts one server: a real Kratos when a binary is given or
    /// `KRATOS_BIN` is set, MockKratos otherwise. A test written on it runs
    /// on the mock everywhere, and on a real Kratos wherever one is
    /// provided.
    pub async fn start(self) -> Result<TestKratos, KratosServerError> {
        let real = self.real();
        Ok(match real.binary_path() {
            Some(_) => TestKratos::Real(real.start().await?),
            None => TestKratos::Mock(self.mock()?.start().await),
        })
    }

    /// Starts MockKratos, then a real Kratos when a binary is given or
    /// `KRATOS_BIN` is set. Without one, says `SKIPPED: KRATOS_BIN is not
    /// set` on stderr (once per test binary) and gives the mock alone.
    ///
    /// Fails when the real Kratos does not start: a binary that is set
    /// but broken is an error, not a skip.
    pub async fn start_each(self) -> Result<Vec<TestKratos>, KratosServerError> {
        let mut servers = vec![TestKratos::Mock(self.mock()?.start().await)];
        let real = self.real();
        match real.binary_path() {
            Some(_) => servers.push(TestKratos::Real(real.start().await?)),
            None => say_skipped(),
        }
        Ok(servers)
    }

    /// The mock with these options, unless one asks for what only a real
    /// Kratos plays.
    fn mock(&self) -> Result<super::MockKratosBuilder, KratosServerError> {
        if self.config_file.is_some() {
            return Err(KratosServerError::NotForMock {
                option: "config_file",
            });
        }
        if !self.schema_files.is_empty() {
            return Err(KratosServerError::NotForMock {
                option: "identity_schema_file",
            });
        }
        Ok(super::MockKratosBuilder::from_options(self.options.clone()))
    }

    /// The real server with these options and binary.
    fn real(&self) -> KratosServerBuilder {
        let mut real = KratosServer::builder();
        real.options = self.options.clone();
        real.config_file = self.config_file.clone();
        real.schema_files = self.schema_files.clone();
        match &self.binary {
            Some(binary) => real.binary(binary.clone()),
            None => real,
        }
    }
}

/// Says once per process that the real server is skipped, on the terminal
/// even while the test harness captures output.
fn say_skipped() {
    static SAID: Once = Once::new();
    SAID.call_once(|| {
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: KRATOS_BIN is not set; tests on TestKratos run on MockKratos only"
        );
    });
}

impl TestKratos {
    /// Starts a real Kratos with the default options when `KRATOS_BIN` is
    /// set, MockKratos otherwise.
    pub async fn start() -> Result<TestKratos, KratosServerError> {
        Self::builder().start().await
    }

    /// Configures the servers to start.
    pub fn builder() -> TestKratosBuilder {
        TestKratosBuilder {
            options: Options::default(),
            binary: None,
            config_file: None,
            schema_files: Vec::new(),
        }
    }

    /// Whether a real Kratos will run: a binary is in `KRATOS_BIN`.
    pub fn real_available() -> bool {
        binary_from_env().is_some()
    }

    /// `MockKratos`, or `Kratos` and its version, for messages.
    pub fn name(&self) -> String {
        match self {
            TestKratos::Mock(_) => "MockKratos".into(),
            TestKratos::Real(server) => format!("Kratos {}", server.version()),
        }
    }

    /// Whether this is the mock.
    pub fn is_mock(&self) -> bool {
        matches!(self, TestKratos::Mock(_))
    }

    /// The public API's base URL.
    pub fn uri(&self) -> String {
        match self {
            TestKratos::Mock(mock) => mock.uri(),
            TestKratos::Real(server) => server.uri(),
        }
    }

    /// The admin API's base URL (the mock serves both on one).
    pub fn admin_uri(&self) -> String {
        match self {
            TestKratos::Mock(mock) => mock.admin_uri(),
            TestKratos::Real(server) => server.admin_uri(),
        }
    }

    /// The frontend API.
    pub fn frontend(&self) -> crate::FrontendApi {
        match self {
            TestKratos::Mock(mock) => mock.frontend(),
            TestKratos::Real(server) => server.frontend(),
        }
    }

    /// The admin API for identities, their sessions and recovery.
    #[cfg(feature = "identity")]
    pub fn identity(&self) -> crate::IdentityApi {
        match self {
            TestKratos::Mock(mock) => mock.identity(),
            TestKratos::Real(server) => server.identity(),
        }
    }

    /// The courier API.
    #[cfg(feature = "courier")]
    pub fn courier(&self) -> crate::CourierApi {
        match self {
            TestKratos::Mock(mock) => mock.courier(),
            TestKratos::Real(server) => server.courier(),
        }
    }

    /// Adds an identity that signs in with `email` and `password` (traits
    /// `email`, and `name` when given), and returns its id.
    pub async fn add_identity(
        &self,
        email: &str,
        password: &str,
        name: Option<&str>,
    ) -> Result<String, KratosServerError> {
        match self {
            TestKratos::Mock(mock) => Ok(mock.add_identity(email, password, name)),
            TestKratos::Real(server) => server.add_identity(email, password, name).await,
        }
    }

    /// The emails the server sent or queued, oldest first.
    pub async fn messages(&self) -> Result<Vec<Message>, KratosServerError> {
        match self {
            TestKratos::Mock(mock) => Ok(mock.messages()),
            TestKratos::Real(server) => server.messages().await,
        }
    }

    /// The mock, where this is one: for what only a mock can do, such as
    /// [`MockKratos::mount`]ing a stub of your own. `None` on a real
    /// Kratos, which has no stubs: a test that needs one skips that part
    /// there.
    pub fn as_mock(&self) -> Option<&MockKratos> {
        match self {
            TestKratos::Mock(mock) => Some(mock),
            TestKratos::Real(_) => None,
        }
    }

    /// Empties the server between tests: no identities, sessions, flows
    /// or messages, the options as they were; see [`MockKratos::clear`]
    /// and [`KratosServer::clear`]. A suite can share one server and clear
    /// it before each test instead of starting one per test.
    pub async fn clear(&self) -> Result<(), KratosServerError> {
        match self {
            TestKratos::Mock(mock) => {
                mock.clear().await;
                Ok(())
            }
            TestKratos::Real(server) => server.clear().await,
        }
    }

    /// The code in the last email to `address`, if any.
    pub async fn last_code(&self, address: &str) -> Result<Option<String>, KratosServerError> {
        match self {
            TestKratos::Mock(mock) => Ok(mock.last_code(address)),
            TestKratos::Real(server) => server.last_code(address).await,
        }
    }
}

impl From<MockKratos> for TestKratos {
    fn from(mock: MockKratos) -> Self {
        TestKratos::Mock(mock)
    }
}

impl From<KratosServer> for TestKratos {
    fn from(server: KratosServer) -> Self {
        TestKratos::Real(server)
    }
}
