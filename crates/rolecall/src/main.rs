//! The `rolecall` binary: argument parsing, exit codes, tracing set-up, and calls into the
//! library crates (`rolecall-cli` for the client, `rolecall-server` for the server).
//!
//! Exit codes follow the AWS CLI v2: 252 for a wrong command line, 253 for a wrong
//! configuration, 254 when the service refuses, 255 for anything else.

mod server_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rolecall_cli::{GlobalArgs, configure::ConfigureArgs};

/// rolecall: AWS role switching, and an IAM + STS server that real AWS clients use unchanged.
#[derive(Debug, Parser)]
#[command(name = "rolecall", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the IAM + STS server, or manage its data.
    Server(server_cmd::ServerArgs),
    /// AWS Identity and Access Management: every operation the server implements.
    Iam(ServiceArgs),
    /// AWS Security Token Service.
    Sts(ServiceArgs),
    /// AWS CloudTrail: LookupEvents, the audit trail's events.
    Cloudtrail(ServiceArgs),
    /// Configure credentials and settings, read profiles, export credentials.
    Configure(ConfigureArgs),
    /// Run a command with a profile's (or a role's) credentials in its environment.
    Exec(rolecall_cli::exec::ExecArgs),
    /// The audit trail, one line per event: a role session's, a role's or a user's calls.
    Audit(rolecall_cli::audit::AuditArgs),
    /// Open the AWS console signed in with a profile's credentials (or print the sign-in URL).
    Login(rolecall_cli::login::LoginArgs),
    /// Serve a profile's credentials to other programs (ECS container or IMDSv2 shape).
    CredentialServer(rolecall_cli::serve::CredentialServerArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// A service command's operation and options, read from the shape tables.
#[derive(Debug, clap::Args)]
struct ServiceArgs {
    #[command(flatten)]
    global: GlobalArgs,
    /// The operation and its options (`help` for the list).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    args: Vec<String>,
}

/// The name the binary was invoked under (`rolecall`, or `aws` through a link).
fn invoked_name() -> String {
    std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "rolecall".to_owned())
}

/// `--debug`: the call's progress on stderr.
fn init_debug() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Prints the completion script, with every service operation and option.
fn completion(shell: clap_complete::Shell) {
    use clap::CommandFactory;
    let mut command = Cli::command();
    for service in rolecall_service_model::Service::all() {
        command = command.mut_subcommand(service.cli_name, |c| {
            rolecall_cli::completion_command(service, c)
        });
    }
    clap_complete::generate(shell, &mut command, invoked_name(), &mut std::io::stdout());
}

/// Runs a client command: load the settings once, run, show the output or the error.
fn client(
    global: GlobalArgs,
    run: impl FnOnce(&rolecall_cli::Session) -> Result<rolecall_cli::Rendered, rolecall_cli::CliError>,
) -> ExitCode {
    if global.debug {
        init_debug();
    }
    match rolecall_cli::session(global).and_then(|s| run(&s).map(|out| (out, s))) {
        Ok((out, session)) => {
            rolecall_cli::show(&out, &session);
            ExitCode::SUCCESS
        }
        Err(e) => ExitCode::from(rolecall_cli::report(&e)),
    }
}

/// mimalloc rather than the C library's allocator (see the workspace manifest).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = rolecall_cli::hoist_global_options(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return if usage {
                ExitCode::from(252)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Server(args) => match server_cmd::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("rolecall: {e:#}");
                ExitCode::from(255)
            }
        },
        Command::Completion { shell } => {
            completion(shell);
            ExitCode::SUCCESS
        }
        Command::Iam(ServiceArgs { mut global, args }) => {
            service(&rolecall_service_model::IAM, &mut global, &args)
        }
        Command::Cloudtrail(ServiceArgs { mut global, args }) => {
            service(&rolecall_service_model::CLOUDTRAIL, &mut global, &args)
        }
        Command::Sts(ServiceArgs { mut global, args }) => {
            service(&rolecall_service_model::STS, &mut global, &args)
        }
        Command::Configure(c) => client(c.global().clone(), |s| rolecall_cli::run_configure(&c, s)),
        Command::Audit(a) => client(a.global().clone(), |s| rolecall_cli::audit::run(&a, s)),
        Command::Login(a) => client(a.global(), |s| rolecall_cli::login::run(&a, s)),
        Command::Exec(a) => {
            if a.global().debug {
                init_debug();
            }
            let env = rolecall_credentials::Env::from_process();
            match rolecall_cli::exec::run(&a, env) {
                Ok(code) => ExitCode::from(code),
                Err(e) => ExitCode::from(rolecall_cli::report(&e)),
            }
        }
        Command::CredentialServer(a) => {
            if a.global().debug {
                init_debug();
            }
            let env = rolecall_credentials::Env::from_process();
            match rolecall_cli::serve::run(&a, env) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => ExitCode::from(rolecall_cli::report(&e)),
            }
        }
    }
}

/// `iam …` / `sts …`: the global options may also stand among the operation's options.
fn service(
    service: &'static rolecall_service_model::Service,
    global: &mut GlobalArgs,
    args: &[String],
) -> ExitCode {
    match rolecall_cli::split_globals(args, global) {
        Ok(tokens) => client(global.clone(), |s| {
            rolecall_cli::run_service(service, &tokens, s, &invoked_name())
        }),
        Err(e) => ExitCode::from(rolecall_cli::report(&e)),
    }
}
