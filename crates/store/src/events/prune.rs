//! Deleting events past the retention period, in bounded transactions.
//!
//! The `*` key rows say where every event is: for each such row holding events older than the
//! cut, its range loses those events; the row goes too when all its
//! events are older, or else starts at the cut. Key rows of other keys only point at ranges
//! and are deleted once they lie wholly before the cut (a row whose events are all gone finds
//! nothing in the meantime).

use std::time::{Duration, Instant};

use super::write::{EVERY_EVENT, KEY_SPAN};
use crate::{Backend, Result, Store, get_i64, get_str, opt_i64};

/// `*` key rows handled by one pruning transaction.
const PRUNE_BATCH: i64 = 100;
/// Seconds of key rows deleted by one transaction.
const KEY_SLICE: i64 = 600;
/// The longest pause between two pruning transactions on SQLite.
const PRUNE_PAUSE_CAP: Duration = Duration::from_millis(50);

pub(super) async fn prune(store: &Store, before: i64) -> Result<u64> {
    let mut deleted = 0;
    // The `*` rows are visited in order of age, each batch starting where the last one ended
    // (the rows handled are gone or start at the cut), so the age index is read once through.
    let mut from = i64::MIN;
    loop {
        let rows = sqlx::query(
            "SELECT account_id, newest, oldest, first_id, last_id FROM trail_keys WHERE oldest >= $1 AND oldest < $2 AND lookup_key = $3 ORDER BY oldest LIMIT $4",
        )
        .bind(from)
        .bind(before)
        .bind(EVERY_EVENT)
        .bind(PRUNE_BATCH)
        .fetch_all(store.pool())
        .await?;
        let Some(last) = rows.last() else {
            break;
        };
        from = get_i64(last, "oldest")?;
        let began = Instant::now();
        let mut tx = store.begin_write().await?;
        for row in &rows {
            let account = get_str(row, "account_id")?;
            let newest = get_i64(row, "newest")?;
            let first = get_str(row, "first_id")?;
            let last = get_str(row, "last_id")?;
            let done = sqlx::query(
                "DELETE FROM trail_events WHERE event_id >= $1 AND event_id <= $2 AND account_id = $3 AND event_time < $4",
            )
            .bind(first.as_str())
            .bind(last.as_str())
            .bind(account.as_str())
            .bind(before)
            .execute(&mut *tx)
            .await?;
            deleted += done.rows_affected();
            // The row by its key (`trail_keys_by_key_order`: account, key, newest, first id, last id).
            let settled = if newest < before {
                "DELETE FROM trail_keys WHERE account_id = $1 AND lookup_key = $2 AND newest = $3 AND first_id = $4 AND last_id = $5"
            } else {
                "UPDATE trail_keys SET oldest = $6 WHERE account_id = $1 AND lookup_key = $2 AND newest = $3 AND first_id = $4 AND last_id = $5"
            };
            let mut q = sqlx::query(settled)
                .bind(account.as_str())
                .bind(EVERY_EVENT)
                .bind(newest)
                .bind(first.as_str())
                .bind(last.as_str());
            if newest >= before {
                q = q.bind(before);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        pause(store, began).await;
    }
    // Other keys' rows wholly before the cut (`oldest < before - KEY_SPAN` implies `newest <
    // before`), a slice of time per transaction.
    let cut = before.saturating_sub(KEY_SPAN);
    loop {
        let row = sqlx::query("SELECT MIN(oldest) AS oldest FROM trail_keys")
            .fetch_one(store.pool())
            .await?;
        let Some(oldest) = opt_i64(&row, "oldest")? else {
            break;
        };
        if oldest >= cut {
            break;
        }
        let began = Instant::now();
        let mut tx = store.begin_write().await?;
        sqlx::query("DELETE FROM trail_keys WHERE oldest >= $1 AND oldest < $2")
            .bind(oldest)
            .bind(oldest.saturating_add(KEY_SLICE).min(cut))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        pause(store, began).await;
    }
    Ok(deleted)
}

/// On SQLite, gives other writers their turn: as long as the last transaction took, capped.
async fn pause(store: &Store, began: Instant) {
    if store.backend() == Backend::Sqlite {
        tokio::time::sleep(began.elapsed().min(PRUNE_PAUSE_CAP)).await;
    }
}
