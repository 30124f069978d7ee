//! Server-level administration of a PostgreSQL store: creating a database (used to give
//! each test its own).

use sqlx::Executor;

use crate::{Result, StoreError};

/// Creates the database `name` on the PostgreSQL server at `server_url`. The name must be
/// a plain identifier (lower-case letters, digits, `_`), since it cannot be bound.
///
/// # Errors
/// A name that is no plain identifier, or a server that refuses.
pub async fn create_database(server_url: &str, name: &str) -> Result<()> {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if !plain {
        return Err(StoreError::Migration(format!(
            "{name:?} is not a plain database name"
        )));
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(server_url).await?;
    let result = pool
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await;
    pool.close().await;
    result?;
    Ok(())
}
