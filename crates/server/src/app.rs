//! The server's shared state: store, keys, caches and settings.

use std::sync::Arc;

use rolecall_store::{EntityKind, MfaDevice, Store};

use crate::cache::AuthCache;
use crate::crypto::SealingKey;
use crate::principal::{CachedRole, KeyEntry, Loaded};
use crate::token::{SessionClaims, TokenError, TokenKeys};

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
    inner: Arc<Inner>,
    /// The console sign-in settings.
    console: crate::console::ConsoleSettings,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    master: SealingKey,
    tokens: TokenKeys,
    enforcement: Enforcement,
    cache: AuthCache,
    /// Where every answered call is recorded.
    trail: crate::audit::Trail,
    /// When each role or access key was last recorded as used, so the store is written at
    /// most once a minute per entity instead of on every request.
    last_recorded: std::sync::Mutex<std::collections::HashMap<String, i64>>,
    /// The service-linked role deletions that finished.
    deletion_tasks: crate::iam::service_linked::DeletionTasks,
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
        Self::recording(store, master, enforcement, crate::audit::Trail::disabled()).await
    }

    /// As [`App::new`], recording every answered call in `trail`.
    ///
    /// # Errors
    /// When the store fails or the master key does not match the store.
    pub async fn recording(
        store: Store,
        master: SealingKey,
        enforcement: Enforcement,
        trail: crate::audit::Trail,
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
                trail,
                last_recorded: std::sync::Mutex::default(),
                deletion_tasks: crate::iam::service_linked::DeletionTasks::default(),
            }),
            console: crate::console::ConsoleSettings::default(),
        })
    }

    /// The same state with these console sign-in settings.
    #[must_use]
    pub fn with_console(mut self, console: crate::console::ConsoleSettings) -> Self {
        self.console = console;
        self
    }

    /// The console sign-in settings.
    pub(crate) fn console(&self) -> &crate::console::ConsoleSettings {
        &self.console
    }

    /// The audit trail.
    pub(crate) fn trail(&self) -> &crate::audit::Trail {
        &self.inner.trail
    }

    /// The service-linked role deletions that finished, for
    /// GetServiceLinkedRoleDeletionStatus.
    pub(crate) fn deletion_tasks(&self) -> &crate::iam::service_linked::DeletionTasks {
        &self.inner.deletion_tasks
    }

    /// The store.
    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The master key that seals secrets at rest.
    pub(crate) fn master(&self) -> &SealingKey {
        &self.inner.master
    }

    /// The TOTP secret of an MFA device, unsealed and decoded; `None` when its seed does not
    /// open with this master key.
    pub(crate) fn mfa_secret(&self, device: &MfaDevice) -> Option<Vec<u8>> {
        let seed = self
            .master()
            .open_text(&device.seed_sealed, &seed_context(&device.serial))
            .ok()?;
        data_encoding::BASE32_NOPAD.decode(seed.as_bytes()).ok()
    }

    /// Seals session claims into a session token.
    pub(crate) async fn seal_token(&self, claims: &SessionClaims) -> String {
        self.inner.tokens.seal(claims).await
    }

    /// Opens a session token.
    ///
    /// # Errors
    /// [`TokenError`] when the token is not genuine.
    pub(crate) async fn open_token(&self, token: &str) -> Result<SessionClaims, TokenError> {
        self.inner.tokens.open(token).await
    }

    /// Seals `plain` for the purpose `aad` under the newest token key.
    pub(crate) async fn seal_for(&self, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        self.inner.tokens.seal_for(aad, plain).await
    }

    /// Opens what [`App::seal_for`] sealed for the purpose `aad`.
    ///
    /// # Errors
    /// [`TokenError`] when the bytes are not genuine or were sealed for another purpose.
    pub(crate) async fn open_for(&self, aad: &[u8], raw: &[u8]) -> Result<Vec<u8>, TokenError> {
        self.inner.tokens.open_for(aad, raw).await
    }

    /// Adds a token key that seals from now on.
    #[cfg(test)]
    pub(crate) async fn rotate_token_keys(&self) -> anyhow::Result<()> {
        self.inner.tokens.rotate().await
    }

    /// An access key from the cache, or loaded by `load` (`None`: no such key).
    ///
    /// # Errors
    /// Whatever `load` fails with.
    pub(crate) async fn cached_key<E, Fut>(
        &self,
        access_key_id: &str,
        load: impl FnOnce() -> Fut,
    ) -> Result<Arc<Option<KeyEntry>>, E>
    where
        Fut: Future<Output = Result<Option<KeyEntry>, E>>,
    {
        self.inner
            .cache
            .keys
            .get_or_load(access_key_id.to_owned(), load)
            .await
    }

    /// The policies of a user or role from the cache, or loaded by `load`.
    ///
    /// # Errors
    /// Whatever `load` fails with.
    pub(crate) async fn cached_policies<E, Fut>(
        &self,
        account: &str,
        kind: EntityKind,
        name: &str,
        load: impl FnOnce() -> Fut,
    ) -> Result<Arc<Loaded>, E>
    where
        Fut: Future<Output = Result<Loaded, E>>,
    {
        let key = (account.to_owned(), kind, name.to_lowercase());
        self.inner.cache.principals.get_or_load(key, load).await
    }

    /// A role with its trust policy from the cache, or loaded by `load` (`None`: no such role).
    ///
    /// # Errors
    /// Whatever `load` fails with.
    pub(crate) async fn cached_role<E, Fut>(
        &self,
        account: &str,
        name: &str,
        load: impl FnOnce() -> Fut,
    ) -> Result<Arc<Option<CachedRole>>, E>
    where
        Fut: Future<Output = Result<Option<CachedRole>, E>>,
    {
        let key = (account.to_owned(), name.to_lowercase());
        self.inner.cache.roles.get_or_load(key, load).await
    }

    /// Forgets cached keys, policies and roles; called after every IAM write.
    pub(crate) fn invalidate_caches(&self) {
        self.inner.cache.invalidate();
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
