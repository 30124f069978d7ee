//! `rolecall exec PROFILE [-- COMMAND ARGS…]`: runs a command with a profile's credentials
//! (resolved exactly as `--profile` resolves them: chains, MFA prompted once, the shared
//! cache) in its environment, under the AWS CLI's variable names, or with those of any role
//! given by `--role-arn`. The command replaces rolecall, so its exit status and signals are
//! the caller's to see. With `--server` no keys enter the environment: rolecall serves the
//! container credentials endpoint on a loopback port for the command's lifetime, and the
//! SDKs in the command fetch (and refresh) the credentials there.

use clap::Args;
use rolecall_credentials::endpoint::{Fetch, Shape};
use rolecall_credentials::{AdHocRole, Cache, Credentials, Env, Plan, TerminalPrompt};

use crate::{CliError, GlobalArgs, Session};

/// The variable that names the profile of an `exec` session (for shell prompts); its presence
/// also tells a nested `exec` that it is nested.
pub const PROFILE_VARIABLE: &str = "ROLECALL_PROFILE";

/// What the command's SDKs read as the shared credentials file under `--server`: nothing.
#[cfg(unix)]
const NO_FILE: &str = "/dev/null";
#[cfg(not(unix))]
const NO_FILE: &str = "NUL";

/// Variables removed from the command's environment: SDKs in it must not resolve a profile or
/// older keys again.
const REMOVED: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// `rolecall exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    global: GlobalArgs,
    /// The profile whose credentials the command gets.
    #[arg(
        value_name = "PROFILE",
        required_unless_present = "role_arn",
        conflicts_with = "role_arn"
    )]
    profile_name: Option<String>,
    /// Assume this role instead of a profile's (with --source-profile, or the default
    /// credentials).
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
    /// The profile whose credentials assume --role-arn.
    #[arg(long, value_name = "PROFILE", requires = "role_arn")]
    source_profile: Option<String>,
    /// The session name for --role-arn (default: AWS-CLI-session-<epoch>).
    #[arg(long, value_name = "NAME", requires = "role_arn")]
    role_session_name: Option<String>,
    /// The session duration for --role-arn.
    #[arg(long, value_name = "SECONDS", requires = "role_arn")]
    duration_seconds: Option<i64>,
    /// The external id for --role-arn.
    #[arg(long, value_name = "ID", requires = "role_arn")]
    external_id: Option<String>,
    /// The MFA device for --role-arn (its code is prompted for).
    #[arg(long, value_name = "SERIAL", requires = "role_arn")]
    mfa_serial: Option<String>,
    /// Run even inside another `rolecall exec` session.
    #[arg(long)]
    nest: bool,
    /// Put no keys in the environment: serve them to the command from a loopback container
    /// credentials endpoint that refreshes them as they near expiry.
    #[arg(long)]
    server: bool,
    /// The command and its arguments, after `--` (default: the user's $SHELL).
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

impl ExecArgs {
    /// The global options given to `exec`.
    #[must_use]
    pub fn global(&self) -> &GlobalArgs {
        &self.global
    }
}

