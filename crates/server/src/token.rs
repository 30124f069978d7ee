//! Self-validating session tokens: the whole session (who, until when, with which policy,
//! tags, MFA time, and the temporary secret key) sealed under a server key from the store.
//! Sessions need no row per AssumeRole, survive restarts and work on every node that shares
//! the store and the master key. Each token names its key, so keys can be rotated.

use std::sync::Arc;

use data_encoding::BASE64;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::crypto::SealingKey;
use rolecall_store::{ServerKey, Store};

/// Token format version byte.
const FORMAT: u8 = 1;
/// Associated data binding tokens to their purpose.
const AAD: &[u8] = b"rolecall session token v1";

/// What kind of session a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum SessionKind {
    /// AssumeRole.
    Role,
    /// GetSessionToken: the user (or root) itself, possibly with MFA.
    User,
    /// GetFederationToken.
    Federated,
}

/// The sealed content of a session token.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SessionClaims {
    /// Kind.
    pub(crate) kind: SessionKind,
    /// Account of the session (the role's account for role sessions).
    pub(crate) account: String,
    /// The temporary access key id (`ASIA…`).
    pub(crate) access_key_id: String,
    /// The temporary secret access key.
    pub(crate) secret: String,
    /// Issue time, epoch seconds.
    pub(crate) issued: i64,
    /// Expiry, epoch seconds.
    pub(crate) expires: i64,
    /// When MFA was verified for this session, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mfa_at: Option<i64>,
    /// Role name (role sessions) or user name (user and federated sessions; empty for root).
    pub(crate) name: String,
    /// Role or user unique id.
    pub(crate) id: String,
    /// Role or user path.
    pub(crate) path: String,
    /// Role session name, or federated user name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) session_name: String,
    /// Inline session policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) policy: Option<String>,
    /// Managed session policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) policy_arns: Vec<String>,
    /// Session tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) tags: Vec<(String, String)>,
    /// Tag keys that carry into chained sessions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) transitive: Vec<String>,
    /// Source identity, fixed for the session and its chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) source_identity: Option<String>,
    /// A role session had by role chaining (AssumeRole called with a role session's or a
    /// GetSessionToken session's credentials): held to an hour, and so are the console
    /// sessions it opens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) chained: bool,
}

impl std::fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionClaims")
            .field("kind", &self.kind)
            .field("account", &self.account)
            .field("access_key_id", &self.access_key_id)
            .field("name", &self.name)
            .field("session_name", &self.session_name)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Not a token this server sealed (or corrupted).
    Invalid,
    /// Sealed by a key this server no longer has.
    UnknownKey,
}

/// The token-sealing keys, unwrapped in memory; the newest seals, all open.
#[derive(Debug, Clone)]
pub(crate) struct TokenKeys {
    keys: Arc<RwLock<Vec<(u32, SealingKey)>>>,
    /// When the keys were last reloaded because a token named an unknown key: at most once a
    /// second, so forged tokens cannot turn into a store query each.
    last_reload: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    master: SealingKey,
    store: Store,
}

fn wrap_context(id: i64) -> String {
    format!("token-key-{id}")
}

impl TokenKeys {
    /// Loads the keys from the store, creating the first one when there is none.
    ///
    /// # Errors
    /// When the store fails or a stored key cannot be unwrapped with this master key.
    pub(crate) async fn load(store: Store, master: SealingKey) -> anyhow::Result<Self> {
        let keys = Self {
            keys: Arc::new(RwLock::new(Vec::new())),
            last_reload: Arc::default(),
            master,
            store,
        };
        keys.reload().await?;
        if keys.keys.read().await.is_empty() {
            keys.rotate().await?;
        }
        Ok(keys)
    }

