//! Storage for IAM and STS: one schema, one set of queries, run on the embedded SQLite
//! database or on PostgreSQL through sqlx's Any driver. Only this crate speaks SQL.
//!
//! Every multi-row change runs in one transaction; SQLite runs in WAL mode with
//! `synchronous=FULL`, so a write acknowledged to a client survives a crash of the process.
//! The store keeps secrets only as the sealed text the server hands it.

mod accounts;
mod admin;
mod aws_policies;
mod console;
mod entities;
mod events;
mod keys;
mod mfa;
mod migrate;
mod policies;
mod private;
mod tags;

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

pub use admin::create_database;
pub use aws_policies::{PolicyUsage, StoredStamp};
pub use entities::{Entity, EntityKind, Role};
pub use events::{EventQuery, EventRow, EventWriter, LookupAttribute, MAX_LOOKUP_RESULTS};
pub use keys::{AccessKey, MAX_ACCESS_KEYS_PER_USER, ServerKey};
pub use mfa::MfaDevice;
/// How the migration runner splits a migration file into statements (for tests that build a
/// database of an older schema version).
#[doc(hidden)]
pub use migrate::statements as migration_statements;
pub use policies::{
    MAX_ATTACHED_POLICIES, MAX_POLICY_VERSIONS, ManagedPolicy, PolicyScope, PolicyVersion,
};
pub use private::create_private_dir;
pub use tags::{MAX_TAGS, Tag};

/// SQLite reads the database file through a memory map of up to 2 GiB (the most the bundled
/// build allows) instead of a `pread(2)` per page: the audit trail's lookups read pages all
/// over a large file, and each read was a system call (at a million events a Username lookup's
/// p99 went from about 17 ms to under 3 ms in the same loop; BENCHMARKS.md). The map is
/// address space, not memory: the pages are the kernel's page cache, shared by every
/// connection. Writes still go through the write-ahead log. The trail's writer does not map
/// the file: it appends, and a file that grows is mapped again and again.
pub(crate) const SQLITE_MMAP: &str = "PRAGMA mmap_size=2147418112";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The entity named does not exist.
    #[error("no such entity")]
    NotFound,
    /// The managed policy a write names does not exist (an attachment or a permissions
    /// boundary whose policy is gone; the owner's absence is [`StoreError::NotFound`]).
    #[error("no such managed policy")]
    PolicyNotFound,
    /// An entity with that name (case-insensitively) already exists.
    #[error("entity already exists")]
    AlreadyExists,
    /// The entity still has dependents that must go first.
    #[error("delete conflict: {0:?}")]
    Conflict(Conflict),
    /// A per-entity quota would be exceeded.
    #[error("limit exceeded")]
    LimitExceeded,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("migration failed: {0}")]
    Migration(String),
    /// The audit trail's SQLite writer failed.
    #[error("audit trail database error: {0}")]
    Trail(String),
}

/// What still depends on an entity that is being deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// A user still has access keys.
    AccessKeys,
    /// Managed policies are still attached.
    AttachedPolicies,
    /// Inline policies still exist.
    InlinePolicies,
    /// The user is still in groups, or the group still has members.
    GroupMembership,
    /// The user still has an MFA device.
    MfaDevices,
    /// The role is still in an instance profile, or the profile still holds a role.
    InstanceProfiles,
    /// The managed policy is still attached to entities.
    PolicyAttached,
    /// The managed policy still has versions other than the default.
    PolicyVersions,
    /// The version is the default version of its policy.
    DefaultVersion,
    /// The policy is used as a permissions boundary.
    PolicyIsBoundary,
}

/// Shorthand for store results.
pub type Result<T> = std::result::Result<T, StoreError>;

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts, when there is one.
    pub next: Option<String>,
}

/// The storage backend in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL (or a compatible database).
    Postgres,
}

/// The store: a connection pool and the queries.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// On SQLite, the thread that writes the audit trail (`events::sqlite_writer`).
    trail: Option<std::sync::Arc<events::sqlite_writer::SqliteWriter>>,
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Maps a unique-constraint failure to [`StoreError::AlreadyExists`].
fn insert_error(err: sqlx::Error) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::AlreadyExists
    } else {
        StoreError::Database(err)
    }
}

