//! The data directory holds all IAM metadata and the master key: only the server's user may
//! read it, whether the server creates the directory or finds it existing and empty.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::bin;

/// A server started on `dir`, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &Path) -> Running {
    let mut child = Command::new(bin())
        .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start rolecall server");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the server printed its start line");
    assert!(line.contains("listening on"), "{line}");
    running
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn assert_private(dir: &Path) {
    // A write while the server holds the database open: the WAL and SHM files exist.
    let out = Command::new(bin())
        .args(["server", "bootstrap", "--account-id", "123456789012"])
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("run bootstrap");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for file in [
        "rolecall.db",
        "rolecall.db-wal",
        "rolecall.db-shm",
        "master.key",
    ] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file} in {}", dir.display());
    }
}

#[test]
fn the_data_directory_and_database_files_are_private() {
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();

    // Created by the server.
    let fresh = root.path().join("fresh");
    let server = start(&fresh);
    assert_private(&fresh);
    drop(server);

    // Existing and empty, as a mkdir under a 022 umask leaves it.
    let existing = root.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = start(&existing);
    assert_private(&existing);
    drop(server);
}
