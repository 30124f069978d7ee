//! The client commands (`iam`, `sts`, `configure`): the AWS CLI's grammar, files,
//! environment, cache, output and exit codes. Credential logic lives in
//! `rolecall-credentials`; `api` drives every service operation from the shape tables; this
//! module holds what they share.

pub(crate) mod api;
pub(crate) mod configure;
pub(crate) mod output;
pub(crate) mod pager;
pub(crate) mod table;
pub(crate) mod yaml;

use clap::Args;
use rolecall_credentials::{Cache, CredentialsError, Env, Plan, TerminalPrompt};
use rolecall_profile::Profiles;

/// The AWS CLI's exit codes.
#[derive(Debug)]
pub(crate) enum CliError {
    /// 252: the command line is wrong.
    Usage(String),
    /// 253: the configuration is wrong.
    Config(String),
    /// 254: the service refused.
    Service(String),
    /// 255: anything else.
    Other(String),
    /// 255: the endpoint could not be reached (printed after a blank line, as the AWS CLI does).
    Network(String),
    /// 1 with no message: `configure get` of a setting that is not set.
    NotFound,
}

impl CliError {
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 252,
            Self::Config(_) => 253,
            Self::Service(_) => 254,
            Self::Other(_) | Self::Network(_) => 255,
            Self::NotFound => 1,
        }
    }

    pub(crate) fn message(&self) -> &str {
        match self {
            Self::Usage(m)
            | Self::Config(m)
            | Self::Service(m)
            | Self::Other(m)
            | Self::Network(m) => m,
            Self::NotFound => "",
        }
    }
}

impl From<CredentialsError> for CliError {
    fn from(e: CredentialsError) -> Self {
        match e {
            CredentialsError::Parse(_)
            | CredentialsError::ProfileNotFound(_)
            | CredentialsError::NoCredentials
            | CredentialsError::Invalid(_)
            | CredentialsError::Cycle { .. } => Self::Config(e.to_string()),
            CredentialsError::Service { .. } => Self::Service(e.to_string()),
            CredentialsError::Transport(_) => Self::Network(e.to_string()),
            CredentialsError::Prompt(_) | CredentialsError::Cache { .. } => {
                Self::Other(e.to_string())
            }
        }
    }
}

/// The AWS CLI's global options, accepted anywhere on the command line.
#[derive(Debug, Clone, Args)]
pub(crate) struct GlobalArgs {
    /// Use a specific profile from your credential file.
    #[arg(long, global = true, value_name = "PROFILE")]
    pub(crate) profile: Option<String>,
    /// The region to use.
    #[arg(long, global = true, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// Override the command's default URL with the given URL.
    #[arg(long = "endpoint-url", global = true, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// The formatting style for command output.
    #[arg(long, global = true, value_name = "FORMAT", value_parser = ["json", "text", "table", "yaml", "yaml-stream", "off"])]
    pub(crate) output: Option<String>,
    /// A JMESPath query to use in filtering the response data.
    #[arg(long, global = true, value_name = "QUERY")]
    pub(crate) query: Option<String>,
    /// The CA certificate bundle to use when verifying SSL certificates.
    #[arg(long = "ca-bundle", global = true, value_name = "FILE")]
    pub(crate) ca_bundle: Option<std::path::PathBuf>,
    /// Do not verify SSL certificates.
    #[arg(long = "no-verify-ssl", global = true)]
    pub(crate) no_verify_ssl: bool,
    /// The maximum socket connect time in seconds (0: wait forever).
    #[arg(long = "cli-connect-timeout", global = true, value_name = "SECONDS")]
    pub(crate) connect_timeout: Option<u64>,
    /// The maximum socket read time in seconds (0: wait forever).
    #[arg(long = "cli-read-timeout", global = true, value_name = "SECONDS")]
    pub(crate) read_timeout: Option<u64>,
    /// Disable automatic pagination: make one call and print its page.
    #[arg(long = "no-paginate", global = true)]
    pub(crate) no_paginate: bool,
    /// Turn on debug logging.
    #[arg(long, global = true)]
    pub(crate) debug: bool,
    /// Disable the pager for output.
    #[arg(long = "no-cli-pager", global = true)]
    pub(crate) no_cli_pager: bool,
    /// Turn on/off color output (table format).
    #[arg(long, global = true, value_name = "WHEN", value_parser = ["on", "off", "auto"])]
    pub(crate) color: Option<String>,
}