/// Resolves the credentials and replaces this process with the command (returning only when
/// that fails), or with `--server` runs the command beside the credentials endpoint and
/// returns its exit code (128 + the signal's number when a signal ended it).
///
/// # Errors
/// A nested session without `--nest`, credentials that cannot be had, a command that cannot
/// be run.
pub fn run(args: &ExecArgs, env: Env) -> Result<u8, CliError> {
    if let Some(outer) = env.non_empty(PROFILE_VARIABLE).filter(|_| !args.nest) {
        return Err(CliError::Usage(format!(
            "rolecall exec: this shell already runs with the credentials of {outer} ({PROFILE_VARIABLE} is set); exit it first, or pass --nest"
        )));
    }
    let mut global = args.global.clone();
    if let Some(p) = &args.profile_name {
        global.profile = Some(p.clone());
    } else if args.source_profile.is_some() {
        global.profile.clone_from(&args.source_profile);
    }
    let session = Session::load(env, global)?;
    let label = args
        .role_arn
        .clone()
        .unwrap_or_else(|| session.profile_name());
    let plan = plan(args, &session)?;
    let fetch = fetcher(&session, &plan)?;
    let credentials = fetch()?;
    let shell = session
        .env
        .non_empty("SHELL")
        .unwrap_or("/bin/sh")
        .to_owned();
    let (program, rest) = match args.command.split_first() {
        Some((program, rest)) => (program.clone(), rest.to_vec()),
        None => (shell, Vec::new()),
    };
    let mut command = std::process::Command::new(&program);
    command.args(&rest);
    for name in REMOVED {
        command.env_remove(name);
    }
    let region = session.region();
    if !args.server {
        for (name, value) in variables(&credentials, region.as_deref(), &label) {
            command.env(name, value);
        }
        tracing::debug!(program, profile = %label, "running the command with the credentials");
        return Err(replace_process(&mut command, &program));
    }
    if credentials.expiration.is_none() {
        return Err(CliError::Config(format!(
            "rolecall exec --server: {label} gives long-term keys; the endpoint serves temporary credentials only (a role profile, or a profile with mfa_serial)"
        )));
    }
    let endpoint = crate::serve::Background::start(Shape::Container, fetch)?;
    command.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.url());
    command.env("AWS_CONTAINER_AUTHORIZATION_TOKEN", endpoint.token());
    // The SDKs read the shared credentials file before the container endpoint: its default
    // profile's keys must not shadow the role.
    command.env("AWS_SHARED_CREDENTIALS_FILE", NO_FILE);
    for (name, value) in region_variables(region.as_deref(), &label) {
        command.env(name, value);
    }
    tracing::debug!(program, profile = %label, url = %endpoint.url(), "running the command beside the credentials endpoint");
    let status = command
        .status()
        .map_err(|e| CliError::Other(format!("rolecall exec: cannot run {program}: {e}")))?;
    endpoint.stop();
    Ok(exit_code(status))
}

/// The plan `exec` acts on: the profile's, or AssumeRole of `--role-arn`.
fn plan(args: &ExecArgs, session: &Session) -> Result<Plan, CliError> {
    match &args.role_arn {
        Some(role_arn) => Ok(rolecall_credentials::resolve_ad_hoc_role(
            &session.env,
            &session.profiles,
            args.source_profile.as_deref(),
            AdHocRole {
                role_arn: role_arn.clone(),
                role_session_name: args.role_session_name.clone(),
                duration_seconds: args.duration_seconds,
                external_id: args.external_id.clone(),
                mfa_serial: args.mfa_serial.clone(),
            },
        )?),
        None => session.plan(),
    }
}

/// Credentials of `plan` on every call: the cached session while it lasts, a new one (with
/// the MFA prompt only when the source session needs it) as it nears expiry.
pub(crate) fn fetcher(session: &Session, plan: &Plan) -> Result<Fetch, CliError> {
    let cache = Cache::new(session.env.cache_dir(), session.env.lock_dir());
    let http = session.http_options()?;
    let source = plan.source.clone();
    Ok(std::sync::Arc::new(move || {
        rolecall_credentials::execute(
            &source,
            &cache,
            &TerminalPrompt,
            &http,
            time::OffsetDateTime::now_utc(),
        )
    }))
}

/// A child's exit status as an exit code: its code, or 128 + the signal that ended it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(255);
        }
    }
    status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(255)
}

/// The region and profile variables.
fn region_variables(region: Option<&str>, label: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(region) = region {
        out.push(("AWS_REGION", region.to_owned()));
        out.push(("AWS_DEFAULT_REGION", region.to_owned()));
    }
    out.push((PROFILE_VARIABLE, label.to_owned()));
    out
}

/// The variables the command gets: the AWS CLI's export names, the region, the profile.
fn variables(c: &Credentials, region: Option<&str>, label: &str) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("AWS_ACCESS_KEY_ID", c.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", c.secret_access_key.clone()),
    ];
    if let Some(token) = &c.session_token {
        out.push(("AWS_SESSION_TOKEN", token.clone()));
    }
    if let Some(expiry) = crate::configure::expiry(c) {
        out.push(("AWS_CREDENTIAL_EXPIRATION", expiry));
    }
    out.extend(region_variables(region, label));
    out
}

#[cfg(unix)]
fn replace_process(command: &mut std::process::Command, program: &str) -> CliError {
    use std::os::unix::process::CommandExt;
    let e = command.exec();
    CliError::Other(format!("rolecall exec: cannot run {program}: {e}"))
}

#[cfg(not(unix))]
fn replace_process(command: &mut std::process::Command, program: &str) -> CliError {
    match command.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => CliError::Other(format!("rolecall exec: cannot run {program}: {e}")),
    }
}
