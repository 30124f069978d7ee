//! Sealing secrets at rest and session tokens in flight: XChaCha20-Poly1305 under a master
//! key that lives in a file beside the data (never in the database), so a stolen database
//! alone reveals no secret access key, MFA seed or token key.

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::BASE64;

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key file could not be read or written.
    #[error("master key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The ciphertext was forged, truncated or sealed under another key.
    #[error("sealed data failed authentication")]
    Forged,
}

/// A 256-bit AEAD key.
#[derive(Clone)]
pub struct SealingKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(** redacted **)")
    }
}

impl SealingKey {
    /// A key from 32 bytes.
    #[must_use]
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(bytes.into()),
        }
    }

    /// A fresh random key and its bytes.
    #[must_use]
    pub fn generate() -> (Self, [u8; 32]) {
        let mut bytes = [0u8; 32];
        rolecall_arn::random_bytes(&mut bytes);
        (Self::from_bytes(&bytes), bytes)
    }

    /// Seals `plain` with `context` bound as associated data: nonce ‖ ciphertext.
    #[must_use]
    pub fn seal_bytes(&self, plain: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        rolecall_arn::random_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: context,
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory data");
        let mut out = Vec::with_capacity(24 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`SealingKey::seal_bytes`] produced.
    ///
    /// # Errors
    /// [`CryptoError::Forged`] for anything not sealed by this key with this context.
    pub fn open_bytes(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < 24 + 16 {
            return Err(CryptoError::Forged);
        }
        let (nonce, body) = sealed.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| CryptoError::Forged)?;
        self.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: body,
                    aad: context,
                },
            )
            .map_err(|_| CryptoError::Forged)
    }

    /// Seals text into base64 (for database columns).
    #[must_use]
    pub fn seal_text(&self, plain: &str, context: &str) -> String {
        BASE64.encode(&self.seal_bytes(plain.as_bytes(), context.as_bytes()))
    }

    /// Opens base64 text sealed by [`SealingKey::seal_text`].
    ///
    /// # Errors
    /// [`CryptoError::Forged`].
    pub fn open_text(&self, sealed: &str, context: &str) -> Result<String, CryptoError> {
        let bytes = BASE64
            .decode(sealed.as_bytes())
            .map_err(|_| CryptoError::Forged)?;
        String::from_utf8(self.open_bytes(&bytes, context.as_bytes())?)
            .map_err(|_| CryptoError::Forged)
    }
}

/// Loads the master key from `path`, creating it (mode 0600, written atomically) when absent.
///
/// # Errors
/// [`CryptoError::KeyFile`] when the file is unreadable, malformed or cannot be created.
pub fn load_or_create_master_key(path: &Path) -> Result<SealingKey, CryptoError> {
    let fail = |reason: String| CryptoError::KeyFile {
        path: path.display().to_string(),
        reason,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = BASE64
                .decode(text.trim().as_bytes())
                .map_err(|e| fail(format!("not base64: {e}")))?;
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| fail("must hold 32 bytes".into()))?;
            Ok(SealingKey::from_bytes(&bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (key, bytes) = SealingKey::generate();
            let dir = path.parent().unwrap_or_else(|| Path::new("."));
            rolecall_store::create_private_dir(dir).map_err(|e| fail(e.to_string()))?;
            let tmp = dir.join(format!(".master.key.{}", std::process::id()));
            write_private(&tmp, BASE64.encode(&bytes).as_bytes())
                .map_err(|e| fail(e.to_string()))?;
            // Hard-linking refuses to replace a key another process created meanwhile; then
            // that process's key wins and is read back.
            let linked = std::fs::hard_link(&tmp, path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(key),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    load_or_create_master_key(path)
                }
                Err(e) => Err(fail(e.to_string())),
            }
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(data)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_refuses_tampering() {
        let (key, _) = SealingKey::generate();
        let sealed = key.seal_text("secret", "ctx");
        assert_eq!(key.open_text(&sealed, "ctx").unwrap(), "secret");
        assert!(key.open_text(&sealed, "other").is_err());
        let mut raw = BASE64.decode(sealed.as_bytes()).unwrap();
        raw[30] ^= 1;
        assert!(key.open_text(&BASE64.encode(&raw), "ctx").is_err());
        let (other, _) = SealingKey::generate();
        assert!(other.open_text(&sealed, "ctx").is_err());
    }

    #[test]
    fn master_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let a = load_or_create_master_key(&path).unwrap();
        let b = load_or_create_master_key(&path).unwrap();
        let sealed = a.seal_text("x", "c");
        assert_eq!(b.open_text(&sealed, "c").unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(&path, "garbage").unwrap();
        assert!(load_or_create_master_key(&path).is_err());
    }
}