    async fn reload(&self) -> anyhow::Result<()> {
        let stored = self.store.server_keys().await?;
        let mut out = Vec::with_capacity(stored.len());
        for k in stored {
            let raw = self.master.open_text(&k.wrapped_key, &wrap_context(k.key_id)).map_err(|_| {
                anyhow::anyhow!("token key {} cannot be unwrapped: the master key file does not belong to this store", k.key_id)
            })?;
            let bytes = BASE64.decode(raw.as_bytes())?;
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| anyhow::anyhow!("token key {} is malformed", k.key_id))?;
            out.push((u32::try_from(k.key_id)?, SealingKey::from_bytes(&bytes)));
        }
        *self.keys.write().await = out;
        Ok(())
    }

    /// Adds a new key that seals from now on; old keys keep opening their tokens.
    ///
    /// # Errors
    /// When the store fails.
    pub(crate) async fn rotate(&self) -> anyhow::Result<()> {
        let next = self
            .store
            .server_keys()
            .await?
            .iter()
            .map(|k| k.key_id)
            .max()
            .unwrap_or(0)
            + 1;
        let (_, bytes) = SealingKey::generate();
        let wrapped = self
            .master
            .seal_text(&BASE64.encode(&bytes), &wrap_context(next));
        self.store
            .add_server_key(
                &ServerKey {
                    key_id: next,
                    wrapped_key: wrapped,
                },
                rolecall_store::now_epoch(),
            )
            .await?;
        self.reload().await
    }

    fn reload_allowed(&self) -> bool {
        let mut last = self
            .last_reload
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < std::time::Duration::from_secs(1)) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// Seals claims into a token.
    pub(crate) async fn seal(&self, claims: &SessionClaims) -> String {
        let plain = serde_json::to_vec(claims).expect("claims serialize");
        BASE64.encode(&self.seal_for(AAD, &plain).await)
    }

    /// Seals `plain` under the newest key, bound to the purpose `aad` (so that a token made
    /// for one purpose never opens as another's): the format byte, the key id, the sealed bytes.
    pub(crate) async fn seal_for(&self, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        let keys = self.keys.read().await;
        let (id, key) = keys
            .last()
            .expect("at least one token key is loaded at start");
        let mut out = vec![FORMAT];
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&key.seal_bytes(plain, aad));
        out
    }

    /// The loaded key with this id.
    async fn key(&self, id: u32) -> Option<SealingKey> {
        self.keys
            .read()
            .await
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, key)| key.clone())
    }

    /// Opens a token. A token naming a key this node has not seen yet (rotated on another
    /// node) triggers one reload from the store.
    ///
    /// # Errors
    /// [`TokenError`] when the token is not genuine.
    pub(crate) async fn open(&self, token: &str) -> Result<SessionClaims, TokenError> {
        let raw = BASE64
            .decode(token.trim().as_bytes())
            .map_err(|_| TokenError::Invalid)?;
        let plain = self.open_for(AAD, &raw).await?;
        serde_json::from_slice(&plain).map_err(|_| TokenError::Invalid)
    }

    /// Opens what [`TokenKeys::seal_for`] sealed for the purpose `aad`.
    ///
    /// # Errors
    /// [`TokenError`] when the bytes are not genuine or were sealed for another purpose.
    pub(crate) async fn open_for(&self, aad: &[u8], raw: &[u8]) -> Result<Vec<u8>, TokenError> {
        if raw.len() < 5 || raw[0] != FORMAT {
            return Err(TokenError::Invalid);
        }
        let id = u32::from_be_bytes([raw[1], raw[2], raw[3], raw[4]]);
        let body = &raw[5..];
        let key = match self.key(id).await {
            Some(k) => k,
            None => {
                if !self.reload_allowed() {
                    return Err(TokenError::UnknownKey);
                }
                self.reload().await.map_err(|_| TokenError::UnknownKey)?;
                self.key(id).await.ok_or(TokenError::UnknownKey)?
            }
        };
        key.open_bytes(body, aad).map_err(|_| TokenError::Invalid)
    }
}
