//! Guard tests for the invariants ARCHITECTURE.md states as absences: they read the
//! workspace's sources, so a change that breaks an invariant fails here with the file named.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The crates of the workspace: (folder name, path).
fn crates() -> Vec<(String, PathBuf)> {
    let mut out: Vec<_> = std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    out
}

/// Source files (not tests, benches or generated tables) of every crate but `owners` that
/// mention any of `needles`.
fn offenders(owners: &[&str], needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, path) in crates() {
        if owners.contains(&name.as_str()) {
            continue;
        }
        for file in rust_files(&path.join("src")) {
            let shown = file.display().to_string();
            if shown.contains("/tests/") || shown.ends_with("tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            // Unit tests at the end of a file may use independent parsers.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for needle in needles {
                if code.contains(needle) {
                    found.push(format!("{} uses {needle}", file.display()));
                }
            }
        }
    }
    found
}

#[test]
fn only_wire_parses_xml() {
    let found = offenders(&["wire"], &["quick_xml", "GeneralRef"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn only_transport_opens_client_sockets() {
    // The server listens (and test-support starts it); only transport connects.
    let found = offenders(
        &["transport", "test-support", "bench"],
        &["ureq::", "TcpStream::connect", "reqwest", "hyper::client"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn only_store_speaks_sql() {
    let found = offenders(
        &["store"],
        &["sqlx", "SELECT ", "INSERT INTO", "DELETE FROM"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_binary_is_glue() {
    let lines: usize = rust_files(&workspace().join("crates/rolecall/src"))
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
        .sum();
    assert!(
        lines < 800,
        "crates/rolecall/src has {lines} lines; the budget is 800"
    );
}

#[test]
fn folders_are_named_after_their_packages() {
    for (folder, path) in crates() {
        let manifest = std::fs::read_to_string(path.join("Cargo.toml")).unwrap();
        let name = manifest
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .unwrap()
            .trim_matches('"');
        let expected = if folder == "rolecall" {
            "rolecall".to_owned()
        } else {
            format!("rolecall-{folder}")
        };
        assert_eq!(name, expected, "crates/{folder}");
    }
}

/// The `[dependencies]`-style tables of a manifest: (table, dependency name, line).
fn dependencies(manifest: &str) -> Vec<(String, String, String)> {
    let mut table = String::new();
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            table = line.trim_matches(['[', ']']).to_owned();
            continue;
        }
        if !table.ends_with("dependencies") || line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((name, _)) = line.split_once('=') {
            let name = name.trim().split('.').next().unwrap_or_default().to_owned();
            out.push((table.clone(), name, line.to_owned()));
        }
    }
    out
}

#[test]
fn every_declared_dependency_is_used() {
    let mut unused = Vec::new();
    for (folder, path) in crates() {
        let manifest = std::fs::read_to_string(path.join("Cargo.toml")).unwrap();
        let read_all = |dirs: &[&str]| -> String {
            dirs.iter()
                .flat_map(|d| rust_files(&path.join(d)))
                .map(|f| std::fs::read_to_string(f).unwrap())
                .collect()
        };
        let sources = read_all(&["src"]);
        let everything = read_all(&["src", "tests", "benches", "examples"]);
        for (table, name, line) in dependencies(&manifest) {
            // A dependency declared only for its features says so on its line.
            if line.contains("# features only") {
                continue;
            }
            let ident = name.replace('-', "_");
            let haystack = if table == "dependencies" {
                &sources
            } else {
                &everything
            };
            if !haystack.contains(&format!("{ident}::"))
                && !haystack.contains(&format!("use {ident}"))
                && !haystack.contains(&format!("{ident}!"))
            {
                unused.push(format!("crates/{folder} [{table}] {name}"));
            }
        }
    }
    assert!(unused.is_empty(), "declared but never used: {unused:#?}");
}

#[test]
fn internal_crates_are_workspace_dependencies() {
    for (folder, path) in crates() {
        let manifest = std::fs::read_to_string(path.join("Cargo.toml")).unwrap();
        for line in manifest.lines() {
            assert!(
                !line.contains("{ path =") && !line.contains(", path ="),
                "crates/{folder}/Cargo.toml declares a path dependency: {line} (use the workspace's)"
            );
        }
    }
}

#[test]
fn server_help_lists_only_what_the_server_takes() {
    for args in [
        &["server", "--help"][..],
        &["server", "bootstrap", "--help"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolecall"))
            .args(args)
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("--data-dir"), "{help}");
        for client_option in [
            "--profile",
            "--region",
            "--output",
            "--query",
            "--ca-bundle",
            "--endpoint-url",
            "--debug",
        ] {
            assert!(
                !help.contains(client_option),
                "{args:?} lists {client_option}:\n{help}"
            );
        }
    }
    // The client's global options still work before the service name.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args([
            "--output",
            "text",
            "--region",
            "eu-west-1",
            "configure",
            "get",
            "region",
        ])
        .env("HOME", std::env::temp_dir().join("rolecall-tidy-no-home"))
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The rows of the table in `credentials/src/env.rs`: (variable, the `Env` method it is read
/// with).
fn empty_value_table() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(workspace().join("crates/credentials/src/env.rs")).unwrap();
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .strip_prefix("//! |")?
                .split('|')
                .map(str::trim)
                .collect();
            let unquote = |c: &str| Some(c.strip_prefix('`')?.strip_suffix('`')?.to_owned());
            Some((unquote(cells.first()?)?, unquote(cells.get(1)?)?))
        })
        .collect()
}

/// Every environment variable the client's sources read through `Env`: (variable, method,
/// file). A name is a string literal, or a `const` of the same file.
fn variables_read() -> Vec<(String, String, String)> {
    const METHODS: &[&str] = &["value", "non_empty", "flag", "is_set"];
    let is_name = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    let mut out = Vec::new();
    for krate in ["cli", "credentials", "transport", "profile", "rolecall"] {
        for file in rust_files(&workspace().join("crates").join(krate).join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for method in METHODS {
                let call = format!(".{method}(");
                for (at, _) in code.match_indices(&call) {
                    let arg = code[at + call.len()..].trim_start();
                    let name = if let Some(quoted) = arg.strip_prefix('"') {
                        quoted.split('"').next().unwrap_or_default().to_owned()
                    } else {
                        let ident: String = arg
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        let decl = format!("const {ident}: &str = \"");
                        match code.split_once(&decl).filter(|_| is_name(&ident)) {
                            Some((_, rest)) => {
                                rest.split('"').next().unwrap_or_default().to_owned()
                            }
                            None => continue,
                        }
                    };
                    if is_name(&name) {
                        out.push(((*method).to_owned(), name, file.display().to_string()));
                    }
                }
            }
        }
    }
    out.into_iter().map(|(m, n, f)| (n, m, f)).collect()
}

#[test]
fn every_variable_the_client_reads_is_in_the_empty_value_table() {
    let table = empty_value_table();
    assert!(
        table.len() > 20,
        "the table in credentials/src/env.rs: {table:?}"
    );
    let read = variables_read();
    let missing: Vec<String> = read
        .iter()
        .filter(|(name, method, _)| !table.iter().any(|(n, m)| n == name && m == method))
        .map(|(name, method, file)| format!("{file} reads {name} with Env::{method}: add the row (or fix the method) in credentials/src/env.rs"))
        .collect();
    assert!(missing.is_empty(), "{missing:#?}");
    let unread: Vec<&String> = table
        .iter()
        .filter(|(name, method)| {
            !name.contains('<') && !read.iter().any(|(n, m, _)| n == name && m == method)
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        unread.is_empty(),
        "rows of the table no source reads: {unread:?}"
    );
}

#[test]
fn the_client_reads_the_environment_only_through_env() {
    // The server's own settings (its data directory) are read by the binary; tests and the
    // load generator read theirs.
    let found: Vec<String> = offenders(
        &["rolecall", "test-support", "bench"],
        &["std::env::var", "env::vars()", "var_os(\"HOME\")"],
    )
    .into_iter()
    .filter(|f| !f.contains("credentials/src/env.rs"))
    .collect();
    assert!(found.is_empty(), "{found:#?}");
}
