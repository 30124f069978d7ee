//! A small read-through cache for what every request needs: access keys and the parsed
//! policies of a principal. Any IAM write on this node clears it; entries also expire after a
//! short time so that nodes sharing a PostgreSQL store converge, much as IAM itself is
//! eventually consistent.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long an entry is trusted without a write on this node.
pub(crate) const TTL: Duration = Duration::from_secs(2);
/// Entries per map before it is cleared wholesale (bounds memory under hostile key ids).
const MAX_ENTRIES: usize = 50_000;

#[derive(Debug)]
pub(crate) struct Map<K, V> {
    entries: RwLock<HashMap<K, (Instant, Arc<V>)>>,
}

impl<K: Eq + Hash, V> Map<K, V> {
    fn new() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, key: &K) -> Option<Arc<V>> {
        let map = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, v)| Arc::clone(v))
    }

    pub(crate) fn put(&self, key: K, value: Arc<V>) {
        let mut map = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (Instant::now(), value));
    }

    fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

/// A long-term access key, unsealed.
#[derive(Clone)]
pub(crate) struct KeyEntry {
    pub(crate) account: String,
    pub(crate) user_lower: Option<String>,
    /// The owning user (`None` for the root or when the user is gone).
    pub(crate) user: Option<crate::auth::UserRef>,
    pub(crate) secret: String,
    pub(crate) active: bool,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("account", &self.account)
            .field("user_lower", &self.user_lower)
            .finish_non_exhaustive()
    }
}

/// The policies that apply to one user or role, parsed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Loaded {
    /// Whether the principal exists (with the expected unique id).
    pub(crate) exists: bool,
    pub(crate) id: String,
    pub(crate) identity: Vec<rolecall_policy::NamedPolicy>,
    pub(crate) boundary: Option<rolecall_policy::NamedPolicy>,
    pub(crate) tags: Vec<(String, String)>,
}

/// A role with its trust policy parsed.
#[derive(Debug)]
pub(crate) struct CachedRole {
    pub(crate) role: rolecall_store::Role,
    pub(crate) trust: rolecall_policy::Policy,
    /// The role's tags: `aws:ResourceTag/*` when it is assumed.
    pub(crate) tags: Vec<(String, String)>,
}

/// The caches.
#[derive(Debug)]
pub(crate) struct AuthCache {
    pub(crate) keys: Map<String, Option<KeyEntry>>,
    pub(crate) principals: Map<(String, &'static str, String), Loaded>,
    pub(crate) roles: Map<(String, String), Option<CachedRole>>,
}

impl AuthCache {
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
