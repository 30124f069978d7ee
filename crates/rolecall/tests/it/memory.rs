//! Memory per request is bounded whatever the input: a server limited to 512 MiB of writable
//! memory answers the worst simulation requests (each with one bounded page) and the request
//! after them.

use std::time::{Duration, Instant};

use rolecall_test_support::{Backend, Server, python, run_python};

use crate::{bin, py_dir, py_env};

/// The memory the server may write to (`RLIMIT_DATA`: its heap and private writable
/// mappings). Not the address space (`--as`): the allocator reserves address space in large
/// arenas up front and commits it as it is used, so reserved space says nothing of use.
const LIMIT: &str = "--data=536870912";

#[test]
fn simulation_survives_a_512_mib_memory_limit() {
    let Some(py) = python() else { return };
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            !rolecall_test_support::in_ci(),
            "prlimit (util-linux) is missing"
        );
        eprintln!("SKIPPED: prlimit (util-linux) is not installed");
        return;
    }
    let server = Server::start_wrapped(bin(), Backend::Sqlite, &[], &["prlimit", LIMIT, "--"]);
    let admin = server.bootstrap("676767676767", "admin");
    let env = py_env(&server, &[admin]);
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let limit = rolecall_server::MAX_BODY_BYTES.to_string();
    env.push(("RC_BODY_LIMIT", &limit));
    let started = Instant::now();
    let out = run_python(&py, &py_dir().join("simulation_memory.py"), &env);
    eprintln!("{}", out.trim());
    assert!(out.trim().ends_with("simulation memory ok"), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(300),
        "the worst requests took {:?}",
        started.elapsed()
    );
}
