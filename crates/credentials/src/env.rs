//! The process environment and home directory, injected so tests need neither.

use std::collections::HashMap;
use std::path::PathBuf;

use rolecall_profile::{FileKind, Profiles};

use crate::CredentialsError;

/// Environment variables and the home directory.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    home: Option<PathBuf>,
}

impl Env {
    /// The real process environment.
    #[must_use]
    pub fn from_process() -> Self {
        let vars: HashMap<String, String> = std::env::vars().collect();
        let home = vars
            .get("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        Self { vars, home }
    }

    /// A given environment (tests).
    #[must_use]
    pub fn from_vars(vars: &[(&str, &str)]) -> Self {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let home = vars.get("HOME").map(PathBuf::from);
        Self { vars, home }
    }

    /// A variable, when set and not empty.
    #[must_use]
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn expand(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), &self.home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }

    /// `AWS_CONFIG_FILE` or `~/.aws/config`.
    #[must_use]
    pub fn config_path(&self) -> PathBuf {
        self.expand(self.var("AWS_CONFIG_FILE").unwrap_or("~/.aws/config"))
    }

    /// `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`.
    #[must_use]
    pub fn credentials_path(&self) -> PathBuf {
        self.expand(
            self.var("AWS_SHARED_CREDENTIALS_FILE")
                .unwrap_or("~/.aws/credentials"),
        )
    }

    /// `~/.aws/cli/cache`.
    #[must_use]
    pub fn cache_dir(&self) -> PathBuf {
        self.expand("~/.aws/cli/cache")
    }

    /// Sets one setting the way `aws configure set` does, keeping every other byte of the file:
    /// the three credential keys go to the credentials file under `[PROFILE]` (unless they are
    /// inside a nested `block`), everything else to the config file under `[default]` or
    /// `[profile PROFILE]`. The file is replaced atomically; a new one is private.
    ///
    /// # Errors
    /// When the file cannot be read or written.
    pub fn set_value(
        &self,
        profile: &str,
        block: Option<&str>,
        key: &str,
        value: &str,
    ) -> Result<(), CredentialsError> {
        const CREDENTIAL_KEYS: &[&str] = &[
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token",
        ];
        let (path, header) = if block.is_none() && CREDENTIAL_KEYS.contains(&key) {
            (self.credentials_path(), profile.to_owned())
        } else if profile == "default" {
            (self.config_path(), "default".to_owned())
        } else {
            (self.config_path(), format!("profile {profile}"))
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(CredentialsError::Invalid(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        let edited = rolecall_profile::set_value(&text, &header, block, key, value);
        crate::files::replace_file(&path, edited.as_bytes())
            .map_err(|e| CredentialsError::Invalid(format!("cannot write {}: {e}", path.display())))
    }

    /// The home directory, when known.
    #[must_use]
    pub fn home(&self) -> Option<&std::path::Path> {
        self.home.as_deref()
    }

    /// A variable as set, also when it is set to the empty string (`export AWS_PAGER=""`
    /// means "no pager", not "unset").
    #[must_use]
    pub fn var_or_empty(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Whether a variable is set at all (even to the empty string).
    #[must_use]
    pub fn is_set(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// Where rolecall keeps the role cache's lock files: `$XDG_CACHE_HOME/rolecall/locks`,
    /// or `~/.cache/rolecall/locks`.
    #[must_use]
    pub fn lock_dir(&self) -> PathBuf {
        match self.var("XDG_CACHE_HOME") {
            Some(dir) => PathBuf::from(dir).join("rolecall/locks"),
            None => self.expand("~/.cache/rolecall/locks"),
        }
    }

    /// Reads and parses both files; a missing file is an empty one.
    ///
    /// # Errors
    /// [`CredentialsError::Parse`] naming the file and line of a malformed file.
    pub fn load_profiles(&self) -> Result<Profiles, CredentialsError> {
        let read =
            |path: PathBuf, kind: FileKind| -> Result<rolecall_profile::File, CredentialsError> {
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(rolecall_profile::parse(
                        &text,
                        &path.display().to_string(),
                        kind,
                    )?),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Ok(rolecall_profile::File::default())
                    }
                    Err(e) => Err(CredentialsError::Invalid(format!(
                        "cannot read {}: {e}",
                        path.display()
                    ))),
                }
            };
        Ok(Profiles {
            config: read(self.config_path(), FileKind::Config)?,
            credentials: read(self.credentials_path(), FileKind::Credentials)?,
        })
    }
}
