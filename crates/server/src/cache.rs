//! A small read-through cache for what every request needs: access keys and the parsed
//! policies of a principal. Any IAM write on this node clears it; entries also expire after a
//! short time so that nodes sharing a PostgreSQL store converge, much as IAM itself is
//! eventually consistent.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rolecall_store::EntityKind;

use crate::principal::{CachedRole, KeyEntry, Loaded};

/// How long an entry is trusted without a write on this node.
const TTL: Duration = Duration::from_secs(2);
/// Entries per map before it is cleared wholesale (bounds memory under hostile key ids).
const MAX_ENTRIES: usize = 50_000;

/// One map of entries that expire after [`TTL`].
#[derive(Debug)]
pub(crate) struct Map<K, V> {
    entries: RwLock<HashMap<K, (Instant, Arc<V>)>>,
    /// Counts the clearings: a load that began before one must not keep what it read.
    generation: AtomicU64,
}

impl<K: Eq + Hash, V> Map<K, V> {
    fn new() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    fn get(&self, key: &K) -> Option<Arc<V>> {
        let map = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, v)| Arc::clone(v))
    }

    /// Keeps `value` unless the map was cleared since generation `began` (the value may
    /// predate the write that cleared it).
    fn put(&self, key: K, value: Arc<V>, began: u64) {
        let mut map = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Read under the lock that `clear` also takes: a clearing is either seen here or
        // happens after this entry is in, and then removes it.
        if self.generation.load(Ordering::Acquire) != began {
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (Instant::now(), value));
    }

    /// The live entry for `key`, or the value `load` produces, which is then kept unless
    /// the map was cleared while it loaded. A failed load keeps nothing.
    pub(crate) async fn get_or_load<E, F, Fut>(&self, key: K, load: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        let began = self.generation.load(Ordering::Acquire);
        let value = Arc::new(load().await?);
        self.put(key, Arc::clone(&value), began);
        Ok(value)
    }

    fn clear(&self) {
        let mut map = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.clear();
    }
}

/// The caches.
#[derive(Debug)]
pub(crate) struct AuthCache {
    /// Access keys by id; `None` for an id the store does not know.
    pub(crate) keys: Map<String, Option<KeyEntry>>,
    /// The policies of users and roles, by account, kind and lower-cased name.
    pub(crate) principals: Map<(String, EntityKind, String), Loaded>,
    /// Roles with their trust policies, by account and lower-cased name; `None` for no role.
    pub(crate) roles: Map<(String, String), Option<CachedRole>>,
}

impl AuthCache {
    /// Empty caches.
    pub(crate) fn new() -> Self {
        Self {
            keys: Map::new(),
            principals: Map::new(),
            roles: Map::new(),
        }
    }

    /// Forgets everything; called after every IAM write.
    pub(crate) fn invalidate(&self) {
        self.keys.clear();
        self.principals.clear();
        self.roles.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A load that began before a clearing (an IAM write) returns what it read, but does not
    /// keep it: the next request reads again.
    #[tokio::test]
    async fn a_load_overtaken_by_a_clearing_is_not_kept() {
        let map: Map<&str, u32> = Map::new();
        let (started, wait) = tokio::sync::oneshot::channel::<()>();
        let (go, resume) = tokio::sync::oneshot::channel::<()>();
        let slow = map.get_or_load("k", || async {
            let _ = started.send(());
            let _ = resume.await;
            Ok::<_, ()>(1)
        });
        let clear_meanwhile = async {
            let _ = wait.await;
            map.clear();
            let _ = go.send(());
        };
        let (loaded, ()) = tokio::join!(slow, clear_meanwhile);
        assert_eq!(*loaded.unwrap(), 1);
        assert!(map.get(&"k").is_none(), "the stale value was kept");
        let fresh = map.get_or_load("k", || async { Ok::<_, ()>(2) }).await;
        assert_eq!(*fresh.unwrap(), 2);
        assert_eq!(map.get(&"k").as_deref(), Some(&2));
    }
}
