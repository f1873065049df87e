//! A real Kratos for tests: [`KratosServer`] runs a Kratos binary the user
//! provides as a child process, configured like [`MockKratos`](super::MockKratos)
//! from the same options, on loopback ports of its own, with a SQLite file
//! of its own, and stops it when dropped.

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use super::options::{kratos_options, Options};
use super::store::Random;
use super::Message;
use crate::Client;

/// How long `version` and the migrations may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server may take to answer `/health/ready`, by default.
const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How often start-up checks on the server.
const POLL: Duration = Duration::from_millis(25);
/// How many lines of Kratos's log an error shows.
const LOG_TAIL_LINES: usize = 25;
/// How often a start is tried again when a free port was taken by another
/// process before Kratos could bind it.
const PORT_ATTEMPTS: usize = 3;

/// Configures a [`KratosServer`]. Made by [`KratosServer::builder`]; its
/// options are [`MockKratosBuilder`](super::MockKratosBuilder)'s, so a test
/// can run on both.
#[derive(Debug, Clone)]
#[must_use = "call .start().await to run the server"]
pub struct KratosServerBuilder {
    pub(super) options: Options,
    binary: Option<PathBuf>,
    ports: Option<(u16, u16)>,
    start_timeout: Duration,
    /// The user's own configuration, and identity schemas in place of its own.
    pub(super) config_file: Option<PathBuf>,
    pub(super) schema_files: Vec<(String, PathBuf)>,
    /// A PostgreSQL database for this server, in place of SQLite.
    database_url: Option<crate::Secret>,
}

impl KratosServerBuilder {
    kratos_options!();

    /// The Kratos binary to run. Default: the path in the environment
    /// variable `KRATOS_BIN`.
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// Binds the public and the admin API to these ports on 127.0.0.1.
    /// Default: two free ports, chosen at start (and chosen again should
    /// another process take one first).
    pub fn ports(mut self, public: u16, admin: u16) -> Self {
        self.ports = Some((public, admin));
        self
    }

    /// Runs the server on the PostgreSQL database at `url`
    /// (`postgres://user:password@127.0.0.1:5432/name?sslmode=disable`)
    /// instead of a SQLite file of its own. The database must exist and be
    /// the server's alone: the server migrates it, and
    /// [`KratosServer::clear`] cannot empty it (it answers
    /// [`KratosServerError::CannotClear`]; start a new server on a new
    /// database instead). The library never starts PostgreSQL: a test or
    /// a script does (Debian's `postgresql`: `pg_ctlcluster 15 main
    /// start`, then `createdb`).
    ///
    /// Default: SQLite, unless the environment variable
    /// `KRATOS_TEST_POSTGRES` holds such a URL with `{n}` in it (as
    /// `.../kratos_test_{n}?sslmode=disable`): each server started in the
    /// process then takes the next number from 1, and the databases must
    /// exist (`createdb kratos_test_1`, ...). The password never shows in
    /// `Debug`, errors or the kept log.
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(crate::Secret::new(url.into()));
        self
    }

    /// The PostgreSQL URL this server runs on, if any: the one given, or the
    /// next of `KRATOS_TEST_POSTGRES`.
    fn postgres(&self) -> Option<crate::Secret> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
        if let Some(url) = &self.database_url {
            return Some(url.clone());
        }
        let template = std::env::var("KRATOS_TEST_POSTGRES")
            .ok()
            .filter(|t| t.contains("{n}"))?;
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(crate::Secret::new(template.replace("{n}", &n.to_string())))
    }

    /// How long the server may take to migrate its database and answer
    /// `/health/ready`. Default: 60 seconds.
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Runs Kratos with your own configuration (the `kratos.yml` or JSON you
    /// deploy), so that a test meets the flows, methods, hooks and policies
    /// your users do. Written over it is only what a test must own: the
    /// addresses (127.0.0.1, ports of its own, `serve.*.base_url`), the
    /// database (a SQLite file in the server's folder), the courier (queued,
    /// read through the courier API), the secrets, the log, and no
    /// HaveIBeenPwned check; and, of this builder's options, those the test
    /// sets. Kratos runs in the file's folder, so that the schema paths in it
    /// resolve as they do beside it; [`identity_schema_file`](Self::identity_schema_file)
    /// replaces them where they do not (an absolute path of a container).
    ///
    /// MockKratos cannot play a configuration: a [`TestKratos`](super::TestKratos)
    /// given one refuses to start its mock ([`KratosServerError::NotForMock`]).
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// An identity schema of your own under the id `id`, in place of the
    /// schemas the configuration file lists (all of them, once one is
    /// given); the first one given is the default.
    pub fn identity_schema_file(mut self, id: &str, path: impl Into<PathBuf>) -> Self {
        self.schema_files.push((id.to_string(), path.into()));
        self
    }

    /// The binary this builder would run: the one given, or `KRATOS_BIN`.
    pub(super) fn binary_path(&self) -> Option<PathBuf> {
        self.binary.clone().or_else(binary_from_env)
    }

    /// The user's configuration file as an absolute path, once it is
    /// known to be a file.
    fn user_config(&self) -> Result<Option<PathBuf>, KratosServerError> {
        let Some(path) = &self.config_file else {
            return Ok(None);
        };
        let path = absolute(path)?;
        if !path.is_file() {
            return Err(KratosServerError::Io {
                what: format!("a Kratos configuration from {}", path.display()),
                source: io::Error::new(io::ErrorKind::NotFound, "no such file"),
            });
        }
        Ok(Some(path))
    }

    /// Checks the binary, writes the configuration and identity schema into
    /// a new temporary folder, migrates a SQLite database there, starts
    /// `kratos serve` and waits until both APIs answer `/health/ready`.
    ///
    /// Fails with an error naming the cause (no binary, not Kratos, a port
    /// taken, an exit or a timeout during start-up, with the end of
    /// Kratos's log); no process is left running then.
    pub async fn start(self) -> Result<KratosServer, KratosServerError> {
        let binary = self.binary_path().ok_or(KratosServerError::NoBinary)?;
        let version = kratos_version(&binary).await?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let ports = match self.ports {
                Some(ports) => ports,
                None => (free_port()?, free_port()?),
            };
            match self.start_on(&binary, &version, ports).await {
                Err(KratosServerError::PortTaken { .. })
                    if self.ports.is_none() && attempts < PORT_ATTEMPTS =>
                {
                    continue
                }
                result => return result,
            }
        }
    }

    async fn start_on(
        &self,
        binary: &Path,
        version: &str,
        (public_port, admin_port): (u16, u16),
    ) -> Result<KratosServer, KratosServerError> {
        let mut dir = Folder::create()?;
        let mut random = Random::new();
        let secrets = [random.code(32), random.code(32), random.code(32)];
        let public = format!("http://127.0.0.1:{public_port}");
        let admin = format!("http://127.0.0.1:{admin_port}");
        let mut schema_paths = Vec::new();
        for (id, traits) in self.options.all_schemas() {
            let path = dir.path.join(match id {
                "default" => "identity.schema.json".to_string(),
                other => format!("identity.{other}.schema.json"),
            });
            write(&path, &super::options::schema_json(traits))?;
            schema_paths.push((id.to_string(), path));
        }
        let user = self.user_config()?;
        let postgres = self.postgres();
        let dsn = match &postgres {
            Some(url) => url.expose().to_string(),
            None => format!(
                "sqlite://{}?_fk=true&mode=rwc",
                dir.path.join(DATABASE).display()
            ),
        };
        let mut config = kratos_config(
            &self.options,
            user.is_some(),
            &dsn,
            &schema_paths,
            (public_port, admin_port),
            &secrets,
        );
        if !self.schema_files.is_empty() {
            let schemas: Vec<Value> = self
                .schema_files
                .iter()
                .map(|(id, path)| {
                    let path = absolute(path)?;
                    let url = url::Url::from_file_path(&path)
                        .map(String::from)
                        .unwrap_or_else(|()| format!("file://{}", path.display()));
                    Ok(json!({"id": id, "url": url}))
                })
                .collect::<Result<_, KratosServerError>>()?;
            put_at(
                &mut config,
                "identity.default_schema_id",
                json!(self.schema_files[0].0),
            );
            put_at(&mut config, "identity.schemas", json!(schemas));
        }
        let config_path = dir.path.join("kratos.json");
        write(&config_path, &config.to_string())?;
        // The providers' client secrets and the hooks' API keys are
        // blanked in its log too.
        let provider_secrets = self
            .options
            .social_sign_ins
            .iter()
            .map(|p| p.client_secret.expose().to_string())
            .chain(
                self.options
                    .web_hooks
                    .iter()
                    .filter_map(|h| h.auth.as_ref())
                    .flat_map(super::options::HookAuth::log_secrets),
            )
            .filter(|s| !s.is_empty());
        // The database's password too.
        let database_secrets = postgres
            .as_ref()
            .and_then(|url| url::Url::parse(url.expose()).ok())
            .and_then(|url| url.password().map(str::to_string));
        let log = Log {
            path: dir.path.join("kratos.log"),
            secrets: secrets
                .iter()
                .cloned()
                .chain(provider_secrets)
                .chain(database_secrets)
                .collect(),
        };
        // Kratos reads its files in order, each over the ones before.
        let mut config_args: Vec<String> = Vec::new();
        if let Some(user) = &user {
            config_args.extend(["-c".to_string(), user.to_string_lossy().into_owned()]);
        }
        config_args.extend(["-c".to_string(), config_path.to_string_lossy().into_owned()]);
        let cwd = user
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        let deadline = Instant::now() + self.start_timeout;

        // Migrations write thousands of lines: a log of their own keeps
        // the server's log short.
        let migrate_log = Log {
            path: dir.path.join("migrate.log"),
            secrets: log.secrets.clone(),
        };
        let mut migrate = kratos_command(binary, &migrate_log, cwd.as_deref())?;
        migrate
            .args(["migrate", "sql", "-e", "--yes"])
            .args(&config_args);
        let status = run(migrate, binary, COMMAND_TIMEOUT.min(self.start_timeout)).await?;
        if !status.success() {
            return Err(KratosServerError::Migration {
                status: describe(status),
                log: migrate_log.tail(),
                log_path: dir.keep().join("migrate.log"),
            });
        }

        // What `clear` puts back: the database as migrated, before any test.
        let database = dir.path.join(DATABASE);
        if database.exists() {
            copy(&database, &dir.path.join(PRISTINE_DATABASE))?;
        }
        let serving = Serving {
            binary: binary.to_path_buf(),
            config_args,
            cwd,
            ports: (public_port, admin_port),
            start_timeout: self.start_timeout,
        };
        let process = match serving.serve(&log, &dir.path, deadline).await {
            Ok(process) => process,
            Err(failure) => {
                return Err(failure.into_error(&log, dir.keep_log(), self.start_timeout))
            }
        };
        Ok(KratosServer {
            process: Mutex::new(process),
            dir,
            log,
            public,
            admin,
            version: version.to_string(),
            serving: Box::new(serving),
            postgres: postgres.is_some(),
        })
    }
}

