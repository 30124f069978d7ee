//! Output through a pager, as AWS CLI v2 does on a terminal: `AWS_PAGER`, then the profile's
//! `cli_pager`, then `PAGER`, then `less` (with `LESS=FRX` unless set). An empty pager,
//! `--no-cli-pager`, or output that is not a terminal writes directly.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};

use super::Session;
use super::output::Rendered;

/// The pager command for this session, or `None` to write directly.
fn pager(session: &Session) -> Option<String> {
    if session.global.no_cli_pager || !std::io::stdout().is_terminal() {
        return None;
    }
    let profile = session.profiles.profile(&session.profile_name());
    let chosen = session
        .env
        .var("AWS_PAGER")
        .map(str::to_owned)
        .or_else(|| {
            profile
                .as_ref()
                .and_then(|p| p.get("cli_pager"))
                .map(str::to_owned)
        })
        .or_else(|| session.env.var("PAGER").map(str::to_owned))
        .unwrap_or_else(|| "less".to_owned());
    (!chosen.trim().is_empty()).then_some(chosen)
}

/// Writes a command's output to stdout, through the pager when one applies.
pub(crate) fn show(out: &Rendered, session: &Session) {
    if out.text.is_empty() {
        return;
    }
    if let Some(command) = pager(session) {
        let mut child = Command::new("sh");
        child.arg("-c").arg(&command).stdin(Stdio::piped());
        if std::env::var_os("LESS").is_none() {
            child.env("LESS", "FRX");
        }
        if let Ok(mut running) = child.spawn() {
            if let Some(mut stdin) = running.stdin.take() {
                // The pager quitting early (q) closes the pipe: not an error.
                let _ = stdin.write_all(out.text.as_bytes());
            }
            let _ = running.wait();
            return;
        }
    }
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = stdout.write_all(out.text.as_bytes());
}