/// Everything a client command needs: the environment, the files, the resolved profile.
pub(crate) struct Session {
    pub(crate) env: Env,
    pub(crate) profiles: Profiles,
    pub(crate) global: GlobalArgs,
}

impl Session {
    pub(crate) fn load(global: GlobalArgs) -> Result<Self, CliError> {
        let env = Env::from_process();
        let profiles = env.load_profiles()?;
        Ok(Self {
            env,
            profiles,
            global,
        })
    }

    /// The profile name commands run as.
    pub(crate) fn profile_name(&self) -> String {
        self.global
            .profile
            .clone()
            .or_else(|| self.env.var("AWS_PROFILE").map(str::to_owned))
            .unwrap_or_else(|| "default".to_owned())
    }

    pub(crate) fn plan(&self) -> Result<Plan, CliError> {
        Ok(rolecall_credentials::resolve(
            &self.env,
            &self.profiles,
            self.global.profile.as_deref(),
        )?)
    }

    pub(crate) fn credentials(&self) -> Result<rolecall_credentials::Credentials, CliError> {
        let plan = self.plan()?;
        let cache = Cache::new(self.env.cache_dir());
        let http = self.http_options()?;
        Ok(rolecall_credentials::execute(
            &plan.source,
            &cache,
            &TerminalPrompt,
            &http,
            time::OffsetDateTime::now_utc(),
        )?)
    }

    /// Trust roots, verification, timeouts and retries, from the options, the environment
    /// and the profile, in the AWS CLI's order.
    pub(crate) fn http_options(&self) -> Result<rolecall_credentials::HttpOptions, CliError> {
        let profile = self.profiles.profile(&self.profile_name());
        let setting = |env: &str, key: &str| {
            self.env
                .var(env)
                .map(str::to_owned)
                .or_else(|| profile.as_ref().and_then(|p| p.get(key)).map(str::to_owned))
        };
        let seconds = |v: Option<u64>| match v {
            Some(0) => std::time::Duration::from_secs(365 * 24 * 3600),
            Some(n) => std::time::Duration::from_secs(n),
            None => std::time::Duration::from_secs(60),
        };
        let mode = setting("AWS_RETRY_MODE", "retry_mode").unwrap_or_else(|| "standard".to_owned());
        let default_attempts = if mode == "legacy" { 5 } else { 3 };
        let max_attempts = match setting("AWS_MAX_ATTEMPTS", "max_attempts") {
            Some(v) => v.parse::<u32>().map_err(|_| {
                CliError::Config(format!("max_attempts must be a number, got '{v}'"))
            })?,
            None => default_attempts,
        };
        Ok(rolecall_credentials::HttpOptions {
            ca_bundle: self
                .global
                .ca_bundle
                .clone()
                .or_else(|| setting("AWS_CA_BUNDLE", "ca_bundle").map(std::path::PathBuf::from)),
            verify: !self.global.no_verify_ssl,
            connect_timeout: seconds(self.global.connect_timeout),
            read_timeout: seconds(self.global.read_timeout),
            max_attempts,
        })
    }

    /// The region: `--region`, the environment, the profile.
    pub(crate) fn region(&self) -> Option<String> {
        let profile = self.profiles.profile(&self.profile_name());
        self.global
            .region
            .clone()
            .or_else(|| rolecall_credentials::region(&self.env, profile.as_ref()))
    }

    /// The endpoint of `service` for this command: `--endpoint-url`, then the configured
    /// endpoints, then AWS's.
    pub(crate) fn endpoint(&self, service: &str, region: &str) -> String {
        if let Some(url) = &self.global.endpoint_url {
            return url.clone();
        }
        let profile = self.profiles.profile(&self.profile_name());
        rolecall_credentials::configured_endpoint(
            &self.env,
            &self.profiles,
            profile.as_ref(),
            service,
        )
        .unwrap_or_else(|| match service {
            "iam" => "https://iam.amazonaws.com".to_owned(),
            _ => format!("https://{service}.{region}.amazonaws.com"),
        })
    }

    pub(crate) fn output(&self) -> String {
        let profile = self.profiles.profile(&self.profile_name());
        self.global
            .output
            .clone()
            .or_else(|| self.env.var("AWS_DEFAULT_OUTPUT").map(str::to_owned))
            .or_else(|| profile.and_then(|p| p.get("output").map(str::to_owned)))
            .unwrap_or_else(|| "json".to_owned())
    }
}

/// Writes a new private file (mode 0600) atomically: temp file, fsync, rename.
pub(crate) fn write_private_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
