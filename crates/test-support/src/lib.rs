//! Test support: starting the real `rolecall` server on 127.0.0.1, bootstrapping accounts,
//! finding the Python peers (awscli, boto3, moto) in the project's venv and the JavaScript SDK
//! in its `.node` folder, and giving each test its own PostgreSQL database. Every server
//! started here is killed when its handle drops.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// True when running under CI, where a missing peer is a failure instead of a skip.
#[must_use]
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The workspace root.
#[must_use]
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root exists")
}

/// The venv's Python with awscli, boto3 and moto, or `None` (after saying why) when the
/// test should be skipped. Under CI a missing venv panics.
#[must_use]
pub fn python() -> Option<PathBuf> {
    let path = std::env::var_os("ROLECALL_TEST_PYTHON")
        .map_or_else(|| workspace_root().join(".venv/bin/python"), PathBuf::from);
    if path.exists() {
        return Some(path);
    }
    let msg = format!(
        "the Python peers are not installed ({} is missing); run scripts/test.sh, which installs them",
        path.display()
    );
    assert!(!in_ci(), "{msg}");
    eprintln!("SKIPPED: {msg}");
    None
}

/// The `node_modules` folder holding the AWS SDK for JavaScript v3 (`@aws-sdk/client-sts`),
/// from `ROLECALL_TEST_NODE_MODULES` or the project's `.node/node_modules`, or `None` (after
/// saying why) when the test should be skipped. Under CI missing modules panic.
#[must_use]
pub fn node_modules() -> Option<PathBuf> {
    let path = std::env::var_os("ROLECALL_TEST_NODE_MODULES").map_or_else(
        || workspace_root().join(".node/node_modules"),
        PathBuf::from,
    );
    if path.join("@aws-sdk/client-sts/package.json").exists() {
        return Some(path);
    }
    let msg = format!(
        "the AWS SDK for JavaScript is not installed ({} has no @aws-sdk/client-sts); run scripts/test.sh, which installs it",
        path.display()
    );
    assert!(!in_ci(), "{msg}");
    eprintln!("SKIPPED: {msg}");
    None
}

/// The PostgreSQL server URL from `ROLECALL_TEST_DATABASE_URL`, or `None` (after saying why).
/// Under CI a missing database panics.
#[must_use]
pub fn postgres_url() -> Option<String> {
    if let Ok(url) = std::env::var("ROLECALL_TEST_DATABASE_URL") {
        return Some(url);
    }
    let msg = "ROLECALL_TEST_DATABASE_URL is not set; run scripts/test.sh, which starts a PostgreSQL server";
    assert!(!in_ci(), "{msg}");
    eprintln!("SKIPPED: {msg}");
    None
}

/// Creates a fresh database on the test PostgreSQL server and returns its URL.
///
/// # Panics
/// When the server cannot be reached.
#[must_use]
pub fn fresh_postgres_database(base_url: &str) -> String {
    let name = format!("rc_{}_{}", std::process::id(), unique());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(rolecall_store::create_database(base_url, &name))
        .expect("create a database on the test PostgreSQL server");
    let (prefix, _) = base_url.rsplit_once('/').expect("database URL has a path");
    format!("{prefix}/{name}")
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    N.fetch_add(1, Ordering::Relaxed) * 1_000_000_007 + nanos
}

/// Which store a test server uses.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The embedded SQLite store in the server's data dir.
    Sqlite,
    /// PostgreSQL at this URL.
    Postgres(String),
}

/// Credentials printed by `rolecall server bootstrap`.
#[derive(Debug, Clone)]
pub struct Admin {
    /// Account id.
    pub account_id: String,
    /// Administrator ARN.
    pub arn: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

/// A running `rolecall server`.
#[derive(Debug)]
pub struct Server {
    child: Option<Child>,
    bin: PathBuf,
    data: tempfile::TempDir,
    backend: Backend,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The start line the server printed.
    pub start_line: String,
    extra_args: Vec<String>,
    wrapper: Vec<String>,
}

impl Server {
    /// Starts the server binary `bin` on an ephemeral loopback port.
    ///
    /// # Panics
    /// When the server does not start within ten seconds.
    #[must_use]
    pub fn start(bin: &Path, backend: Backend) -> Self {
        Self::start_with(bin, backend, &[])
    }

    /// Starts with extra command-line arguments (e.g. `--enforcement soft`).
    ///
    /// # Panics
    /// When the server does not start within ten seconds.
    #[must_use]
    pub fn start_with(bin: &Path, backend: Backend, extra: &[&str]) -> Self {
        Self::start_wrapped(bin, backend, extra, &[])
    }