/// Marks SQL text assembled at run time as audited. Every such text is built only from this
/// crate's fixed table and column names (chosen by closed enums); values are always bound.
pub(crate) fn dynamic(sql: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql.to_owned())
}

/// `NotFound` when a statement changed no row (the entity it names does not exist).
pub(crate) fn changed(done: &sqlx::any::AnyQueryResult) -> Result<()> {
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

pub(crate) fn opt_str(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

pub(crate) fn get_str(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

pub(crate) fn get_i64(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub(crate) fn opt_i64(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

impl Store {
    /// Opens the embedded SQLite database `rolecall.db` in `dir`, creating both as needed:
    /// the directory 0700, the database and its WAL/SHM files 0600.
    ///
    /// # Errors
    /// When the directory or database cannot be created or migrated.
    pub async fn open_sqlite(dir: &std::path::Path) -> Result<Self> {
        create_private_dir(dir)
            .map_err(|e| StoreError::Migration(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join("rolecall.db");
        private::prepare_database_file(&path)
            .map_err(|e| StoreError::Migration(format!("cannot create {}: {e}", path.display())))?;
        let url = format!("sqlite://{}?mode=rwc", path.display());
        Self::connect(&url).await
    }

    /// Connects to `sqlite://…` or `postgres://…` and brings the schema up to date.
    ///
    /// # Errors
    /// When the database cannot be reached or migrated.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10));
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode=WAL").await?;
                    conn.execute("PRAGMA synchronous=FULL").await?;
                    conn.execute("PRAGMA busy_timeout=10000").await?;
                    conn.execute("PRAGMA foreign_keys=ON").await?;
                    conn.execute(SQLITE_MMAP).await?;
                    Ok(())
                })
            })
        } else {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    // No just-in-time compilation: the store's queries are small, and their
                    // estimates (a range of ids joined to the trail, say) can pass the cost
                    // at which PostgreSQL compiles a query first: 130 ms instead of 1.3 ms
                    // for a trail lookup (BENCHMARKS.md).
                    conn.execute("SET jit = off").await?;
                    Ok(())
                })
            })
        };
        let pool = options.connect(url).await?;
        let trail = match backend {
            Backend::Sqlite => {
                let path = sqlite_path(url);
                let thread = events::sqlite_writer::SqliteWriter::start(path).map_err(|e| {
                    StoreError::Trail(format!("cannot start the audit trail's writer: {e}"))
                })?;
                Some(std::sync::Arc::new(thread))
            }
            Backend::Postgres => None,
        };
        let store = Self {
            pool,
            backend,
            trail,
        };
        migrate::run(&store.pool, backend).await?;
        if let Some(thread) = store.trail_thread() {
            thread.open().await?;
        }
        Ok(store)
    }

    /// Which backend this store runs on.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A short description for the start line (never includes a password).
    #[must_use]
    pub fn describe(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }

    /// Writes what the audit trail's writer holds, then closes every connection.
    pub async fn close(&self) {
        if let Some(thread) = self.trail_thread() {
            thread.flush().await;
        }
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// On SQLite, the audit trail's writer thread.
    pub(crate) fn trail_thread(&self) -> Option<&events::sqlite_writer::SqliteWriter> {
        self.trail.as_deref()
    }

    /// A write transaction. On SQLite it takes the write lock when it begins (`BEGIN
    /// IMMEDIATE`), waiting its turn for it: a deferred transaction that reads before it
    /// writes cannot take the lock once another writer (the audit trail's, say) has committed
    /// since its read, and fails with "database is locked" instead of waiting.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }
}

/// The database file a `sqlite://PATH[?options]` URL names.
fn sqlite_path(url: &str) -> std::path::PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    std::path::PathBuf::from(path)
}

/// The current time in epoch seconds, the unit every timestamp column uses.
#[must_use]
pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
