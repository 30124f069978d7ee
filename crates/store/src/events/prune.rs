//! Deleting events past the retention period, in bounded transactions.
//!
//! The `*` key rows say where every event is: for each such row holding events older than the
//! cut, its range loses those events; the row goes too when all its
//! events are older, or else starts at the cut. Key rows of other keys only point at ranges
//! and are deleted once they lie wholly before the cut (a row whose events are all gone finds
//! nothing in the meantime).

use std::time::{Duration, Instant};

use super::chunk;
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
    deleted += prune_chunks(store, before).await?;
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

/// The chunks' events older than the cut (SQLite; see `chunk`), oldest chunks first: a chunk
/// wholly before the cut goes, and one that straddles it is written again with its newer
/// events only (its range shrinks, so chunks still never overlap).
async fn prune_chunks(store: &Store, before: i64) -> Result<u64> {
    let mut deleted = 0;
    loop {
        let rows = sqlx::query(
            "SELECT last_id, newest, events, body FROM trail_chunks WHERE oldest < $1 ORDER BY oldest LIMIT $2",
        )
        .bind(before)
        .bind(PRUNE_BATCH)
        .fetch_all(store.pool())
        .await?;
        if rows.is_empty() {
            return Ok(deleted);
        }
        let began = Instant::now();
        let mut tx = store.begin_write().await?;
        for row in &rows {
            let last_id = get_str(row, "last_id")?;
            let kept = if get_i64(row, "newest")? < before {
                deleted += u64::try_from(get_i64(row, "events")?).unwrap_or(0);
                Vec::new()
            } else {
                let body: Vec<u8> = sqlx::Row::try_get(row, "body")?;
                let raw = chunk::unpack(&body)?;
                let views = chunk::events(&raw)?;
                let kept = views
                    .iter()
                    .filter(|e| e.event_time >= before)
                    .map(|e| e.into_row(true))
                    .collect::<Result<Vec<_>>>()?;
                deleted += (views.len() - kept.len()) as u64;
                kept
            };
            let refs: Vec<_> = kept.iter().collect();
            let (Some(first), Some(last), Some((oldest, newest))) =
                (kept.first(), kept.last(), chunk::times(&refs))
            else {
                // Wholly before the cut: the chunk goes.
                sqlx::query("DELETE FROM trail_chunks WHERE last_id = $1")
                    .bind(last_id.as_str())
                    .execute(&mut *tx)
                    .await?;
                continue;
            };
            let (mut raw, mut scratch) = (Vec::new(), Vec::new());
            // Fewer events than the chunk held, so they fit as they did.
            let Some(packed) = chunk::pack(&refs, &mut raw, &mut scratch).map(<[u8]>::to_vec)
            else {
                return Err(crate::StoreError::Trail(
                    "a chunk's newer events could not be packed again".to_owned(),
                ));
            };
            sqlx::query(
                "UPDATE trail_chunks SET last_id = $1, first_id = $2, oldest = $3, newest = $4, events = $5, body = $6 WHERE last_id = $7",
            )
            .bind(last.event_id.as_str())
            .bind(first.event_id.as_str())
            .bind(oldest)
            .bind(newest)
            .bind(i64::try_from(kept.len()).unwrap_or(i64::MAX))
            .bind(packed)
            .bind(last_id.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        pause(store, began).await;
    }
}

/// On SQLite, gives other writers their turn: as long as the last transaction took, capped.
async fn pause(store: &Store, began: Instant) {
    if store.backend() == Backend::Sqlite {
        tokio::time::sleep(began.elapsed().min(PRUNE_PAUSE_CAP)).await;
    }
}
