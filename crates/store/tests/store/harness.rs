//! Runs one test body on one backend, and the fixtures the bodies share.

use std::future::Future;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rolecall_store::{
    AccessKey, Backend, Entity, EntityKind, ManagedPolicy, MfaDevice, Role, Store,
};
use sqlx::AnyPool;

/// Asserts that a store result is the error matching `pattern`, showing the result otherwise.
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(,)?) => {
        match $result {
            Err($pattern) => {}
            other => panic!("expected Err({}), got {other:?}", stringify!($pattern)),
        }
    };
}
pub(crate) use assert_err;

/// The account most tests work in, and a second one to check isolation.
pub(crate) const ACCOUNT: &str = "111122223333";
pub(crate) const OTHER_ACCOUNT: &str = "444455556666";
/// The creation time fixtures use.
pub(crate) const T0: i64 = 1_700_000_000;

/// Where a test database lives: enough to open it again, to open another connection to it,
/// or to make a fresh sibling on the same backend.
#[derive(Debug)]
pub(crate) enum Location {
    /// `rolecall.db` in `dir`, which `Store::open_sqlite` creates.
    Sqlite {
        dir: PathBuf,
        _tmp: tempfile::TempDir,
    },
    /// A database of its own on the test server.
    Postgres { server: String, url: String },
}

impl Location {
    fn sqlite() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        // A directory that does not exist yet: opening the store creates it.
        let dir = tmp.path().join("data");
        Self::Sqlite { dir, _tmp: tmp }
    }

    /// Opens the store here, running migrations as the server does at start-up.
    pub(crate) async fn open(&self) -> rolecall_store::Result<Store> {
        match self {
            Self::Sqlite { dir, .. } => Store::open_sqlite(dir).await,
            Self::Postgres { url, .. } => Store::connect(url).await,
        }
    }

    /// A plain connection pool to the same database, for looking at the schema and for
    /// planting the rows that make a transaction fail half-way.
    pub(crate) async fn raw(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        let url = match self {
            Self::Sqlite { dir, .. } => format!("sqlite://{}", dir.join("rolecall.db").display()),
            Self::Postgres { url, .. } => url.clone(),
        };
        sqlx::pool::PoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .expect("raw connection to the test database")
    }

    /// A new, empty database on the same backend.
    pub(crate) async fn fresh(&self) -> Self {
        match self {
            Self::Sqlite { .. } => Self::sqlite(),
            Self::Postgres { server, .. } => {
                // The helper runs its own runtime, so it runs off this one's threads.
                let base = server.clone();
                let url = tokio::task::spawn_blocking(move || {
                    rolecall_test_support::fresh_postgres_database(&base)
                })
                .await
                .expect("create a fresh PostgreSQL database");
                Self::Postgres {
                    server: server.clone(),
                    url,
                }
            }
        }
    }

    /// The backend this location is on.
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Self::Sqlite { .. } => Backend::Sqlite,
            Self::Postgres { .. } => Backend::Postgres,
        }
    }
}

/// What a test body gets: the opened store and where its database lives.
#[derive(Debug)]
pub(crate) struct Db {
    pub(crate) store: Store,
    pub(crate) location: Location,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn run<F, Fut>(location: Location, test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    runtime().block_on(async move {
        let store = location
            .open()
            .await
            .unwrap_or_else(|e| panic!("open a fresh {:?} store: {e}", location.backend()));
        let keep = store.clone();
        test(Db { store, location }).await;
        keep.close().await;
    });
}

/// Runs `test` on a fresh SQLite database in a temporary directory.
pub(crate) fn run_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    run(Location::sqlite(), test);
}

/// Runs `test` on a fresh database of the test PostgreSQL server, or skips it (saying so)
/// when `ROLECALL_TEST_DATABASE_URL` is not set; under CI a missing server fails the test.
pub(crate) fn run_postgres<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(server) = postgres_server(name) else {
        return;
    };
    let url = rolecall_test_support::fresh_postgres_database(&server);
    run(Location::Postgres { server, url }, test);
}

