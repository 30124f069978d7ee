//! The client's settings, resolved once: the global options, the environment (injected
//! through [`Env`]) and the profile give the profile name, region, endpoints, output format,
//! HTTP options, timestamp format and pager, in the AWS CLI's order of precedence. Nothing
//! else in the client reads the process environment or the files.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use rolecall_credentials::{Cache, Env, Plan, TerminalPrompt};
use rolecall_profile::Profiles;
use rolecall_transport::HttpOptions;

use crate::CliError;
use crate::api::shapes::TimestampFormat;

/// The AWS CLI's global options, accepted anywhere on the command line.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Use a specific profile from your credential file.
    #[arg(long, global = true, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// The region to use.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Override the command's default URL with the given URL.
    #[arg(long = "endpoint-url", global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The formatting style for command output.
    #[arg(long, global = true, value_name = "FORMAT", value_parser = ["json", "text", "table", "yaml", "yaml-stream", "off"])]
    pub output: Option<String>,
    /// A JMESPath query to use in filtering the response data.
    #[arg(long, global = true, value_name = "QUERY")]
    pub query: Option<String>,
    /// The CA certificate bundle to use when verifying SSL certificates.
    #[arg(long = "ca-bundle", global = true, value_name = "FILE")]
    pub ca_bundle: Option<std::path::PathBuf>,
    /// Do not verify SSL certificates.
    #[arg(long = "no-verify-ssl", global = true)]
    pub no_verify_ssl: bool,
    /// The maximum socket connect time in seconds (0: wait forever).
    #[arg(long = "cli-connect-timeout", global = true, value_name = "SECONDS")]
    pub connect_timeout: Option<u64>,
    /// The maximum socket read time in seconds (0: wait forever).
    #[arg(long = "cli-read-timeout", global = true, value_name = "SECONDS")]
    pub read_timeout: Option<u64>,
    /// Disable automatic pagination: make one call and print its page.
    #[arg(long = "no-paginate", global = true)]
    pub no_paginate: bool,
    /// Turn on debug logging.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Disable the pager for output.
    #[arg(long = "no-cli-pager", global = true)]
    pub no_cli_pager: bool,
    /// Turn on/off color output (table format).
    #[arg(long, global = true, value_name = "WHEN", value_parser = ["on", "off", "auto"])]
    pub color: Option<String>,
}

/// What every client command works from: the environment, the files and the settings
/// resolved from them and the global options.
#[derive(Debug)]
pub struct Session {
    /// The injected environment.
    pub(crate) env: Env,
    /// The config and credentials files.
    pub(crate) profiles: Profiles,
    /// The global options as given.
    pub(crate) global: GlobalArgs,
    /// The settings resolved from all three.
    pub(crate) settings: Settings,
}

/// The resolved settings of one command.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The profile commands run as (`--profile`, `AWS_PROFILE`, `default`).
    pub(crate) profile: String,
    /// `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`.
    pub(crate) region: Option<String>,
    /// `--output`, `AWS_DEFAULT_OUTPUT`, the profile's `output`, `json`.
    pub(crate) output: String,
    /// `cli_timestamp_format`.
    pub(crate) timestamps: TimestampFormat,
    /// The pager command: `AWS_PAGER`, `cli_pager`, `PAGER`, `less`; `None` when disabled.
    pub(crate) pager: Option<String>,
    /// Whether `LESS` is set (when it is not, the pager runs with `LESS=FRX`).
    pub(crate) less_is_set: bool,
    /// HTTP options, or why the configuration of them is wrong (reported when a call is made).
    http: Result<HttpOptions, String>,
}

impl Session {
    /// Loads the files named by `env` and resolves the settings.
    ///
    /// # Errors
    /// A malformed config or credentials file.
    pub fn load(env: Env, global: GlobalArgs) -> Result<Self, CliError> {
        let profiles = env.load_profiles()?;
        let settings = Settings::resolve(&env, &profiles, &global);
        Ok(Self {
            env,
            profiles,
            global,
            settings,
        })
    }

    /// The profile name commands run as.
    pub(crate) fn profile_name(&self) -> String {
        self.settings.profile.clone()
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
        let cache = Cache::new(self.env.cache_dir(), self.env.lock_dir());
        let http = self.http_options()?;
        Ok(rolecall_credentials::execute(
            &plan.source,
            &cache,
            &TerminalPrompt,
            &http,
            time::OffsetDateTime::now_utc(),
        )?)
    }

    /// Trust roots, verification, timeouts and retries.
    pub(crate) fn http_options(&self) -> Result<HttpOptions, CliError> {
        self.settings.http.clone().map_err(CliError::Other)
    }

    /// The region.
    pub(crate) fn region(&self) -> Option<String> {
        self.settings.region.clone()
    }

    /// The endpoint of `service` for this command: `--endpoint-url`, then the configured
    /// endpoints, then AWS's.
    pub(crate) fn endpoint(&self, service: &str, region: &str) -> String {
        self.configured_endpoint(service)
            .unwrap_or_else(|| match service {
                "iam" => "https://iam.amazonaws.com".to_owned(),
                _ => format!("https://{service}.{region}.amazonaws.com"),
            })
    }

