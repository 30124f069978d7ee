//! The `rolecall` binary: argument parsing and glue. The work happens in the library crates.

mod server_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(args) => server_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rolecall: {e:#}");
            ExitCode::from(255)
        }
    }
}
