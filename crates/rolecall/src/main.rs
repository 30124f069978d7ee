//! The `rolecall` binary: argument parsing and glue. The work happens in the library crates.
//!
//! Exit codes follow the AWS CLI v2: 252 for a wrong command line, 253 for a wrong
//! configuration, 254 when the service refuses, 255 for anything else.

mod client;
mod server_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use client::{CliError, GlobalArgs, Session};

/// rolecall: AWS role switching, and an IAM + STS server that real AWS clients use unchanged.
#[derive(Debug, Parser)]
#[command(name = "rolecall", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
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
    /// Configure credentials and settings, read profiles, export credentials.
    Configure(client::configure::ConfigureArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// A service command's operation and options, read from the shape tables.
#[derive(Debug, clap::Args)]
struct ServiceArgs {
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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
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
    if cli.global.debug {
        init_debug();
    }
    if let Command::Completion { shell } = &cli.command {
        use clap::CommandFactory;
        let name = invoked_name();
        let mut command = Cli::command();
        for service in rolecall_service_model::Service::all() {
            command = command.mut_subcommand(service.cli_name, |c| {
                client::api::help::completion_command(service, c)
            });
        }
        clap_complete::generate(*shell, &mut command, name, &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    let result = match &cli.command {
        Command::Server(_) => {
            let Command::Server(args) = cli.command else {
                unreachable!()
            };
            return match server_cmd::run(args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("rolecall: {e:#}");
                    ExitCode::from(255)
                }
            };
        }
        Command::Completion { .. } => unreachable!("handled above"),
        Command::Iam(a) | Command::Sts(a) => {
            let service = match &cli.command {
                Command::Iam(_) => &rolecall_service_model::IAM,
                _ => &rolecall_service_model::STS,
            };
            let mut global = cli.global.clone();
            client::api::split_globals(&a.args, &mut global).and_then(|tokens| {
                if global.debug && !cli.global.debug {
                    init_debug();
                }
                Session::load(global).and_then(|s| {
                    client::api::run(service, &tokens, &s, &invoked_name()).map(|r| (r, s))
                })
            })
        }
        Command::Configure(c) => Session::load(cli.global.clone()).and_then(|s| {
            match &c.command {
                Some(sub) => client::configure::run(sub, &s),
                None => client::configure::interactive(&s),
            }
            .map(|text| (client::output::Rendered::text(text), s))
        }),
    };
    match result {
        Ok((out, session)) => {
            client::pager::show(&out, &session);
            ExitCode::SUCCESS
        }
        Err(e) => {
            if !e.message().is_empty() {
                let prefix = if matches!(e, CliError::Service(_) | CliError::Network(_)) {
                    "\n"
                } else {
                    ""
                };
                eprintln!("{prefix}{}", e.message());
            }
            ExitCode::from(e.exit_code())
        }
    }
}