/// The database file in a server's folder, and the copy of it as migrated.
const DATABASE: &str = "kratos.sqlite";
const PRISTINE_DATABASE: &str = "kratos.migrated.sqlite";

/// How a server's `kratos serve` runs: started once, and again by `clear`.
#[derive(Debug)]
struct Serving {
    binary: PathBuf,
    /// The `-c` arguments, and the folder Kratos runs in (the user's
    /// configuration's, if there is one).
    config_args: Vec<String>,
    cwd: Option<PathBuf>,
    ports: (u16, u16),
    start_timeout: Duration,
}

/// Why `kratos serve` did not come up.
enum ServeFailure {
    Io(KratosServerError),
    Exited(ExitStatus, Option<u16>),
    NotReady,
}

impl ServeFailure {
    fn into_error(self, log: &Log, log_path: PathBuf, timeout: Duration) -> KratosServerError {
        match self {
            ServeFailure::Io(error) => error,
            ServeFailure::Exited(_, Some(port)) => KratosServerError::PortTaken {
                port,
                log: log.tail(),
                log_path,
            },
            ServeFailure::Exited(status, None) => KratosServerError::Exited {
                status: describe(status),
                log: log.tail(),
                log_path,
            },
            ServeFailure::NotReady => KratosServerError::NotReady {
                timeout,
                log: log.tail(),
                log_path,
            },
        }
    }
}

