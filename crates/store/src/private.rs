//! The embedded database's files are private to the server's user: the data directory is
//! created 0700 (and made so when it exists empty), the database file 0600. SQLite gives its
//! `-wal`, `-shm` and `-journal` files the database file's mode; ones an older version left
//! more open are tightened before the database opens.

use std::io;
use std::path::Path;

/// Creates `dir` (and missing parents) readable by the owner alone; a directory that already
/// exists empty is made so too. A directory that already holds files keeps its mode.
///
/// # Errors
/// When the directory cannot be created or its mode set.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if dir.is_dir() {
            if std::fs::read_dir(dir)?.next().is_none() {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            }
            return Ok(());
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Creates the database file `path` 0600 if it is missing, and makes it and its companion
/// files (`-wal`, `-shm`, `-journal`) 0600 where they exist, before SQLite opens it.
///
/// # Errors
/// When a file cannot be created or its mode set.
pub(crate) fn prepare_database_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let name = path.as_os_str();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut file = name.to_owned();
            file.push(suffix);
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