    /// Starts the server as the command of `wrapper`, a program that runs the rest of its
    /// command line in its own process (`prlimit --as=536870912 --`), so that the server runs
    /// under the wrapper's limits and is still the process this handle kills.
    ///
    /// # Panics
    /// When the server does not start within ten seconds.
    #[must_use]
    pub fn start_wrapped(bin: &Path, backend: Backend, extra: &[&str], wrapper: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut s = Self {
            child: None,
            bin: bin.to_owned(),
            data,
            backend,
            endpoint: String::new(),
            start_line: String::new(),
            extra_args: extra.iter().map(|a| (*a).to_owned()).collect(),
            wrapper: wrapper.iter().map(|a| (*a).to_owned()).collect(),
        };
        s.launch("127.0.0.1:0");
        s
    }

    fn store_args(&self) -> Vec<String> {
        let mut args = vec![
            "--data-dir".to_owned(),
            self.data.path().display().to_string(),
        ];
        if let Backend::Postgres(url) = &self.backend {
            args.push("--database".into());
            args.push(url.clone());
        }
        args
    }

    fn launch(&mut self, listen: &str) {
        let mut cmd = match self.wrapper.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(&self.bin);
                cmd
            }
            None => Command::new(&self.bin),
        };
        cmd.arg("server")
            .arg("--listen")
            .arg(listen)
            .args(self.store_args())
            .args(&self.extra_args);
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .stdin(Stdio::null());
        let mut child = cmd.spawn().expect("start rolecall server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the server printed its start line");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .expect("start line names the address");
        self.endpoint = format!("http://{addr}");
        self.start_line = line.trim().to_owned();
        self.child = Some(child);
    }

    /// Kills the server with SIGKILL (no graceful shutdown) and starts it again on the same port.
    ///
    /// # Panics
    /// When the restart fails.
    pub fn kill_and_restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let addr = self.endpoint.trim_start_matches("http://").to_owned();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpListener::bind(&addr).is_ok() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.launch(&addr);
    }

    /// Runs `rolecall server bootstrap` against this server's store.
    ///
    /// # Panics
    /// When bootstrap fails or prints something other than one JSON object.
    #[must_use]
    pub fn bootstrap(&self, account: &str, user: &str) -> Admin {
        self.run_bootstrap(&["--account-id", account, "--user-name", user])
    }

    /// Runs `rolecall server bootstrap --root`: an access key for the account root.
    ///
    /// # Panics
    /// When bootstrap fails.
    #[must_use]
    pub fn bootstrap_root(&self, account: &str) -> Admin {
        self.run_bootstrap(&["--account-id", account, "--root"])
    }

    fn run_bootstrap(&self, args: &[&str]) -> Admin {
        let out = Command::new(&self.bin)
            .args(["server", "bootstrap"])
            .args(args)
            .args(self.store_args())
            .output()
            .expect("run bootstrap");
        assert!(
            out.status.success(),
            "bootstrap failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert_eq!(
            text.trim().lines().count(),
            1,
            "bootstrap prints exactly one line: {text}"
        );
        let v: serde_json::Value =
            serde_json::from_str(text.trim()).expect("bootstrap prints JSON");
        let get = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("bootstrap output lacks {k}: {text}"))
                .to_owned()
        };
        Admin {
            account_id: get("AccountId"),
            arn: get("Arn"),
            access_key_id: get("AccessKeyId"),
            secret_access_key: get("SecretAccessKey"),
        }
    }

    /// The data directory.
    #[must_use]
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Stops the server as a clean stop does (SIGTERM) and waits, at most ten seconds, for it
    /// to exit; returns whether it exited successfully.
    ///
    /// # Panics
    /// When the server does not exit in time.
    pub fn terminate(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        terminate_child(&mut child, Duration::from_secs(10))
            .expect("the server did not stop within ten seconds of SIGTERM")
            .success()
    }
}

/// Stops `child` as a clean stop does (SIGTERM) and waits at most `within` for it to exit: its
/// exit status, or `None` when it did not exit in time (it is then killed).
pub fn terminate_child(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + within;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs a Python test script from `dir` with the venv's interpreter and the given environment,
/// returning its stdout. The script's own assertions decide; a failing script fails the test
/// with its output.
///
/// # Panics
/// When the script fails.
#[must_use]
pub fn run_python(python: &Path, script: &Path, env: &[(&str, &str)]) -> String {
    let out = Command::new(python)
        .arg(script)
        .envs(env.iter().copied())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