    /// The endpoint of `service` when it is not AWS's: `--endpoint-url`, then the configured
    /// endpoints.
    pub(crate) fn configured_endpoint(&self, service: &str) -> Option<String> {
        if let Some(url) = &self.global.endpoint_url {
            return Some(url.clone());
        }
        let profile = self.profiles.profile(&self.settings.profile);
        rolecall_credentials::configured_endpoint(
            &self.env,
            &self.profiles,
            profile.as_ref(),
            service,
        )
    }

    /// The output format; one the AWS CLI does not know (`AWS_DEFAULT_OUTPUT=""` included)
    /// fails as it fails there.
    pub(crate) fn output(&self) -> Result<String, CliError> {
        const FORMATS: &[&str] = &["json", "text", "table", "yaml", "yaml-stream", "off"];
        let format = &self.settings.output;
        if FORMATS.contains(&format.as_str()) {
            Ok(format.clone())
        } else {
            Err(CliError::Other(format!("Unknown output type: {format}")))
        }
    }
}

impl Settings {
    fn resolve(env: &Env, profiles: &Profiles, global: &GlobalArgs) -> Self {
        let name = global
            .profile
            .clone()
            .or_else(|| env.value("AWS_PROFILE").map(str::to_owned))
            .unwrap_or_else(|| "default".to_owned());
        let profile = profiles.profile(&name);
        let from_profile = |key: &str| profile.as_ref().and_then(|p| p.get(key)).map(str::to_owned);
        let region = global
            .region
            .clone()
            .or_else(|| rolecall_credentials::region(env, profile.as_ref()));
        let output = global
            .output
            .clone()
            .or_else(|| env.value("AWS_DEFAULT_OUTPUT").map(str::to_owned))
            .or_else(|| from_profile("output"))
            .unwrap_or_else(|| "json".to_owned());
        let timestamps = match from_profile("cli_timestamp_format").as_deref() {
            Some("wire" | "none") => TimestampFormat::Wire,
            _ => TimestampFormat::Iso8601,
        };
        let pager = if global.no_cli_pager {
            None
        } else {
            // AWS CLI v2: `AWS_PAGER`, `cli_pager` and `PAGER` count when set, also to the
            // empty string, which turns the pager off.
            let chosen = env
                .value("AWS_PAGER")
                .map(str::to_owned)
                .or_else(|| {
                    profile
                        .as_ref()
                        .and_then(|p| p.get_raw("cli_pager"))
                        .map(str::to_owned)
                })
                .or_else(|| env.value("PAGER").map(str::to_owned))
                .unwrap_or_else(|| "less".to_owned());
            (!chosen.trim().is_empty()).then_some(chosen)
        };
        let http = http_options(env, global, &from_profile);
        Self {
            profile: name,
            region,
            output,
            timestamps,
            pager,
            less_is_set: env.is_set("LESS"),
            http,
        }
    }
}

/// Trust roots, verification, timeouts and retries, from the options, the environment and
/// the profile, in the AWS CLI's order. A variable set to the empty string is a value, and
/// is refused as botocore refuses it.
fn http_options(
    env: &Env,
    global: &GlobalArgs,
    from_profile: &dyn Fn(&str) -> Option<String>,
) -> Result<HttpOptions, String> {
    // The variable's value (read by its rule), else the profile's setting.
    let setting =
        |var: Option<&str>, key: &str| var.map(str::to_owned).or_else(|| from_profile(key));
    let seconds = |v: Option<u64>| match v {
        Some(0) => Duration::from_secs(365 * 24 * 3600),
        Some(n) => Duration::from_secs(n),
        None => Duration::from_secs(60),
    };
    let mode =
        setting(env.value("AWS_RETRY_MODE"), "retry_mode").unwrap_or_else(|| "standard".to_owned());
    if !["legacy", "standard", "adaptive"].contains(&mode.as_str()) {
        return Err(format!(
            "Invalid value provided to \"mode\": \"{mode}\" must be one of: ('legacy', 'standard', 'adaptive')"
        ));
    }
    let default_attempts = if mode == "legacy" { 5 } else { 3 };
    let max_attempts = match setting(env.value("AWS_MAX_ATTEMPTS"), "max_attempts") {
        // botocore converts it with Python's `int`, and says what `int` says.
        Some(v) => v
            .trim()
            .parse::<u32>()
            .map_err(|_| format!("invalid literal for int() with base 10: '{v}'"))?,
        None => default_attempts,
    };
    let ca_bundle = match &global.ca_bundle {
        Some(path) => Some(path.clone()),
        None => setting(env.value("AWS_CA_BUNDLE"), "ca_bundle").map(PathBuf::from),
    };
    if ca_bundle
        .as_ref()
        .is_some_and(|p| p.to_string_lossy().trim().is_empty())
    {
        return Err("Invalid CA bundle: the configured value (ca_bundle, AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, or verify) resolved to an empty or whitespace-only string. Provide a valid path to a CA bundle file.".to_owned());
    }
    Ok(HttpOptions {
        ca_bundle,
        verify: !global.no_verify_ssl,
        connect_timeout: seconds(global.connect_timeout),
        read_timeout: seconds(global.read_timeout),
        max_attempts,
    })
}