impl Serving {
    /// Starts `kratos serve` in `folder` and waits until both APIs answer
    /// `/health/ready`, or it exits, or `deadline` passes (then it is stopped).
    async fn serve(
        &self,
        log: &Log,
        folder: &Path,
        deadline: Instant,
    ) -> Result<Process, ServeFailure> {
        let (public_port, admin_port) = self.ports;
        let public = format!("http://127.0.0.1:{public_port}");
        let admin = format!("http://127.0.0.1:{admin_port}");
        let mut serve =
            kratos_command(&self.binary, log, self.cwd.as_deref()).map_err(ServeFailure::Io)?;
        serve
            .args(["serve", "--dev", "--sqa-opt-out"])
            .args(&self.config_args);
        let child = spawn(serve, &self.binary).map_err(ServeFailure::Io)?;
        let mut process = Process::new(child, Some(folder));
        // The crate's own client (no redirects, its TLS set up).
        let http = client(&admin).http().clone();
        loop {
            if let Some(status) = process.exited() {
                let taken = taken_port(&log.text(), &[public_port, admin_port]);
                return Err(ServeFailure::Exited(status, taken));
            }
            if ready(&http, &public).await && ready(&http, &admin).await {
                return Ok(process);
            }
            if Instant::now() >= deadline {
                process.stop();
                return Err(ServeFailure::NotReady);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// A real Kratos, started from a binary the user provides, for tests.
/// Stops when dropped, also when the test panics; if the test binary ends
/// without dropping it (a server kept in a `static`), it is stopped then
/// too (on Unix).
///
/// It is configured like [`MockKratos`](super::MockKratos) from the same
/// options: the same identity schema, registration, login (by password,
/// identifier-first, a second factor by code), settings, recovery and
/// verification by code. It binds 127.0.0.1 only, keeps its SQLite
/// database and its log in a temporary folder of its own (kept, and named
/// on stderr, when the test panics), runs in dev mode so the courier API
/// shows message bodies, and makes no outgoing connection (telemetry and
/// the HaveIBeenPwned check off, the courier never dispatching).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use kratos_client::testing::KratosServer;
///
/// // KRATOS_BIN=/path/to/kratos
/// let kratos = KratosServer::builder().second_factor(true).start().await?;
/// let flow = kratos.frontend().create_native_login_flow().send().await?;
/// assert_eq!(flow.ui.method, "POST");
/// # Ok(())
/// # }
/// ```
pub struct KratosServer {
    process: Mutex<Process>,
    dir: Folder,
    log: Log,
    public: String,
    admin: String,
    version: String,
    /// How to start `kratos serve` again (`clear`); boxed, as it is rarely read.
    serving: Box<Serving>,
    /// Whether it runs on PostgreSQL (`clear` cannot empty that).
    postgres: bool,
}

impl fmt::Debug for KratosServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KratosServer")
            .field("version", &self.version)
            .field("uri", &self.public)
            .field("admin_uri", &self.admin)
            .finish_non_exhaustive()
    }
}

impl KratosServer {
    /// Starts a server with the default options from the binary in
    /// `KRATOS_BIN`.
    pub async fn start() -> Result<KratosServer, KratosServerError> {
        Self::builder().start().await
    }

    /// Configures a server before starting it.
    pub fn builder() -> KratosServerBuilder {
        KratosServerBuilder {
            options: Options::default(),
            binary: None,
            ports: None,
            start_timeout: DEFAULT_START_TIMEOUT,
            config_file: None,
            schema_files: Vec::new(),
            database_url: None,
        }
    }

    /// The public API's base URL, such as `http://127.0.0.1:40123`.
    pub fn uri(&self) -> String {
        self.public.clone()
    }

    /// The admin API's base URL.
    pub fn admin_uri(&self) -> String {
        self.admin.clone()
    }

    /// The version the binary reports: a release's tag, such as `v26.2.0`,
    /// or `master` for a Kratos built from source without release flags.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The temporary folder with the server's configuration, identity
    /// schema, database and log (`kratos.log`).
    pub fn folder(&self) -> &Path {
        &self.dir.path
    }

    /// A client for the public API.
    pub fn client(&self) -> Client {
        client(&self.public)
    }

    /// The frontend API of this server.
    pub fn frontend(&self) -> crate::FrontendApi {
        self.client().frontend()
    }

    /// The admin API for identities, their sessions and recovery.
    #[cfg(feature = "identity")]
    pub fn identity(&self) -> crate::IdentityApi {
        client(&self.admin).identity()
    }

    /// The courier API: the messages Kratos queued.
    #[cfg(feature = "courier")]
    pub fn courier(&self) -> crate::CourierApi {
        client(&self.admin).courier()
    }

    /// Ok while the server runs; once it has exited, an error with its
    /// exit status and the end of its log.
    pub fn running(&self) -> Result<(), KratosServerError> {
        let exited = self
            .process
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .exited();
        match exited {
            None => Ok(()),
            Some(status) => Err(KratosServerError::Stopped {
                status: describe(status),
                log: self.log.tail(),
            }),
        }
    }

    /// Stops the server and starts it again on the same ports, database
    /// and configuration, keeping everything it stored: for a test of what
    /// an app does while Kratos is away (a request in flight then gets a
    /// broken connection, the next ones a refused one until it is back).
    /// Fails as [`KratosServerBuilder::start`] does when it does not come
    /// back.
    pub async fn restart(&self) -> Result<(), KratosServerError> {
        self.restart_after(Duration::ZERO).await
    }

    /// Stops the server, waits `away`, and starts it again as
    /// [`restart`](Self::restart) does: an outage of a known length, for
    /// a test of what gives up while Kratos is away and what carries on
    /// once it is back.
    pub async fn restart_after(&self, away: Duration) -> Result<(), KratosServerError> {
        self.process
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stop();
        tokio::time::sleep(away).await;
        self.serve_again().await
    }

    /// Starts `kratos serve` again after a stop.
    async fn serve_again(&self) -> Result<(), KratosServerError> {
        let folder = &self.dir.path;
        let deadline = Instant::now() + self.serving.start_timeout;
        let process = self
            .serving
            .serve(&self.log, folder, deadline)
            .await
            .map_err(|failure| {
                failure.into_error(
                    &self.log,
                    folder.join("kratos.log"),
                    self.serving.start_timeout,
                )
            })?;
        *self.process.lock().unwrap_or_else(PoisonError::into_inner) = process;
        Ok(())
    }

    /// Empties the server between tests: no identities, sessions, flows or
    /// messages, the configuration as it was. Kratos has no call for that,
    /// so the server stops, gets back its database as migrated, and starts
    /// again on the same ports (about 0.2 s, against 1.3 s for a new
    /// server). Clear only while no test is using the server.
    ///
    /// Fails as [`KratosServerBuilder::start`] does when the server does
    /// not come back, and with [`KratosServerError::CannotClear`] on
    /// PostgreSQL.
    pub async fn clear(&self) -> Result<(), KratosServerError> {
        if self.postgres {
            return Err(KratosServerError::CannotClear);
        }
        self.process
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stop();
        let folder = &self.dir.path;
        for stale in [
            "kratos.sqlite-wal",
            "kratos.sqlite-shm",
            "kratos.sqlite-journal",
        ] {
            let _ = fs::remove_file(folder.join(stale));
        }
        copy(&folder.join(PRISTINE_DATABASE), &folder.join(DATABASE))?;
        self.serve_again().await
    }

    /// An HTTP client for the admin API, made for each call: a server kept
    /// in a `static` serves tests that each run their own async runtime,
    /// and a pooled connection dies with the runtime that opened it.
    fn http(&self) -> reqwest::Client {
        client(&self.admin).http().clone()
    }

    /// The operating system's id of the Kratos process.
    pub fn pid(&self) -> u32 {
        self.process
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .child
            .id()
    }

    /// Adds an identity through the admin API that signs in with `email`
    /// and `password` (traits `email`, and `name` when given), and returns
    /// its id.
    pub async fn add_identity(
        &self,
        email: &str,
        password: &str,
        name: Option<&str>,
    ) -> Result<String, KratosServerError> {
        self.running()?;
        let mut traits = json!({ "email": email });
        if let Some(name) = name {
            traits["name"] = json!(name);
        }
        let body = json!({
            "schema_id": "default",
            "traits": traits,
            "credentials": {"password": {"config": {"password": password}}},
        });
        let url = format!("{}/admin/identities", self.admin);
        let request = self
            .http()
            .post(&url)
            .header("content-type", "application/json")
            .body(body.to_string());
        let answer = self.admin_call(request).await?;
        answer
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| self.admin_error("POST /admin/identities", 201, "no id"))
    }

    /// The messages Kratos queued (recovery, verification and login
    /// codes), oldest first, read from the courier API. `Debug` leaves out
    /// their bodies and codes.
    pub async fn messages(&self) -> Result<Vec<Message>, KratosServerError> {
        self.running()?;
        let mut messages = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = url::Url::parse(&format!("{}/admin/courier/messages", self.admin))
                .map_err(|e| self.admin_error("GET /admin/courier/messages", 0, &e.to_string()))?;
            url.query_pairs_mut().append_pair("page_size", "500");
            if let Some(token) = &token {
                url.query_pairs_mut().append_pair("page_token", token);
            }
            let response =
                self.http().get(url).send().await.map_err(|e| {
                    self.admin_error("GET /admin/courier/messages", 0, &e.to_string())
                })?;
            let next = crate::page::next_page_token(response.headers())
                .ok()
                .flatten();
            let status = response.status().as_u16();
            let bytes = response.bytes().await.map_err(|e| {
                self.admin_error("GET /admin/courier/messages", status, &e.to_string())
            })?;
            let page: Value = serde_json::from_slice(&bytes).map_err(|e| {
                self.admin_error("GET /admin/courier/messages", status, &e.to_string())
            })?;
            let Some(items) = page.as_array() else {
                return Err(self.admin_error("GET /admin/courier/messages", status, "not a list"));
            };
            messages.extend(items.iter().filter_map(message));
            match next {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        messages.sort_by_key(|m| m.created_at);
        Ok(messages)
    }

    /// The code in the last message queued for `address`, if any: what a
    /// user would type in from their inbox.
    pub async fn last_code(&self, address: &str) -> Result<Option<String>, KratosServerError> {
        let address = address.trim().to_lowercase();
        Ok(self
            .messages()
            .await?
            .into_iter()
            .rev()
            .find(|m| m.recipient == address)
            .map(|m| m.code().to_string()))
    }

    async fn admin_call(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, KratosServerError> {
        let response = request
            .send()
            .await
            .map_err(|e| self.admin_error("the admin API", 0, &e.to_string()))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(self.admin_error("the admin API", status, &text));
        }
        serde_json::from_str(&text)
            .map_err(|e| self.admin_error("the admin API", status, &e.to_string()))
    }

    /// An admin call that did not work: because Kratos stopped, if it did.
    fn admin_error(&self, call: &str, status: u16, detail: &str) -> KratosServerError {
        if let Err(stopped) = self.running() {
            return stopped;
        }
        KratosServerError::Admin {
            call: call.to_string(),
            status,
            detail: self.log.blank(detail),
        }
    }
}

impl Drop for KratosServer {
    fn drop(&mut self) {
        let process = self
            .process
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        let exited = process.exited();
        process.stop();
        if let Some(status) = exited {
            let _ = writeln_stderr(&format!(
                "Kratos exited during the test ({}); the end of its log:\n{}",
                describe(status),
                self.log.tail()
            ));
        }
        if std::thread::panicking() {
            let path = self.dir.keep();
            let _ = writeln_stderr(&format!(
                "the test panicked: Kratos's configuration and log are kept in {}",
                path.display()
            ));
        }
    }
}

/// Why a [`KratosServer`] did not start, or stopped working.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KratosServerError {
    /// No binary was given and `KRATOS_BIN` is not set.
    #[error("KRATOS_BIN is not set: point it at a Kratos binary (a release from https://github.com/ory/kratos/releases), or pass one to KratosServerBuilder::binary")]
    NoBinary,
    /// The binary does not exist.
    #[error("the Kratos binary {} does not exist", path.display())]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The binary cannot be run.
    #[error("the Kratos binary {} is not executable", path.display())]
    NotExecutable {
        /// The path given.
        path: PathBuf,
    },
    /// The binary ran but is not Kratos: `version` did not answer as
    /// Kratos does.
    #[error("{} is not Kratos: `{} version` answered {output:?}", path.display(), path.display())]
    NotKratos {
        /// The path given.
        path: PathBuf,
        /// The start of what it printed.
        output: String,
    },
    /// Another process bound one of the ports first.
    #[error("port {port} on 127.0.0.1 was taken by another process before Kratos could bind it; the end of Kratos's log ({}):\n{log}", log_path.display())]
    PortTaken {
        /// The port.
        port: u16,
        /// The end of Kratos's log, secrets blanked.
        log: String,
        /// Where the whole log is kept.
        log_path: PathBuf,
    },
    /// Migrating the database failed.
    #[error("Kratos could not migrate its database ({status}); the end of its log ({}):\n{log}", log_path.display())]
    Migration {
        /// How the migration ended.
        status: String,
        /// The end of Kratos's log, secrets blanked.
        log: String,
        /// Where the whole log is kept.
        log_path: PathBuf,
    },
    /// Kratos exited before it was ready.
    #[error("Kratos exited during start-up ({status}); the end of its log ({}):\n{log}", log_path.display())]
    Exited {
        /// How it ended.
        status: String,
        /// The end of Kratos's log, secrets blanked.
        log: String,
        /// Where the whole log is kept.
        log_path: PathBuf,
    },
    /// Kratos did not answer `/health/ready` in time; it was stopped.
    #[error("Kratos was not ready within {timeout:?}; the end of its log ({}):\n{log}", log_path.display())]
    NotReady {
        /// The start timeout.
        timeout: Duration,
        /// The end of Kratos's log, secrets blanked.
        log: String,
        /// Where the whole log is kept.
        log_path: PathBuf,
    },
    /// A running server exited.
    #[error("Kratos has exited ({status}); the end of its log:\n{log}")]
    Stopped {
        /// How it ended.
        status: String,
        /// The end of Kratos's log, secrets blanked.
        log: String,
    },
    /// [`KratosServer::clear`] on a server that runs on PostgreSQL
    /// ([`KratosServerBuilder::database_url`]): it has no migrated copy of
    /// its database to put back.
    #[error("a server on PostgreSQL cannot be cleared: start a new one on a new database")]
    CannotClear,
    /// MockKratos was asked for something only a real Kratos can play,
    /// such as a configuration file of your own.
    #[error("MockKratos cannot play {option}: run this test on a real Kratos (KRATOS_BIN), or leave the option out")]
    NotForMock {
        /// The builder option, such as `config_file`.
        option: &'static str,
    },
    /// A call to the admin API by one of the server's helpers failed.
    #[error("{call} answered {status}: {detail}")]
    Admin {
        /// What was called.
        call: String,
        /// The HTTP status, 0 when there was no answer.
        status: u16,
        /// What went wrong, secrets blanked.
        detail: String,
    },
    /// A file or process could not be made.
    #[error("could not make {what}: {source}")]
    Io {
        /// What was being made.
        what: String,
        /// Why not.
        source: io::Error,
    },
}

impl KratosServerError {
    /// Where Kratos's whole log is kept, for errors during start-up.
    pub fn log_path(&self) -> Option<&Path> {
        match self {
            KratosServerError::PortTaken { log_path, .. }
            | KratosServerError::Migration { log_path, .. }
            | KratosServerError::Exited { log_path, .. }
            | KratosServerError::NotReady { log_path, .. } => Some(log_path),
            _ => None,
        }
    }
}

/// `KRATOS_BIN`, when set and not empty.
pub(super) fn binary_from_env() -> Option<PathBuf> {
    std::env::var_os("KRATOS_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn client(base: &str) -> Client {
    // Our own base URLs, built from a port number, always parse.
    Client::new(base).unwrap_or_else(|e| unreachable!("Kratos's URL {base}: {e}"))
}

/// Writes a line to stderr directly: the test harness captures only
/// `eprintln!`, and a kept log must be found also when output is captured.
fn writeln_stderr(text: &str) -> io::Result<()> {
    use io::Write;
    writeln!(io::stderr().lock(), "{text}")
}

/// What `version` says, when the binary is Kratos.
async fn kratos_version(binary: &Path) -> Result<String, KratosServerError> {
    match fs::metadata(binary) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(KratosServerError::Missing {
                path: binary.to_path_buf(),
            })
        }
        Ok(meta) if !meta.is_file() || !is_executable(&meta) => {
            return Err(KratosServerError::NotExecutable {
                path: binary.to_path_buf(),
            })
        }
        _ => {}
    }
    let output_path = std::env::temp_dir().join(format!("kratos-client-version-{}", unique()));
    let output = File::create(&output_path).map_err(|source| KratosServerError::Io {
        what: format!("{}", output_path.display()),
        source,
    })?;
    let mut command = Command::new(binary);
    command
        .arg("version")
        .env_clear()
        .stdin(Stdio::null())
        .stdout(stdio(&output, &output_path)?)
        .stderr(stdio(&output, &output_path)?);
    let status = run(command, binary, COMMAND_TIMEOUT).await;
    let printed = fs::read_to_string(&output_path).unwrap_or_default();
    let _ = fs::remove_file(&output_path);
    let not_kratos = || KratosServerError::NotKratos {
        path: binary.to_path_buf(),
        output: printed.chars().take(200).collect(),
    };
    match status {
        Ok(status) if status.success() => {}
        Ok(_) => return Err(not_kratos()),
        Err(KratosServerError::NotKratos { path, .. }) => {
            return Err(KratosServerError::NotKratos {
                path,
                output: printed.chars().take(200).collect(),
            })
        }
        Err(e) => return Err(e),
    }
    // Kratos prints `Version:\t\t\tv26.2.0` among its build details.
    printed
        .lines()
        .find_map(|line| line.trim().strip_prefix("Version:"))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(not_kratos)
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &fs::Metadata) -> bool {
    true
}

