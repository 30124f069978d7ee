//! Output through a pager, as AWS CLI v2 does on a terminal: `AWS_PAGER`, then the profile's
//! `cli_pager`, then `PAGER`, then `less` (with `LESS=FRX` unless set). An empty pager,
//! `--no-cli-pager`, or output that is not a terminal writes directly.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};

use super::Rendered;
use crate::Session;

/// Writes a command's output to stdout, through the pager when one applies.
pub(crate) fn show(out: &Rendered, session: &Session) {
    if out.text.is_empty() {
        return;
    }
    let pager = session
        .settings
        .pager
        .as_ref()
        .filter(|_| std::io::stdout().is_terminal());
    if let Some(command) = pager {
        let mut child = Command::new("sh");
        child.arg("-c").arg(command).stdin(Stdio::piped());
        if !session.settings.less_is_set {
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