fn postgres_server(test: &str) -> Option<String> {
    // Panics under CI when the variable is missing.
    if let Some(url) = rolecall_test_support::postgres_url() {
        return Some(url);
    }
    // The test harness captures `eprintln!`; say it once where it is always seen.
    static NOTICE: std::sync::Once = std::sync::Once::new();
    NOTICE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: the PostgreSQL half of the store tests (postgres::*): \
             ROLECALL_TEST_DATABASE_URL is not set; scripts/test.sh starts a server and sets it"
        );
    });
    eprintln!("SKIPPED: {test}: ROLECALL_TEST_DATABASE_URL is not set");
    None
}

fn next_id() -> u64 {
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A user, group or instance profile with a fresh unique id.
pub(crate) fn entity(kind: EntityKind, account: &str, name: &str, path: &str) -> Entity {
    let prefix = match kind {
        EntityKind::User => "AIDA",
        EntityKind::Group => "AGPA",
        EntityKind::Role => "AROA",
        EntityKind::InstanceProfile => "AIPA",
    };
    Entity {
        account_id: account.to_owned(),
        name: name.to_owned(),
        path: path.to_owned(),
        id: format!("{prefix}TEST{:016}", next_id()),
        created_at: T0,
        boundary_arn: None,
    }
}

/// A user at `/` in [`ACCOUNT`].
pub(crate) fn user(name: &str) -> Entity {
    entity(EntityKind::User, ACCOUNT, name, "/")
}

/// A group at `/` in [`ACCOUNT`].
pub(crate) fn group(name: &str) -> Entity {
    entity(EntityKind::Group, ACCOUNT, name, "/")
}

/// A trust policy naming `principal`.
pub(crate) fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

/// A role at `path` in `account` with a one-hour session limit.
pub(crate) fn role_in(account: &str, name: &str, path: &str) -> Role {
    Role {
        entity: entity(EntityKind::Role, account, name, path),
        trust_policy: trust(&format!("arn:aws:iam::{account}:root")),
        description: None,
        max_session_duration: 3600,
        last_used_at: None,
    }
}

/// A role at `/` in [`ACCOUNT`].
pub(crate) fn role(name: &str) -> Role {
    role_in(ACCOUNT, name, "/")
}

/// An identity policy document allowing `action`.
pub(crate) fn doc(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

/// A customer managed policy (version `v1`) of `account` at `path`.
pub(crate) fn policy_in(account: &str, name: &str, path: &str) -> ManagedPolicy {
    ManagedPolicy {
        arn: format!("arn:aws:iam::{account}:policy{path}{name}"),
        account_id: account.to_owned(),
        name: name.to_owned(),
        path: path.to_owned(),
        id: format!("ANPATEST{:016}", next_id()),
        default_version: "v1".to_owned(),
        description: None,
        created_at: T0,
        updated_at: T0,
        attachment_count: 0,
        boundary_usage_count: 0,
    }
}

/// A customer managed policy at `/` in [`ACCOUNT`].
pub(crate) fn policy(name: &str) -> ManagedPolicy {
    policy_in(ACCOUNT, name, "/")
}

/// An AWS managed policy.
pub(crate) fn aws_policy(name: &str) -> ManagedPolicy {
    let mut p = policy_in("aws", name, "/");
    p.arn = format!("arn:aws:iam::aws:policy/{name}");
    p
}

/// An active access key of `user` (lower-cased as the server stores it; `None` for the root).
pub(crate) fn access_key(id: &str, user: Option<&str>, secret: &str, at: i64) -> AccessKey {
    AccessKey {
        access_key_id: id.to_owned(),
        account_id: ACCOUNT.to_owned(),
        user_lower: user.map(str::to_lowercase),
        secret_sealed: secret.to_owned(),
        status: "Active".to_owned(),
        created_at: at,
        last_used_at: None,
        last_used_service: None,
        last_used_region: None,
    }
}

/// A virtual MFA device of `account`, not yet enabled.
pub(crate) fn mfa_device(account: &str, name: &str, seed: &str) -> MfaDevice {
    MfaDevice {
        serial: format!("arn:aws:iam::{account}:mfa/{name}"),
        account_id: account.to_owned(),
        name: name.to_owned(),
        path: "/".to_owned(),
        seed_sealed: seed.to_owned(),
        user_lower: None,
        enabled_at: None,
        created_at: T0,
        last_step: None,
    }
}

/// The names of entities, in the order given.
pub(crate) fn names(items: &[Entity]) -> Vec<&str> {
    items.iter().map(|e| e.name.as_str()).collect()
}
