//! Credentials served to other programs: `exec --server` (no keys in the child's
//! environment, the container endpoint instead) and `credential-server` in the ECS container
//! and IMDSv2 shapes, each used by boto3 calling GetCallerIdentity as the role; requests
//! without the right token refused; short sessions re-assumed as they near expiry.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use rolecall_test_support::{Backend, Server, python, terminate_child};

use crate::bin;
use crate::client_home::{ClientHome, client_command};

pub(crate) const ACCOUNT: &str = "123456789012";

/// boto3's GetCallerIdentity ARN, and the keys it saw in its environment, as one line.
const WHO_AM_I: &str = "import boto3, os; print(boto3.client('sts', region_name='us-east-1').get_caller_identity()['Arn'], 'AWS_ACCESS_KEY_ID' in os.environ)";

/// GETs `url` with `headers`: the status and the body's AccessKeyId (or the body).
const FETCH: &str = "import json, sys, urllib.request, urllib.error\nreq = urllib.request.Request(sys.argv[1], method=sys.argv[2], headers=json.loads(sys.argv[3]))\ntry:\n    r = urllib.request.urlopen(req, timeout=10)\n    body = r.read().decode()\n    print(r.status, json.loads(body).get('AccessKeyId') if body.startswith('{') else body)\nexcept urllib.error.HTTPError as e:\n    print(e.code, e.read().decode())";

/// A running `credential-server` and the environment it printed for clients.
pub(crate) struct Endpoint {
    child: std::process::Child,
    pub(crate) env: Vec<(String, String)>,
}

impl Drop for Endpoint {
    // Stopped as a user stops it, so that it cleans up (`--tls` removes its CA file).
    fn drop(&mut self) {
        let _ = terminate_child(&mut self.child, std::time::Duration::from_secs(10));
    }
}

/// Starts `credential-server --profile ops` with `extra` options against the STS `endpoint`.
pub(crate) fn start(home: &ClientHome, endpoint: &str, extra: &[&str]) -> Endpoint {
    let mut c = home.command(&["credential-server", "--profile", "ops"]);
    c.args(extra)
        .env("AWS_ENDPOINT_URL", endpoint)
        // `--tls` writes its CA file under TMPDIR: inside the test's home.
        .env("TMPDIR", home.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let lines =
        if extra.contains(&"--imds") { 1 } else { 2 } + usize::from(extra.contains(&"--tls"));
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut env = Vec::new();
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let (k, v) = line
            .trim()
            .strip_prefix("export ")
            .unwrap()
            .split_once('=')
            .unwrap();
        env.push((k.to_owned(), v.to_owned()));
    }
    Endpoint { child, env }
}

/// `program` with `args`, with nothing of the test process's AWS environment but `env`: what
/// a program finds its credentials with is only what a test hands it.
pub(crate) fn peer(program: &std::path::Path, args: &[&str], env: &[(String, String)]) -> Command {
    let mut c = Command::new(program);
    c.args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_CONFIG_FILE", "/dev/null")
        // Each call here finds its credentials on loopback (the container endpoint, or the
        // IMDS shape at AWS_EC2_METADATA_SERVICE_ENDPOINT), never at the metadata address.
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .env_remove("NODE_EXTRA_CA_CERTS")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    c
}