/// A command for `binary` with a cleared environment (Kratos reads any
/// variable named like a configuration key: `DSN`, `DEV`, `SERVE_...`),
/// writing to the log.
fn kratos_command(
    binary: &Path,
    log: &Log,
    cwd: Option<&Path>,
) -> Result<Command, KratosServerError> {
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log.path)
        .map_err(|source| KratosServerError::Io {
            what: format!("{}", log.path.display()),
            source,
        })?;
    let mut command = Command::new(binary);
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    command
        .env_clear()
        .stdin(Stdio::null())
        .stdout(stdio(&file, &log.path)?)
        .stderr(stdio(&file, &log.path)?);
    Ok(command)
}

fn stdio(file: &File, path: &Path) -> Result<Stdio, KratosServerError> {
    file.try_clone()
        .map(Stdio::from)
        .map_err(|source| KratosServerError::Io {
            what: format!("{}", path.display()),
            source,
        })
}

fn spawn(mut command: Command, binary: &Path) -> Result<Child, KratosServerError> {
    command.spawn().map_err(|e| {
        let path = binary.to_path_buf();
        match e.kind() {
            io::ErrorKind::NotFound => KratosServerError::Missing { path },
            io::ErrorKind::PermissionDenied => KratosServerError::NotExecutable { path },
            // ENOEXEC: a file the system cannot run, such as text.
            _ if e.raw_os_error() == Some(8) => KratosServerError::NotKratos {
                path,
                output: String::new(),
            },
            _ => KratosServerError::Io {
                what: format!("a process for {}", binary.display()),
                source: e,
            },
        }
    })
}

