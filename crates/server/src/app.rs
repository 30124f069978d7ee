//! The server's shared state: store, keys, caches and settings.

use std::sync::Arc;

use rolecall_store::Store;

use crate::cache::AuthCache;
use crate::crypto::SealingKey;
use crate::token::TokenKeys;

/// What happens when a policy denies a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcement {
    /// Denials are refused with AccessDenied (the default).
    Strict,
    /// Denials are logged with their explanation, then allowed.
    Soft,
}

impl Enforcement {
    /// The word used on the command line and in the start line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "strict",
            Self::Soft => "soft",
        }
    }
}

impl std::str::FromStr for Enforcement {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" => Ok(Self::Strict),
            "soft" => Ok(Self::Soft),
            other => Err(format!(
                "unknown enforcement mode '{other}': expected 'strict' or 'soft'"
            )),
        }
    }
}

/// Shared by every request.
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) master: SealingKey,
    pub(crate) tokens: TokenKeys,
    pub(crate) enforcement: Enforcement,
    pub(crate) cache: AuthCache,
    /// When each role or access key was last recorded as used, so the store is written at
    /// most once a minute per entity instead of on every request.
    pub(crate) last_recorded: std::sync::Mutex<std::collections::HashMap<String, i64>>,
}

impl App {
    /// Builds the state: loads or creates the token keys and seeds the AWS managed policies.
    ///
    /// # Errors
    /// When the store fails or the master key does not match the store.
    pub async fn new(
        store: Store,
        master: SealingKey,
        enforcement: Enforcement,
    ) -> anyhow::Result<Self> {
        let tokens = TokenKeys::load(store.clone(), master.clone()).await?;
        crate::aws_policies::seed(&store).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                master,
                tokens,
                enforcement,
                cache: AuthCache::new(),
                last_recorded: std::sync::Mutex::default(),
            }),
        })
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn master(&self) -> &SealingKey {
        &self.inner.master
    }

    /// True when `key` was not recorded in the last minute (and marks it recorded now).
    fn due(&self, key: String, now: i64) -> bool {
        let mut map = self
            .inner
            .last_recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            map.clear();
        }
        match map.get(&key) {
            Some(at) if now - at < 60 => false,
            _ => {
                map.insert(key, now);
                true
            }
        }
    }

    /// Records a role's use (RoleLastUsed), at most once a minute.
    pub(crate) async fn note_role_use(&self, account: &str, role: &str, now: i64) {
        if self.due(format!("role/{account}/{role}"), now)
            && let Err(e) = self.store().touch_role(account, role, now).await
        {
            tracing::warn!(error = %e, "could not record role use");
        }
    }

    /// Records an access key's use (GetAccessKeyLastUsed), at most once a minute.
    pub(crate) async fn note_key_use(
        &self,
        access_key_id: &str,
        service: &str,
        region: &str,
        now: i64,
    ) {
        if self.due(format!("key/{access_key_id}"), now)
            && let Err(e) = self
                .store()
                .touch_access_key(access_key_id, now, service, region)
                .await
        {
            tracing::warn!(error = %e, "could not record access key use");
        }
    }

    /// The enforcement mode.
    #[must_use]
    pub fn enforcement(&self) -> Enforcement {
        self.inner.enforcement
    }
}

/// The sealing context of a secret access key: binds the ciphertext to its key id.
pub(crate) fn secret_context(access_key_id: &str) -> String {
    format!("access-key/{access_key_id}")
}

/// The sealing context of an MFA seed.
pub(crate) fn seed_context(serial: &str) -> String {
    format!("mfa-seed/{serial}")
}
