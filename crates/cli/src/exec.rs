//! `rolecall exec PROFILE [-- COMMAND ARGS…]`: runs a command with a profile's credentials
//! (resolved exactly as `--profile` resolves them: chains, MFA prompted once, the shared
//! cache) in its environment, under the AWS CLI's variable names, or with those of any role
//! given by `--role-arn`. The command replaces rolecall, so its exit status and signals are
//! the caller's to see.

use clap::Args;
use rolecall_credentials::{AdHocRole, Cache, Credentials, Env, TerminalPrompt};

use crate::{CliError, GlobalArgs, Session};

/// The variable that names the profile of an `exec` session (for shell prompts); its presence
/// also tells a nested `exec` that it is nested.
pub const PROFILE_VARIABLE: &str = "ROLECALL_PROFILE";

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

/// Resolves the credentials and replaces this process with the command. Returns only when
/// that fails.
///
/// # Errors
/// A nested session without `--nest`, credentials that cannot be had, a command that cannot
/// be run.
pub fn run(args: &ExecArgs, env: Env) -> Result<std::convert::Infallible, CliError> {
    if let Some(outer) = env.var(PROFILE_VARIABLE).filter(|_| !args.nest) {
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
    let (label, credentials) = match &args.role_arn {
        Some(role_arn) => (role_arn.clone(), assume(args, role_arn, &session)?),
        None => (session.profile_name(), session.credentials()?),
    };
    let shell = session.env.var("SHELL").unwrap_or("/bin/sh").to_owned();
    let (program, rest) = match args.command.split_first() {
        Some((program, rest)) => (program.clone(), rest.to_vec()),
        None => (shell, Vec::new()),
    };
    let mut command = std::process::Command::new(&program);
    command.args(&rest);
    for name in REMOVED {
        command.env_remove(name);
    }
    for (name, value) in variables(&credentials, session.region().as_deref(), &label) {
        command.env(name, value);
    }
    tracing::debug!(program, profile = %label, "running the command with the credentials");
    Err(replace_process(&mut command, &program))
}

fn assume(args: &ExecArgs, role_arn: &str, session: &Session) -> Result<Credentials, CliError> {
    let plan = rolecall_credentials::resolve_ad_hoc_role(
        &session.env,
        &session.profiles,
        args.source_profile.as_deref(),
        AdHocRole {
            role_arn: role_arn.to_owned(),
            role_session_name: args.role_session_name.clone(),
            duration_seconds: args.duration_seconds,
            external_id: args.external_id.clone(),
            mfa_serial: args.mfa_serial.clone(),
        },
    )?;
    let cache = Cache::new(session.env.cache_dir(), session.env.lock_dir());
    Ok(rolecall_credentials::execute(
        &plan.source,
        &cache,
        &TerminalPrompt,
        &session.http_options()?,
        time::OffsetDateTime::now_utc(),
    )?)
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
    if let Some(region) = region {
        out.push(("AWS_REGION", region.to_owned()));
        out.push(("AWS_DEFAULT_REGION", region.to_owned()));
    }
    out.push((PROFILE_VARIABLE, label.to_owned()));
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