/// Runs a short command to its end, killing it after `timeout`.
async fn run(
    command: Command,
    binary: &Path,
    timeout: Duration,
) -> Result<ExitStatus, KratosServerError> {
    let mut process = Process::new(spawn(command, binary)?, None);
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = process.exited() {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            process.stop();
            return Err(KratosServerError::Io {
                what: format!("{} answer", binary.display()),
                source: io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no answer within {timeout:?}"),
                ),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A child process, and on Unix a watchdog that kills it if this process
/// ends without stopping it (a server held in a `static` is never dropped).
struct Process {
    child: Child,
    exited: Option<ExitStatus>,
    #[cfg(unix)]
    watchdog: Option<Child>,
}

impl Process {
    /// Watches `child`; `folder`, when given, is removed with it if this
    /// process ends without stopping it (nothing drops a server kept in a
    /// `static`, so nothing else would remove its folder).
    fn new(child: Child, folder: Option<&Path>) -> Process {
        // The watchdog reads its stdin, a pipe only this process writes to:
        // the read ends when this process ends (or stops the watchdog), and
        // the watchdog then kills the child.
        #[cfg(unix)]
        let watchdog = Command::new("sh")
            .args([
                "-c",
                "read -r _; kill -9 \"$1\" 2>/dev/null; [ -n \"$2\" ] && rm -rf -- \"$2\"",
                "kratos-watchdog",
            ])
            .arg(child.id().to_string())
            .arg(folder.map(Path::as_os_str).unwrap_or_default())
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        Process {
            child,
            exited: None,
            #[cfg(unix)]
            watchdog,
        }
    }

    /// How the child ended, once it has.
    fn exited(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.exited = Some(status);
                self.stop_watchdog();
            }
        }
        self.exited
    }

    /// Kills the child and waits for it.
    fn stop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            // The child is not reaped yet, so its pid cannot be reused
            // before the watchdog is gone.
            self.stop_watchdog();
            if let Ok(status) = self.child.wait() {
                self.exited = Some(status);
            }
        }
        self.stop_watchdog();
    }

    fn stop_watchdog(&mut self) {
        #[cfg(unix)]
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Kratos's log file, and the secrets to blank when showing it.
struct Log {
    path: PathBuf,
    secrets: Vec<String>,
}

impl Log {
    fn text(&self) -> String {
        fs::read(&self.path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// The last lines of the log, secrets blanked.
    fn tail(&self) -> String {
        let text = self.text();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
        self.blank(&tail)
    }

    /// `text` with the server's secrets, session tokens, and the values of
    /// secret fields and query parameters blanked.
    fn blank(&self, text: &str) -> String {
        let mut redactor = crate::secret::Redactor::default();
        for secret in &self.secrets {
            redactor.add(secret);
        }
        blank_tokens(&redactor.text(text))
    }
}

/// Blanks Ory tokens (`ory_st_...`, `ory_ht_...`, any `ory_xx_` prefix)
/// and the values of query parameters named like secret fields
/// (`code=...`, `token=...`), as a request log writes them.
fn blank_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c.is_ascii_alphabetic()) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let word_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let word = &rest[..word_end];
        let is_token =
            word.len() > 7 && word.starts_with("ory_") && word.as_bytes().get(6) == Some(&b'_');
        if is_token {
            out.push_str(&word[..7]);
            out.push_str(crate::secret::REDACTED);
            rest = &rest[word_end..];
            continue;
        }
        out.push_str(word);
        rest = &rest[word_end..];
        if crate::secret::SECRET_FIELDS.contains(&word) {
            if let Some(value) = rest.strip_prefix('=') {
                let end = value
                    .find(['&', ' ', ']', '"', '\n', ','])
                    .unwrap_or(value.len());
                out.push('=');
                out.push_str(crate::secret::REDACTED);
                rest = &value[end..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The port among `ours` that the log says another process had bound.
fn taken_port(log: &str, ours: &[u16]) -> Option<u16> {
    log.lines()
        .filter(|line| line.contains("address already in use"))
        .find_map(|line| {
            ours.iter()
                .copied()
                .find(|port| line.contains(&format!("127.0.0.1:{port}:")))
        })
}

async fn ready(http: &reqwest::Client, base: &str) -> bool {
    let request = http
        .get(format!("{base}/health/ready"))
        .timeout(Duration::from_secs(2));
    match request.send().await {
        Ok(response) => response.status().is_success(),
        Err(_) => false,
    }
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16, KratosServerError> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|source| KratosServerError::Io {
            what: "a free port on 127.0.0.1".into(),
            source,
        })
}

fn describe(status: ExitStatus) -> String {
    status.to_string()
}

/// A number no other folder or file of this process has used.
fn unique() -> String {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}-{}-{:x}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed),
        crate::random::seed() & 0xffff_ffff
    )
}

fn write(path: &Path, text: &str) -> Result<(), KratosServerError> {
    fs::write(path, text).map_err(|source| KratosServerError::Io {
        what: format!("{}", path.display()),
        source,
    })
}

/// `path` from the current folder, for a process that runs elsewhere.
fn absolute(path: &Path) -> Result<PathBuf, KratosServerError> {
    std::path::absolute(path).map_err(|source| KratosServerError::Io {
        what: format!("an absolute path of {}", path.display()),
        source,
    })
}

fn copy(from: &Path, to: &Path) -> Result<(), KratosServerError> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|source| KratosServerError::Io {
            what: format!("{} to {}", from.display(), to.display()),
            source,
        })
}

