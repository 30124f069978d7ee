//! The process environment and home directory, injected so tests need neither.
//!
//! # Empty versus unset
//!
//! A variable set to the empty string (`export AWS_PAGER=""`) is not always the same as an
//! unset one. Every read names its rule, as the program rolecall follows reads it:
//!
//! - [`Env::value`] — **empty is a value**: set counts, also to `""` (botocore's
//!   `EnvironmentProvider`, `if name in os.environ`, behind every config variable).
//! - [`Env::non_empty`] — **empty is unset**: the next source is tried (botocore's
//!   `environ.get(name, '')` followed by a truth test).
//! - [`Env::flag`] — **a boolean**: `true` in any case is true; anything else, the empty
//!   string included, is false (botocore's `ensure_boolean`, `.lower() == 'true'`).
//! - [`Env::is_set`] — **presence only**: the value is never read.
//!
//! | Variable | Read with | What `NAME=""` does | Source of the rule |
//! |---|---|---|---|
//! | `AWS_PROFILE` | `value` | the profile named `""`: "The config profile () could not be found" | botocore `configprovider.py` `EnvironmentProvider`; `session.py` `get_scoped_config` |
//! | `AWS_REGION` | `value` | the region `""`, before `AWS_DEFAULT_REGION` and the profile's (a regional endpoint is then `https://sts..amazonaws.com`: "Invalid endpoint") | aws-cli v2 `clidriver.py` region chain; botocore `endpoint.py` `is_valid_endpoint_url` |
//! | `AWS_DEFAULT_REGION` | `value` | as `AWS_REGION` | botocore `configprovider.py` `'region'` |
//! | `AWS_CONFIG_FILE` | `value` | the path `""`, a file that does not exist: no config file | botocore `'config_file'`; `session.py` `full_config` (`ConfigNotFound`) |
//! | `AWS_SHARED_CREDENTIALS_FILE` | `value` | the path `""`: no credentials file | botocore `'credentials_file'`; `session.py` `full_config` |
//! | `AWS_DEFAULT_OUTPUT` | `value` | the format `""`: "Unknown output type: " | aws-cli `clidriver.py` output chain; `formatter.py` `get_formatter` |
//! | `AWS_PAGER` | `value` | no pager | aws-cli v2 `clidriver.py` `_construct_cli_pager_chain` |
//! | `PAGER` | `value` | no pager (when `AWS_PAGER` and `cli_pager` are unset) | aws-cli v2 `clidriver.py` `_construct_cli_pager_chain` |
//! | `LESS` | `is_set` | set: the pager runs without `LESS=FRX` | aws-cli v2 `utils.py` `'LESS' not in env` |
//! | `AWS_CA_BUNDLE` | `value` | refused: "Invalid CA bundle: …" | botocore `endpoint.py` `_validate_verify_value` |
//! | `AWS_MAX_ATTEMPTS` | `value` | refused: not a number | botocore `configprovider.py` `'max_attempts'` (`int`) |
//! | `AWS_RETRY_MODE` | `value` | refused: `Invalid value provided to "mode"` | botocore `config.py` `_validate_retry_configuration` |
//! | `AWS_ENDPOINT_URL` | `non_empty` | unset: the lookup goes on | botocore `configprovider.py` `ConfiguredEndpointProvider.provide` (`if endpoint_url:`) |
//! | `AWS_ENDPOINT_URL_<SERVICE>` | `non_empty` | unset: `AWS_ENDPOINT_URL` is tried | as `AWS_ENDPOINT_URL` |
//! | `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` | `flag` | false | botocore `'ignore_configured_endpoint_urls'` (`ensure_boolean`) |
//! | `AWS_ACCESS_KEY_ID` | `non_empty` | unset: the chain goes on | botocore `credentials.py` `EnvProvider.load` |
//! | `AWS_SECRET_ACCESS_KEY` | `non_empty` | missing: with an access key id, "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY" | botocore `credentials.py` `EnvProvider` `fetch_credentials` |
//! | `AWS_SECURITY_TOKEN` | `non_empty` | unset: `AWS_SESSION_TOKEN` is tried (this one first) | botocore `credentials.py` `EnvProvider.TOKENS` |
//! | `AWS_SESSION_TOKEN` | `non_empty` | unset: no session token | botocore `credentials.py` `EnvProvider.TOKENS` |
//! | `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` | `value` | set: the container endpoint `http://169.254.170.2` is used | botocore `credentials.py` `ContainerProvider.load` (`in self._environ`) |
//! | `AWS_CONTAINER_CREDENTIALS_FULL_URI` | `value` | set: the container endpoint is used, and refuses the URL `""` | botocore `credentials.py` `ContainerProvider` |
//! | `AWS_CONTAINER_AUTHORIZATION_TOKEN` | `value` | the token `""` is sent | botocore `credentials.py` `ContainerProvider._build_headers` |
//! | `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` | `value` | the file `""`, which cannot be read | botocore `credentials.py` `ContainerProvider._build_headers` |
//! | `AWS_EC2_METADATA_DISABLED` | `flag` | false | botocore `utils.py` `IMDSFetcher` (`.lower() == 'true'`) |
//! | `AWS_EC2_METADATA_SERVICE_ENDPOINT` | `value` | the default endpoint, also over the profile's `ec2_metadata_service_endpoint` | botocore `'ec2_metadata_service_endpoint'`; `utils.py` `IMDSFetcher._select_base_url` |
//! | `HOME` | `value` | `~` is `/`: `~/.aws/config` is `/.aws/config` | Python `posixpath.expanduser` |
//! | `XDG_CACHE_HOME` | `non_empty` | unset: `~/.cache` | the XDG Base Directory specification |
//! | `TMPDIR` | `non_empty` | unset: the system's temporary directory | Python `tempfile._candidate_tempdir_list` |
//! | `SHELL` | `non_empty` | unset: `exec` runs `/bin/sh` | rolecall's own: an empty name runs nothing |
//! | `BROWSER` | `non_empty` | unset: the platform's opener | Python `webbrowser` (empty entries skipped) |
//! | `ROLECALL_PROFILE` | `non_empty` | unset: `exec` is not nested | rolecall's own |
//!
//! rolecall reads no other variable (a guard test in `crates/rolecall/tests/tidy.rs` checks
//! that every name read appears here with the method it is read with).

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
        Self::with_vars(std::env::vars().collect())
    }

    /// A given environment (tests).
    #[must_use]
    pub fn from_vars(vars: &[(&str, &str)]) -> Self {
        Self::with_vars(
            vars.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn with_vars(vars: HashMap<String, String>) -> Self {
        let mut env = Self { vars, home: None };
        // As Python's `expanduser`: an empty `HOME` is the root, so `~/.aws` is `/.aws`.
        env.home = env.value("HOME").map(|h| {
            if h.is_empty() {
                PathBuf::from("/")
            } else {
                PathBuf::from(h)
            }
        });
        env
    }

    /// A variable when it is set, also to the empty string: **empty is a value**, as botocore's
    /// `EnvironmentProvider` reads every config variable (`export AWS_PAGER=""` means "no
    /// pager", `AWS_PROFILE=""` names the profile `""`).
    #[must_use]
    pub fn value(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A variable when it is set and not empty: **empty is unset**, and the next source is
    /// tried (botocore's `environ.get(name, '')` and a truth test: the credential variables,
    /// the endpoint URLs).
    #[must_use]
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.value(name).filter(|v| !v.is_empty())
    }

    /// A boolean variable: `true` in any case is true; anything else, the empty string
    /// included, and an unset variable are false (botocore's `ensure_boolean`).
    #[must_use]
    pub fn flag(&self, name: &str) -> bool {
        self.value(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
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
        self.expand(self.value("AWS_CONFIG_FILE").unwrap_or("~/.aws/config"))
    }

    /// `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`.
    #[must_use]
    pub fn credentials_path(&self) -> PathBuf {
        self.expand(
            self.value("AWS_SHARED_CREDENTIALS_FILE")
                .unwrap_or("~/.aws/credentials"),
        )
    }

    /// `TMPDIR`, or the system's temporary directory.
    #[must_use]
    pub fn temp_dir(&self) -> PathBuf {
        self.non_empty("TMPDIR")
            .map_or_else(std::env::temp_dir, PathBuf::from)
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

    /// Whether a variable is set at all (even to the empty string): **presence only**.
    #[must_use]
    pub fn is_set(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// Where rolecall keeps the role cache's lock files: `$XDG_CACHE_HOME/rolecall/locks`,
    /// or `~/.cache/rolecall/locks`.
    #[must_use]
    pub fn lock_dir(&self) -> PathBuf {
        match self.non_empty("XDG_CACHE_HOME") {
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::Env;

    #[test]
    fn each_rule_reads_the_empty_string_as_botocore_does() {
        let env = Env::from_vars(&[("EMPTY", ""), ("SET", "x"), ("YES", "TRUE"), ("NO", "no")]);
        // Empty is a value.
        assert_eq!(env.value("EMPTY"), Some(""));
        assert_eq!(env.value("SET"), Some("x"));
        assert_eq!(env.value("UNSET"), None);
        // Empty is unset.
        assert_eq!(env.non_empty("EMPTY"), None);
        assert_eq!(env.non_empty("SET"), Some("x"));
        assert_eq!(env.non_empty("UNSET"), None);
        // A boolean: only `true`, in any case.
        assert!(env.flag("YES"));
        assert!(!env.flag("NO") && !env.flag("EMPTY") && !env.flag("UNSET"));
        // Presence only.
        assert!(env.is_set("EMPTY") && !env.is_set("UNSET"));
    }

    #[test]
    fn empty_file_variables_name_no_file_and_an_empty_home_is_the_root() {
        let env = Env::from_vars(&[
            ("HOME", "/home/u"),
            ("AWS_CONFIG_FILE", ""),
            ("AWS_SHARED_CREDENTIALS_FILE", ""),
            ("XDG_CACHE_HOME", ""),
            ("TMPDIR", ""),
        ]);
        assert_eq!(env.config_path(), PathBuf::new());
        assert_eq!(env.credentials_path(), PathBuf::new());
        assert_eq!(
            env.lock_dir(),
            PathBuf::from("/home/u/.cache/rolecall/locks")
        );
        assert_eq!(env.temp_dir(), std::env::temp_dir());
        // Neither file exists: both read as empty, as botocore's ConfigNotFound does.
        let profiles = env.load_profiles().unwrap();
        assert!(profiles.profile("default").is_none());

        let rooted = Env::from_vars(&[("HOME", "")]);
        assert_eq!(rooted.config_path(), PathBuf::from("/.aws/config"));
        assert_eq!(rooted.cache_dir(), PathBuf::from("/.aws/cli/cache"));
        assert_eq!(rooted.home(), Some(std::path::Path::new("/")));
    }
}
