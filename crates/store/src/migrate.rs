//! Numbered schema migrations, applied once each, in order, each in its own transaction.
//!
//! sqlx's `migrate!` would need its proc-macro build of SQLite; the runner is twenty lines.

use sqlx::{AnyPool, Row};

use crate::{Backend, Result, StoreError};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_events.sql")),
    (3, include_str!("../migrations/0003_console.sql")),
    (4, include_str!("../migrations/0004_trail_keys.sql")),
    (5, include_str!("../migrations/0005_trail_unindexed.sql")),
    (6, include_str!("../migrations/0006_trail_keys_order.sql")),
    (7, include_str!("../migrations/0007_trail_chunks.sql")),
];

/// Splits a migration into statements: comment lines go first, then the text is cut at `;`
/// (no statement in our migrations contains `;` inside a literal).
pub fn statements(sql: &str) -> Vec<String> {
    let code: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn applied(pool: &AnyPool, version: i64) -> Result<bool> {
    Ok(
        sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(pool)
            .await?
            .is_some(),
    )
}

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<()> {
    let created = sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(pool)
        .await;
    if let Err(e) = created {
        // PostgreSQL's IF NOT EXISTS does not cover a concurrent creation: the loser fails (on
        // the catalog's unique index, or "type already exists") once the winner commits. When
        // the table is there now, all is well.
        let exists = sqlx::query("SELECT version FROM schema_migrations LIMIT 1")
            .fetch_optional(pool)
            .await
            .is_ok();
        if !exists {
            return Err(e.into());
        }
    }
    for (version, sql) in MIGRATIONS {
        // SQLite takes the write lock up front, waiting (busy_timeout) for another process's
        // migration to commit: a deferred transaction that read first could not upgrade to a
        // writer and would fail with "database is locked" instead.
        let mut tx = match backend {
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => pool.begin().await?,
        };
        let done = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(*version)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<i64, _>("version"))
            .transpose()?;
        if done.is_some() {
            continue;
        }
        let mut failed = None;
        for statement in statements(sql) {
            if let Err(e) = sqlx::query(crate::dynamic(&statement))
                .execute(&mut *tx)
                .await
            {
                failed = Some(e);
                break;
            }
        }
        if let Some(e) = failed {
            tx.rollback().await?;
            // Another process may have applied the same migration meanwhile; then all is well.
            if applied(pool, *version).await? {
                continue;
            }
            return Err(StoreError::Migration(format!("migration {version}: {e}")));
        }
        let inserted =
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(crate::now_epoch())
                .execute(&mut *tx)
                .await;
        match inserted {
            Ok(_) => tx.commit().await?,
            // Another process applied it at the same moment: theirs stands.
            Err(e) if crate::is_unique_violation(&e) => tx.rollback().await?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