fn py(python: &std::path::Path, args: &[&str], env: &[(String, String)]) -> String {
    let out = peer(python, args, env).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A home whose profile `ops` assumes the role `Ops` (created here) in 900 s sessions named
/// `served`: always inside botocore's 15-minute refresh window, so every fetch re-assumes, and
/// short enough for the JavaScript SDK's five-minute window to be reached by moving its clock.
pub(crate) fn served_home(server: &Server) -> ClientHome {
    let admin = server.bootstrap(ACCOUNT, "admin");
    let role = format!("arn:aws:iam::{ACCOUNT}:role/Ops");
    let home = ClientHome::new(
        server,
        &admin,
        &format!(
            "[default]\nregion = us-east-1\n\n[profile ops]\nrole_arn = {role}\nsource_profile = default\nrole_session_name = served\nduration_seconds = 900\n"
        ),
    );
    home.create_role("Ops", ACCOUNT);
    home
}

#[test]
fn role_credentials_are_served_to_sdks_and_refreshed() {
    let Some(python) = python() else { return };
    let server = Server::start(bin(), Backend::Sqlite);
    let home = served_home(&server);
    let expected = format!("arn:aws:sts::{ACCOUNT}:assumed-role/Ops/served False");
    let sts = [("AWS_ENDPOINT_URL_STS".to_owned(), server.endpoint.clone())];

    // exec --server: the child has no keys, only the endpoint; its exit code comes back.
    let out = home.rolecall(
        &[
            "exec",
            "--server",
            "ops",
            "--",
            python.to_str().unwrap(),
            "-c",
            WHO_AM_I,
        ],
        &[("AWS_ENDPOINT_URL_STS", &server.endpoint)],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), expected);
    let out = home.rolecall(
        &["exec", "--server", "ops", "--", "sh", "-c", "exit 5"],
        &[],
    );
    assert_eq!(out.status.code(), Some(5));

    // credential-server, container shape.
    let ecs = start(&home, &server.endpoint, &[]);
    let mut env = ecs.env.clone();
    env.extend(sts.iter().cloned());
    assert_eq!(py(&python, &["-c", WHO_AM_I], &env), expected);
    let url = &ecs.env[0].1;
    let token = &ecs.env[1].1;
    let good = format!(r#"{{"Authorization": "{token}"}}"#);
    let first = py(&python, &["-c", FETCH, url, "GET", &good], &[]);
    let second = py(&python, &["-c", FETCH, url, "GET", &good], &[]);
    assert!(
        first.starts_with("200 ASIA") && second.starts_with("200 ASIA"),
        "{first} {second}"
    );
    assert_ne!(
        first, second,
        "a session inside the refresh window is re-assumed"
    );
    for bad in [r#"{"Authorization": "wrong"}"#, "{}"] {
        let refused = py(&python, &["-c", FETCH, url, "GET", bad], &[]);
        assert_eq!(refused, r#"403 {"Message":"invalid Authorization token"}"#);
    }
    // With nothing configured, the client's own default chain reaches the container endpoint.
    let bare = tempfile::tempdir().unwrap();
    let unconfigured = |extra: &[(&str, &str)]| {
        let out = client_command(bare.path(), &server.endpoint)
            .args([
                "sts",
                "get-caller-identity",
                "--query",
                "Arn",
                "--output",
                "text",
            ])
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_EC2_METADATA_DISABLED")
            .envs(extra.iter().copied())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let role_session = format!("arn:aws:sts::{ACCOUNT}:assumed-role/Ops/served");
    assert_eq!(
        unconfigured(&[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.as_str()),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", token.as_str()),
        ]),
        role_session
    );
    drop(ecs);

    // credential-server, IMDSv2 shape.
    let imds = start(&home, &server.endpoint, &["--imds"]);
    let mut env = imds.env.clone();
    env.extend(sts.iter().cloned());
    assert_eq!(py(&python, &["-c", WHO_AM_I], &env), expected);
    let base = imds.env[0].1.trim_end_matches('/');
    let credentials = format!("{base}/latest/meta-data/iam/security-credentials/rolecall");
    assert_eq!(
        py(&python, &["-c", FETCH, &credentials, "GET", "{}"], &[]),
        "401"
    );
    let ttl = r#"{"X-aws-ec2-metadata-token-ttl-seconds": "60"}"#;
    let token = py(
        &python,
        &["-c", FETCH, &format!("{base}/latest/api/token"), "PUT", ttl],
        &[],
    );
    let token = token.strip_prefix("200 ").unwrap();
    let with = format!(r#"{{"X-aws-ec2-metadata-token": "{token}"}}"#);
    assert!(py(&python, &["-c", FETCH, &credentials, "GET", &with], &[]).starts_with("200 ASIA"));
    // …and, with no container endpoint either, the instance metadata service.
    assert_eq!(
        unconfigured(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", base)]),
        role_session
    );
    let no_ttl = py(
        &python,
        &[
            "-c",
            FETCH,
            &format!("{base}/latest/api/token"),
            "PUT",
            "{}",
        ],
        &[],
    );
    assert!(no_ttl.starts_with("400"), "{no_ttl}");
}

/// botocore's container fetcher verifies HTTPS against certifi's bundle alone: the CA that
/// `credential-server --tls` wrote is refused even when `AWS_CA_BUNDLE` and OpenSSL's
/// `SSL_CERT_FILE` name it, and the call fails at once with a certificate error, not a hang.
/// The same file makes Python's own HTTPS client (OpenSSL) accept the endpoint.
#[test]
fn boto3_refuses_the_tls_endpoints_certificate_at_once() {
    let Some(python) = python() else { return };
    let server = Server::start(bin(), Backend::Sqlite);
    let home = served_home(&server);
    let tls = start(&home, &server.endpoint, &["--tls"]);
    let url = &tls.env[0].1;
    let token = &tls.env[1].1;
    let ca = tls.env[2].1.clone();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let trusted = [("SSL_CERT_FILE".to_owned(), ca.clone())];
    let good = format!(r#"{{"Authorization": "{token}"}}"#);
    let fetched = py(&python, &["-c", FETCH, url, "GET", &good], &trusted);
    assert!(fetched.starts_with("200 ASIA"), "{fetched}");

    let mut env = tls.env[..2].to_vec();
    env.extend([
        ("AWS_CA_BUNDLE".to_owned(), ca.clone()),
        ("SSL_CERT_FILE".to_owned(), ca),
        ("AWS_ENDPOINT_URL_STS".to_owned(), server.endpoint.clone()),
    ]);
    let started = std::time::Instant::now();
    let out = peer(&python, &["-c", WHO_AM_I], &env).output().unwrap();
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CERTIFICATE_VERIFY_FAILED"), "{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    // The CA file lives in a private directory while the server runs, and goes with it.
    let ca = std::path::PathBuf::from(&tls.env[2].1);
    let dir = ca.parent().unwrap().to_owned();
    assert!(dir.starts_with(home.dir.path()), "{}", dir.display());
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&dir), mode(&ca)), (0o700, 0o600));
    drop(tls);
    assert!(!dir.exists(), "{}", dir.display());
}
