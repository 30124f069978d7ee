//! The client commands (`iam`, `sts`, `configure`): the AWS CLI's grammar, settings,
//! output and exit codes, as a library. Credentials come from `rolecall-credentials`, every
//! request goes through `rolecall-transport`; `api` drives every service operation from the
//! shape tables of `rolecall-service-model`; `settings` resolves the global options, the
//! environment and the profile once.

mod api;
pub mod audit;
pub mod configure;
pub mod exec;
pub mod login;
mod output;
pub mod serve;
mod settings;
mod time_input;

use rolecall_credentials::{CredentialsError, Env};
use rolecall_service_model::Service;
use rolecall_transport::TransportError;

pub use api::help::completion_command;
pub use api::split_globals;
pub use output::Rendered;
pub use settings::{GlobalArgs, Session};

/// The AWS CLI's exit codes.
#[derive(Debug)]
pub enum CliError {
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
    /// The process exit code.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 252,
            Self::Config(_) => 253,
            Self::Service(_) => 254,
            Self::Other(_) | Self::Network(_) => 255,
            Self::NotFound => 1,
        }
    }

    /// The message for stderr (empty for [`CliError::NotFound`]).
    #[must_use]
    pub fn message(&self) -> &str {
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
            CredentialsError::Service(_) => Self::Service(e.to_string()),
            CredentialsError::Transport(_) => Self::Network(e.to_string()),
            CredentialsError::Prompt(_)
            | CredentialsError::Cache { .. }
            | CredentialsError::Partial { .. } => Self::Other(e.to_string()),
        }
    }
}

impl From<TransportError> for CliError {
    fn from(e: TransportError) -> Self {
        CredentialsError::from(e).into()
    }
}

/// Runs a service command (`iam …`, `sts …`) whose global options were already split off.
///
/// # Errors
/// As the AWS CLI fails, with its exit codes.
pub fn run_service(
    service: &'static Service,
    tokens: &[String],
    session: &Session,
    program: &str,
) -> Result<Rendered, CliError> {
    api::run(service, tokens, session, program)
}

/// Runs `configure` (prompts without a subcommand).
///
/// # Errors
/// As the AWS CLI fails, with its exit codes.
pub fn run_configure(
    args: &configure::ConfigureArgs,
    session: &Session,
) -> Result<Rendered, CliError> {
    match &args.command {
        Some(sub) => configure::run(sub, session),
        None => configure::interactive(session),
    }
    .map(Rendered::text)
}

/// Loads the files and resolves the settings from the process environment.
///
/// # Errors
/// A malformed config or credentials file.
pub fn session(global: GlobalArgs) -> Result<Session, CliError> {
    Session::load(Env::from_process(), global)
}

/// Writes a command's output, through the pager on a terminal.
pub fn show(out: &Rendered, session: &Session) {
    output::pager::show(out, session);
}

/// Prints a failure as the AWS CLI does and gives its exit code.
#[must_use]
pub fn report(e: &CliError) -> u8 {
    if !e.message().is_empty() {
        let prefix = if matches!(e, CliError::Service(_) | CliError::Network(_)) {
            "\n"
        } else {
            ""
        };
        eprintln!("{prefix}{}", e.message());
    }
    e.exit_code()
}

/// Moves the AWS CLI's global options that stand before the service name behind it
/// (`rolecall --profile p sts …` is `rolecall sts --profile p …`), so that they belong to the
/// client commands alone and `rolecall server` does not list them.
#[must_use]
pub fn hoist_global_options(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::Args as _;
    let command = GlobalArgs::augment_args(clap::Command::new("aws"));
    let mut out = Vec::with_capacity(args.len());
    let mut moved = Vec::new();
    let mut iter = args.into_iter();
    if let Some(program) = iter.next() {
        out.push(program);
    }
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy();
        let Some(name) = text.strip_prefix("--") else {
            out.push(arg);
            break;
        };
        let name = name.split_once('=').map_or(name, |(n, _)| n);
        let Some(known) = command.get_arguments().find(|a| a.get_long() == Some(name)) else {
            out.push(arg);
            break;
        };
        let takes_value = known.get_action().takes_values() && !text.contains('=');
        moved.push(arg);
        if takes_value && let Some(value) = iter.next() {
            moved.push(value);
        }
    }
    // `out` now ends with the service name (or an unknown option, left where it was).
    out.extend(moved);
    out.extend(iter);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn global_options_move_behind_the_service() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            super::hoist_global_options(args(&[
                "rolecall",
                "--profile",
                "p",
                "--debug",
                "sts",
                "get-caller-identity"
            ])),
            args(&[
                "rolecall",
                "sts",
                "--profile",
                "p",
                "--debug",
                "get-caller-identity"
            ])
        );
        assert_eq!(
            super::hoist_global_options(args(&["rolecall", "--output=text", "iam", "list-users"])),
            args(&["rolecall", "iam", "--output=text", "list-users"])
        );
        assert_eq!(
            super::hoist_global_options(args(&["rolecall", "server", "--listen", "x"])),
            args(&["rolecall", "server", "--listen", "x"])
        );
        assert_eq!(
            super::hoist_global_options(args(&["rolecall", "--version"])),
            args(&["rolecall", "--version"])
        );
    }
}
