//! The AWS SDK for JavaScript v3 (`@aws-sdk/client-sts` from npm, its default credential
//! chain) as the program handed role credentials: the child of `exec` (keys in its
//! environment) and of `exec --server`, and the client of `credential-server` in the ECS
//! container shape, the IMDSv2 shape and over HTTPS with the CA the server made. Each calls
//! GetCallerIdentity as the role and, where the credentials come from an endpoint, fetches new
//! ones once the first near expiry; a wrong token and an untrusted certificate are refused.

use std::path::{Path, PathBuf};
use std::process::Output;

use rolecall_test_support::{Backend, Server, node_modules};

use crate::bin;
use crate::credential_endpoints::{ACCOUNT, peer, served_home, start};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js/who_am_i.js")
}

/// What `who_am_i.js` printed.
#[derive(Debug)]
struct Called {
    arns: Vec<String>,
    signed_with: Vec<String>,
    keys_in_environment: bool,
}

fn called(out: &Output) -> Called {
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    let strings = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap_or_default().to_owned())
            .collect()
    };
    Called {
        arns: strings("arns"),
        signed_with: strings("signedWith"),
        keys_in_environment: v["keysInEnvironment"].as_bool().unwrap(),
    }
}

/// The role session each call must be made as.
fn role_session() -> String {
    format!("arn:aws:sts::{ACCOUNT}:assumed-role/Ops/served")
}

/// Calls before and after the clock moved into the SDK's refresh window: all as the role,
/// signed with temporary keys none of which came from the environment, the last with keys
/// fetched again.
fn assert_refreshed(c: &Called) {
    assert!(c.arns.len() >= 2, "{c:?}");
    assert!(c.arns.iter().all(|a| *a == role_session()), "{c:?}");
    assert_eq!(c.signed_with.len(), c.arns.len(), "{c:?}");
    assert!(c.signed_with.iter().all(|k| k.starts_with("ASIA")), "{c:?}");
    assert_ne!(
        c.signed_with.first(),
        c.signed_with.last(),
        "credentials near expiry are fetched again: {c:?}"
    );
    assert!(!c.keys_in_environment, "{c:?}");
}

/// Node running `who_am_i.js` with `args`, finding the SDK in `modules`, reaching STS at
/// `sts`, with nothing of the test process's AWS environment but `env`.
fn node(modules: &Path, sts: &str, args: &[&str], env: &[(String, String)]) -> Output {
    let script = script();
    let mut all: Vec<&str> = vec![script.to_str().unwrap()];
    all.extend_from_slice(args);
    let mut env = env.to_vec();
    env.extend([
        ("NODE_PATH".to_owned(), modules.display().to_string()),
        ("AWS_ENDPOINT_URL_STS".to_owned(), sts.to_owned()),
        ("AWS_REGION".to_owned(), "us-east-1".to_owned()),
    ]);
    peer(Path::new("node"), &all, &env).output().unwrap()
}

#[test]
fn the_javascript_sdk_gets_role_credentials_from_exec_and_the_endpoints() {
    let Some(modules) = node_modules() else {
        return;
    };
    let server = Server::start(bin(), Backend::Sqlite);
    let home = served_home(&server);
    let script = script();
    let in_exec = |extra: &[&str], args: &[&str]| {
        let mut all = vec!["exec"];
        all.extend_from_slice(extra);
        all.extend(["ops", "--", "node", script.to_str().unwrap()]);
        all.extend_from_slice(args);
        home.rolecall(
            &all,
            &[
                ("NODE_PATH", modules.to_str().unwrap()),
                ("AWS_ENDPOINT_URL_STS", &server.endpoint),
            ],
        )
    };

    // (a) exec: the role's keys in the child's environment.
    let c = called(&in_exec(&[], &[]));
    assert_eq!(c.arns, [role_session()], "{c:?}");
    assert!(c.keys_in_environment, "{c:?}");

    // (b) exec --server: the container endpoint, refreshed.
    assert_refreshed(&called(&in_exec(&["--server"], &["--refresh"])));

    // (c) credential-server, ECS container shape, refreshed; a wrong token is refused.
    let ecs = start(&home, &server.endpoint, &[]);
    let sts = server.endpoint.as_str();
    assert_refreshed(&called(&node(&modules, sts, &["--refresh"], &ecs.env)));
    let mut wrong = ecs.env.clone();
    wrong[1].1 = "wrong".to_owned();
    for args in [&[][..], &["--container-only"]] {
        let out = node(&modules, sts, args, &wrong);
        assert!(!out.status.success() && out.stdout.is_empty(), "{out:?}");
    }
    let out = node(&modules, sts, &["--container-only"], &wrong);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CredentialsProviderError: Server responded with status: 403"),
        "{stderr}"
    );
    drop(ecs);

    // (d) credential-server, IMDSv2 shape (the SDK's token flow), refreshed.
    let imds = start(&home, &server.endpoint, &["--imds"]);
    assert_refreshed(&called(&node(&modules, sts, &["--refresh"], &imds.env)));
    drop(imds);

    // (e) credential-server over HTTPS: trusted through NODE_EXTRA_CA_CERTS as printed,
    // refreshed; without the CA, the certificate is refused.
    let tls = start(&home, &server.endpoint, &["--tls"]);
    assert!(
        tls.env[0].1.starts_with("https://127.0.0.1:"),
        "{:?}",
        tls.env
    );
    assert_eq!(tls.env[2].0, "NODE_EXTRA_CA_CERTS");
    assert_refreshed(&called(&node(&modules, sts, &["--refresh"], &tls.env)));
    let out = node(&modules, sts, &["--container-only"], &tls.env[..2]);
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("self-signed certificate in certificate chain"),
        "{stderr}"
    );
}
