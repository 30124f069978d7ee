//! The AWS CLI's role-credential cache: `~/.aws/cli/cache/<sha1>.json`, named and shaped as
//! botocore does, so either tool reuses the other's entries. rolecall writes atomically
//! (temp file, fsync, rename) and holds a lock file while it fetches, so concurrent processes
//! never corrupt an entry nor call (and prompt) twice for the same role.

use std::fs::File;
use std::path::PathBuf;

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use crate::{Credentials, CredentialsError};
use rolecall_wire::timestamp::parse as parse_timestamp;

/// Entries with less than this left are refreshed, as the AWS CLI does.
pub const REFRESH_BEFORE_SECONDS: i64 = 15 * 60;

/// Serializes a JSON string as Python's `json.dumps` does with its defaults (ASCII only):
/// how botocore writes cache keys and pagination tokens.
#[must_use]
pub fn python_json_string(s: &str) -> String {
    let mut out = String::new();
    python_string(s, &mut out);
    out
}

fn python_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.dumps(value, sort_keys=True)`, which is how botocore names cache entries.
fn python_json(map: &Map<String, Value>) -> String {
    let mut out = String::new();
    python_object(map, &mut out);
    out
}

fn python_object(map: &Map<String, Value>, out: &mut String) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    out.push('{');
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        python_string(k, out);
        out.push_str(": ");
        python_value(&map[k], out);
    }
    out.push('}');
}

fn python_value(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => python_string(s, out),
        Value::Object(m) => python_object(m, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_value(item, out);
            }
            out.push(']');
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        other => out.push_str(&other.to_string()),
    }
}

/// The cache file name (without `.json`) for an AssumeRole argument object.
#[must_use]
pub fn cache_key(args: &Map<String, Value>) -> String {
    let digest = Sha1::digest(python_json(args).as_bytes());
    data_encoding::HEXLOWER
        .encode(&digest)
        .replace([':', '/'], "_")
}

/// The cache directory, and where rolecall keeps the entries' lock files (not in the cache
/// directory itself, which the AWS CLI shares and which holds only botocore's entries).
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    lock_dir: PathBuf,
}

/// Holds the per-entry lock until dropped.
#[derive(Debug)]
pub struct EntryLock {
    _file: File,
}

impl Cache {
    /// The cache at `dir`, its lock files in `lock_dir` (both created on first use, mode 0700).
    #[must_use]
    pub fn new(dir: PathBuf, lock_dir: PathBuf) -> Self {
        Self { dir, lock_dir }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    fn fail(&self, reason: impl std::fmt::Display) -> CredentialsError {
        CredentialsError::Cache {
            path: self.dir.display().to_string(),
            reason: reason.to_string(),
        }
    }

    fn ensure_dir(&self, dir: &std::path::Path) -> Result<(), CredentialsError> {
        std::fs::create_dir_all(dir).map_err(|e| self.fail(e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        Ok(())
    }

    /// Takes the exclusive lock of an entry (a rolecall-only `.lock` file in the lock
    /// directory).
    ///
    /// # Errors
    /// When the directory or lock file cannot be created.
    pub fn lock(&self, key: &str) -> Result<EntryLock, CredentialsError> {
        self.ensure_dir(&self.lock_dir)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.lock_dir.join(format!("{key}.lock")))
            .map_err(|e| self.fail(e))?;
        file.lock().map_err(|e| self.fail(e))?;
        Ok(EntryLock { _file: file })
    }

    /// The cached credentials of an entry, if present, well-formed and valid for more than
    /// [`REFRESH_BEFORE_SECONDS`]. A malformed entry counts as absent and will be replaced.
    #[must_use]
    pub fn get(&self, key: &str, now: OffsetDateTime) -> Option<Credentials> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        let v: Value = serde_json::from_str(&text).ok()?;
        let c = v.get("Credentials")?;
        let s = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_owned);
        let expiration = parse_timestamp(&s("Expiration")?)?;
        if (expiration - now).whole_seconds() <= REFRESH_BEFORE_SECONDS {
            return None;
        }
        Some(Credentials {
            access_key_id: s("AccessKeyId")?,
            secret_access_key: s("SecretAccessKey")?,
            session_token: Some(s("SessionToken")?),
            expiration: Some(expiration),
        })
    }

    /// Writes an entry atomically with mode 0600.
    ///
    /// # Errors
    /// When the directory or file cannot be written.
    pub fn put(&self, key: &str, entry: &Value) -> Result<(), CredentialsError> {
        self.ensure_dir(&self.dir)?;
        crate::files::replace_file(&self.path(key), entry.to_string().as_bytes())
            .map_err(|e| self.fail(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_match_botocore() {
        let mut args = Map::new();
        args.insert(
            "RoleArn".into(),
            Value::String("arn:aws:iam::123456789012:role/ProductionAccessRole".into()),
        );
        // The example CLI.md records from the AWS CLI itself.
        assert_eq!(cache_key(&args), "2207e5213718ddb2d7de48b965cf3c1906955b29");
        args.insert("DurationSeconds".into(), Value::from(3600));
        assert_eq!(
            python_json(&args),
            "{\"DurationSeconds\": 3600, \"RoleArn\": \"arn:aws:iam::123456789012:role/ProductionAccessRole\"}"
        );
        args.insert(
            "Tags".into(),
            serde_json::json!([{"Value": "blue", "Key": "team"}]),
        );
        assert_eq!(
            python_json(&args),
            "{\"DurationSeconds\": 3600, \"RoleArn\": \"arn:aws:iam::123456789012:role/ProductionAccessRole\", \"Tags\": [{\"Key\": \"team\", \"Value\": \"blue\"}]}"
        );
        let mut s = String::new();
        python_string("é\u{1F600}", &mut s);
        assert_eq!(s, "\"\\u00e9\\ud83d\\ude00\"");
    }

    #[test]
    fn reuse_window_and_malformed_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"), dir.path().join("locks"));
        let now = OffsetDateTime::now_utc();
        let entry = |minutes: i64| serde_json::json!({"Credentials": {"AccessKeyId": "ASIA", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": rolecall_wire::iso8601(now + time::Duration::minutes(minutes))}});
        cache.put("k", &entry(60)).unwrap();
        assert!(cache.get("k", now).is_some());
        cache.put("k", &entry(14)).unwrap();
        assert!(cache.get("k", now).is_none());
        std::fs::write(dir.path().join("cache/k.json"), "{garbage").unwrap();
        assert!(cache.get("k", now).is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            cache.put("k", &entry(60)).unwrap();
            assert_eq!(
                std::fs::metadata(dir.path().join("cache/k.json"))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o600
            );
        }
    }
}