/// The server's temporary folder: removed with the server, unless kept.
struct Folder {
    path: PathBuf,
    kept: bool,
}

impl Folder {
    fn create() -> Result<Folder, KratosServerError> {
        let path = std::env::temp_dir().join(format!("kratos-server-{}", unique()));
        fs::create_dir_all(&path).map_err(|source| KratosServerError::Io {
            what: format!("{}", path.display()),
            source,
        })?;
        Ok(Folder { path, kept: false })
    }

    /// Keeps the folder after the server is gone, and says where it is.
    fn keep(&mut self) -> PathBuf {
        self.kept = true;
        self.path.clone()
    }

    /// Keeps the folder, and says where its log is.
    fn keep_log(&mut self) -> PathBuf {
        self.keep().join("kratos.log")
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// An email as the courier API lists it, in the shape MockKratos keeps.
fn message(value: &Value) -> Option<Message> {
    let text = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or_default();
    let body = text("body").to_string();
    let created_at = humantime::parse_rfc3339(text("created_at")).ok()?;
    Some(Message {
        id: text("id").to_string(),
        created_at,
        recipient: text("recipient").to_lowercase(),
        template_type: text("template_type").to_string(),
        subject: text("subject").to_string(),
        code: code_in(&body),
        body,
    })
}

/// The one-time code in an email Kratos writes: its templates put the code
/// on a line of its own.
fn code_in(body: &str) -> String {
    body.lines()
        .map(str::trim)
        .find(|line| line.len() >= 6 && line.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_default()
        .to_string()
}

/// A hook's `auth` as Kratos's configuration writes it.
fn hook_auth(auth: &super::options::HookAuth) -> Value {
    match auth {
        super::options::HookAuth::ApiKey {
            name,
            value,
            cookie,
        } => json!({"type": "api_key", "config": {
            "name": name,
            "value": value.expose(),
            "in": if *cookie { "cookie" } else { "header" },
        }}),
        super::options::HookAuth::Basic { user, password } => {
            json!({"type": "basic_auth", "config": {
                "user": user,
                "password": password.expose(),
            }})
        }
    }
}

/// A web hook as Kratos's configuration writes it: the whole context as
/// the body.
fn web_hook_config(hook: &super::WebHook) -> Value {
    use super::options::HookResponse;
    let mut config = json!({
        "url": hook.url,
        "method": "POST",
        // function(ctx) ctx
        "body": "base64://ZnVuY3Rpb24oY3R4KSBjdHg=",
    });
    match hook.response {
        HookResponse::Wait => {}
        HookResponse::Parse => config["response"] = json!({"parse": true}),
        HookResponse::Ignore => config["response"] = json!({"ignore": true}),
    }
    if let Some(auth) = &hook.auth {
        config["auth"] = hook_auth(auth);
    }
    json!({"hook": "web_hook", "config": config})
}

/// The hooks of `options` by their place in Kratos's configuration (a
/// registration's `session` hook after the hooks that parse their answer,
/// before the others), and the password migration hook.
fn hooks_config(options: &Options, put: &mut impl FnMut(&str, Value)) {
    use super::options::{HookPoint, HookResponse};
    use crate::flow::FlowKind;
    let mut places: Vec<(String, Vec<Value>)> = Vec::new();
    // The hooks of `place`, to add to.
    fn at(places: &mut Vec<(String, Vec<Value>)>, place: String) -> &mut Vec<Value> {
        let index = match places.iter().position(|(p, _)| *p == place) {
            Some(index) => index,
            None => {
                places.push((place, Vec::new()));
                places.len() - 1
            }
        };
        &mut places[index].1
    }
    // Signing up signs in, by password or through a provider.
    for method in ["password", "oidc"] {
        let place = format!("selfservice.flows.registration.after.{method}.hooks");
        at(&mut places, place).push(json!({"hook": "session"}));
    }
    let parsed = |hook: &&super::WebHook| hook.response == HookResponse::Parse;
    let (first, rest): (Vec<_>, Vec<_>) = options.web_hooks.iter().partition(parsed);
    for hook in first.into_iter().chain(rest) {
        let place = match &hook.point {
            HookPoint::Before(kind) => format!("selfservice.flows.{}.before.hooks", kind.as_str()),
            HookPoint::After(kind, method) => {
                format!("selfservice.flows.{}.after.{method}.hooks", kind.as_str())
            }
            HookPoint::PasswordMigration => {
                let mut config = json!({"url": hook.url, "method": "POST"});
                if let Some(auth) = &hook.auth {
                    config["auth"] = hook_auth(auth);
                }
                put(
                    "selfservice.methods.password.config.migrate_hook",
                    json!({"enabled": true, "config": config}),
                );
                continue;
            }
        };
        let config = web_hook_config(hook);
        let registration = matches!(&hook.point, HookPoint::After(FlowKind::Registration, _));
        let hooks = at(&mut places, place);
        if registration && hook.response == HookResponse::Parse {
            // Ahead of the session hook.
            let session = hooks
                .iter()
                .position(|h| h["hook"] == "session")
                .unwrap_or(hooks.len());
            hooks.insert(session, config);
        } else {
            hooks.push(config);
        }
    }
    for (place, hooks) in places {
        put(&place, json!(hooks));
    }
}

/// The Jsonnet that turns `provider`'s claims into traits: each mapped
/// claim the user has fills its trait, where the default schema has it.
fn claims_mapper(provider: &super::SocialSignIn, traits: &[super::options::Trait]) -> String {
    let fields: Vec<String> = provider
        .traits
        .iter()
        .filter(|(_, name)| traits.iter().any(|t| t.name == *name))
        .map(|(claim, name)| {
            let (claim, name) = (Value::from(claim.as_str()), Value::from(name.as_str()));
            format!("[if std.objectHas(claims, {claim}) then {name}]: claims[{claim}]")
        })
        .collect();
    format!(
        "local claims = std.extVar('claims');\n{{ identity: {{ traits: {{ {} }} }} }}\n",
        fields.join(", ")
    )
}

/// A duration as Kratos's configuration reads it (Go's syntax).
fn go_duration(duration: Duration) -> String {
    format!("{}ms", duration.as_millis().max(1))
}

/// Kratos's configuration for `options`: all of it, or, over a
/// configuration the user gives (`user` is true), only what a test must own
/// (addresses, database, courier, secrets, log, no outgoing check) and the
/// options the test set.
fn kratos_config(
    options: &Options,
    user: bool,
    dsn: &str,
    schemas: &[(String, PathBuf)],
    (public_port, admin_port): (u16, u16),
    [cookie, cipher, default]: &[String; 3],
) -> Value {
    let public = format!("http://127.0.0.1:{public_port}/");
    let mut config = json!({});
    let mut put = |path: &str, value: Value| put_at(&mut config, path, value);
    // What a test owns, over any configuration.
    put("dsn", json!(dsn));
    for (api, port, base) in [
        ("public", public_port, public.clone()),
        (
            "admin",
            admin_port,
            format!("http://127.0.0.1:{admin_port}/"),
        ),
    ] {
        put(
            &format!("serve.{api}"),
            json!({"base_url": base, "host": "127.0.0.1", "port": port, "request_log": {"disable_for_health": true}}),
        );
    }
    // No outgoing connection to api.pwnedpasswords.com.
    put(
        "selfservice.methods.password.config.haveibeenpwned_enabled",
        json!(false),
    );
    // The courier only queues: `serve` runs without `--watch-courier`, and
    // this address takes no mail.
    put(
        "courier.smtp.connection_uri",
        json!("smtp://127.0.0.1:1/?disable_starttls=true"),
    );
    put(
        "secrets",
        json!({"cookie": [cookie], "cipher": [cipher], "default": [default]}),
    );
    put("log", json!({"level": "info", "format": "text"}));

    // How MockKratos plays Kratos, unless the user's configuration says.
    if !user {
        put("selfservice.methods.password.enabled", json!(true));
        put("selfservice.methods.code.enabled", json!(true));
        put("selfservice.methods.profile.enabled", json!(true));
        // One form with the traits and the password, as MockKratos plays
        // it (Kratos's default asks for the traits first).
        put(
            "selfservice.flows.registration.enable_legacy_one_step",
            json!(true),
        );
        for flow in ["recovery", "verification"] {
            put(
                &format!("selfservice.flows.{flow}"),
                json!({"enabled": true, "use": "code"}),
            );
        }
        // The cheapest cost Kratos allows: tests hash many passwords.
        put(
            "hashers",
            json!({"algorithm": "bcrypt", "bcrypt": {"cost": 4}}),
        );
        put("feature_flags.use_continue_with_transitions", json!(true));
    }

    // The options: every one over the mock's defaults, only those the test
    // set over the user's configuration.
    let wanted = |option: &str| !user || options.is_set(option);
    if wanted("web_hook") {
        hooks_config(options, &mut put);
    }
    if wanted("identity_trait") || wanted("identity_schema") {
        let schemas: Vec<Value> = schemas
            .iter()
            .map(|(id, path)| {
                let url = url::Url::from_file_path(path)
                    .map(String::from)
                    .unwrap_or_else(|()| format!("file://{}", path.display()));
                json!({"id": id, "url": url, "selfservice_selectable": true})
            })
            .collect();
        put("identity.default_schema_id", json!("default"));
        put("identity.schemas", json!(schemas));
    }
    if wanted("flow_lifetime") {
        let lifespan = go_duration(options.flow_lifetime);
        for flow in [
            "registration",
            "login",
            "settings",
            "recovery",
            "verification",
        ] {
            put(
                &format!("selfservice.flows.{flow}.lifespan"),
                json!(lifespan),
            );
        }
    }
    if wanted("registration_enabled") {
        put(
            "selfservice.flows.registration.enabled",
            json!(options.registration_enabled),
        );
    }
    if wanted("oidc_providers") || wanted("social_sign_in") {
        let mut providers: Vec<Value> = options
            .oidc_providers
            .iter()
            .map(|id| {
                json!({
                    "id": id,
                    "provider": "github",
                    "client_id": "kratos-client-test",
                    "client_secret": "kratos-client-test",
                    // Maps the provider's email claim to the identifier trait.
                    "mapper_url": "base64://bG9jYWwgY2xhaW1zID0gc3RkLmV4dFZhcignY2xhaW1zJyk7IHsgaWRlbnRpdHk6IHsgdHJhaXRzOiB7IGVtYWlsOiBjbGFpbXMuZW1haWwgfSB9IH0=",
                    "scope": ["user:email"],
                })
            })
            .collect();
        providers.extend(options.social_sign_ins.iter().map(|provider| {
            let mut config = json!({
                "id": provider.id,
                "provider": "generic",
                "client_id": provider.client_id,
                "client_secret": provider.client_secret.expose(),
                "issuer_url": provider.issuer,
                "mapper_url": format!("base64://{}", base64::engine::general_purpose::STANDARD.encode(claims_mapper(provider, &options.traits))),
                "scope": ["openid", "email", "profile"],
                "pkce": "force",
            });
            if let Some(label) = &provider.label {
                config["label"] = json!(label);
            }
            config
        }));
        put(
            "selfservice.methods.oidc.enabled",
            json!(!providers.is_empty()),
        );
        put(
            "selfservice.methods.oidc.config.providers",
            json!(providers),
        );
    }
    if wanted("identifier_first") {
        let style = if options.identifier_first {
            "identifier_first"
        } else {
            "unified"
        };
        put("selfservice.flows.login.style", json!(style));
    }
    if wanted("second_factor") {
        put(
            "selfservice.methods.code.mfa_enabled",
            json!(options.second_factor),
        );
    }
    if wanted("second_factor") || wanted("required_aal") {
        let required = options.required_aal_config();
        put("selfservice.flows.settings.required_aal", json!(required));
        put("session.whoami.required_aal", json!(required));
    }
    if wanted("passwordless_code") {
        put(
            "selfservice.methods.code.passwordless_enabled",
            json!(options.passwordless_code),
        );
    }
    if wanted("privileged_session_max_age") {
        put(
            "selfservice.flows.settings.privileged_session_max_age",
            json!(go_duration(options.privileged_session_max_age)),
        );
    }
    if wanted("allowed_return_urls") {
        put(
            "selfservice.allowed_return_urls",
            json!(options.allowed_return_urls),
        );
    }
    if wanted("default_browser_return_url") {
        put(
            "selfservice.default_browser_return_url",
            json!(options.default_return(&public)),
        );
    }
    if wanted("cacheable_sessions") {
        put(
            "feature_flags.cacheable_sessions",
            json!(options.cacheable_sessions.is_some()),
        );
        put(
            "feature_flags.cacheable_sessions_max_age",
            json!(go_duration(options.cacheable_sessions.unwrap_or_default())),
        );
    }
    if wanted("min_password_length") {
        put(
            "selfservice.methods.password.config.min_password_length",
            json!(options.min_password_length),
        );
    }
    if wanted("notify_unknown_recipients") {
        for flow in ["recovery", "verification"] {
            put(
                &format!("selfservice.flows.{flow}.notify_unknown_recipients"),
                json!(options.notify_unknown_recipients),
            );
        }
    }
    if wanted("session_lifespan") {
        put(
            "session.lifespan",
            json!(go_duration(options.session_lifespan)),
        );
    }
    if options.is_set("earliest_possible_extend") {
        put(
            "session.earliest_possible_extend",
            json!(go_duration(options.extend_window())),
        );
    }
    if options.ui_base.is_some() {
        for page in super::options::UI_PAGES {
            put(
                &format!("selfservice.flows.{page}.ui_url"),
                json!(options.ui_url(page)),
            );
        }
    }
    config
}

/// Sets the value at a dotted `path` of `config`, making the objects on the way.
fn put_at(config: &mut Value, path: &str, value: Value) {
    let mut at = config;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if !at.is_object() {
            *at = json!({});
        }
        let Value::Object(map) = at else { return };
        if keys.peek().is_none() {
            map.insert(key.to_string(), value);
            return;
        }
        at = map.entry(key).or_insert_with(|| json!({}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_secret_parameters_are_blanked_in_logs() {
        let line = "query:flow=1f&code=123456&init_code=abc other ory_st_AbC123 and token=xyz]";
        assert_eq!(
            blank_tokens(line),
            "query:flow=1f&code=<redacted>&init_code=<redacted> other ory_st_<redacted> and token=<redacted>]"
        );
        assert_eq!(blank_tokens("a story_st_x"), "a story_st_x");
    }

    #[test]
    fn the_code_is_the_line_of_digits() {
        let body = "Verify your account with the following code:\n\n131945\n\nor clicking http://x/?code=131945\n";
        assert_eq!(code_in(body), "131945");
        assert_eq!(code_in("no code here 12"), "");
    }

    #[test]
    fn the_taken_port_is_read_from_the_log() {
        let log = "Usage...\nlisten tcp 127.0.0.1:4433: bind: address already in use\n";
        assert_eq!(taken_port(log, &[4434, 4433]), Some(4433));
        assert_eq!(taken_port(log, &[4435]), None);
    }

    #[test]
    fn durations_are_written_as_go_reads_them() {
        assert_eq!(go_duration(Duration::from_secs(3600)), "3600000ms");
        assert_eq!(go_duration(Duration::from_micros(10)), "1ms");
    }
}
