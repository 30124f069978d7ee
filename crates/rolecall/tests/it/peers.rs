//! boto3 and awscli against the server, on every backend.

use rolecall_test_support::{Server, python, run_python};

use crate::{backends, bin, py_dir, py_env};

fn run_script(script: &str, accounts: &[&str]) {
    let Some(py) = python() else { return };
    for backend in backends() {
        let server = Server::start(bin(), backend.clone());
        let admins: Vec<_> = accounts
            .iter()
            .map(|a| server.bootstrap(a, "admin"))
            .collect();
        let mut env = py_env(&server, &admins);
        env.push(("RC_BIN".into(), bin().display().to_string()));
        env.push(("RC_PYTHON".into(), py.display().to_string()));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let out = run_python(&py, &py_dir().join(script), &env);
        eprintln!("{script} on {backend:?}: {}", out.trim());
    }
}

#[test]
fn boto3_seed_flow_and_its_refusals() {
    run_script("seed_flow.py", &["111111111111"]);
}

/// The audit trail with boto3 and the AWS CLI: the seed flow found by each of LookupEvents'
/// eight attributes, an MFA session, cross-account copies, account isolation, paging,
/// LookupEvents' errors, events visible within a second, no secret in either account's trail,
/// and `rolecall cloudtrail lookup-events` byte for byte next to `aws cloudtrail lookup-events`.
#[test]
fn audit_trail_records_every_call_as_cloudtrail_does() {
    run_script("audit_trail.py", &["111111111111", "222222222222"]);
}

#[test]
fn boto3_cross_account_with_mfa() {
    run_script("cross_account_mfa.py", &["111111111111", "222222222222"]);
}

#[test]
fn boto3_root_and_permissionless_calls() {
    let Some(py) = python() else { return };
    let server = Server::start(bin(), rolecall_test_support::Backend::Sqlite);
    let admins = vec![
        server.bootstrap("555555555555", "admin"),
        server.bootstrap_root("555555555555"),
    ];
    let env = py_env(&server, &admins);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = run_python(&py, &py_dir().join("special_principals.py"), &env);
    assert_eq!(out.trim(), "special principals ok");
}

#[test]
fn boto3_authentication_refusals() {
    run_script("refusals.py", &["111111111111"]);
}

/// The seed walk-through with the AWS CLI itself: a role profile in ~/.aws/config whose
/// `source_profile` holds static keys; `--profile` makes the CLI call AssumeRole.
#[test]
fn awscli_role_profile_switches_to_the_role() {
    let Some(py) = python() else { return };
    let aws = py.with_file_name("aws");
    let server = Server::start(bin(), rolecall_test_support::Backend::Sqlite);
    let admin = server.bootstrap("123456789012", "admin");
    let home = tempfile::tempdir().unwrap();
    let aws_dir = home.path().join(".aws");
    std::fs::create_dir_all(&aws_dir).unwrap();
    std::fs::write(
        aws_dir.join("credentials"),
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            admin.access_key_id, admin.secret_access_key
        ),
    )
    .unwrap();
    std::fs::write(
        aws_dir.join("config"),
        "[default]\nregion = us-east-1\n\n[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/Ops\nsource_profile = default\nrole_session_name = walkthrough\nregion = us-east-1\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&aws)
            .args(args)
            .env("HOME", home.path())
            .env("AWS_ENDPOINT_URL", &server.endpoint)
            .env_remove("AWS_CONFIG_FILE")
            .env_remove("AWS_SHARED_CREDENTIALS_FILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    let (code, _, err) = run(&[
        "iam",
        "create-role",
        "--role-name",
        "Ops",
        "--assume-role-policy-document",
        trust,
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run(&[
        "iam",
        "attach-role-policy",
        "--role-name",
        "Ops",
        "--policy-arn",
        "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = run(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "ops",
        "--query",
        "Arn",
        "--output",
        "text",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out.trim(),
        "arn:aws:sts::123456789012:assumed-role/Ops/walkthrough"
    );
    let (code, out, err) = run(&[
        "iam",
        "list-roles",
        "--profile",
        "ops",
        "--query",
        "Roles[].RoleName",
        "--output",
        "text",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.trim(), "Ops");
    let (code, _, err) = run(&["iam", "create-user", "--user-name", "x", "--profile", "ops"]);
    assert_ne!(code, Some(0));
    assert!(err.contains("An error occurred (AccessDenied) when calling the CreateUser operation: User: arn:aws:sts::123456789012:assumed-role/Ops/walkthrough is not authorized to perform: iam:CreateUser"), "{err}");
    // The CLI cached the role's credentials where it always does.
    let cached = std::fs::read_dir(aws_dir.join("cli/cache"))
        .unwrap()
        .count();
    assert_eq!(cached, 1);
}

#[test]
fn boto3_policy_engine_end_to_end() {
    run_script("policy_engine.py", &["777777777777"]);
}

/// `--enforcement soft` logs denials and lets them through; the start line says so; a
/// mistyped mode is refused at start.
#[test]
fn soft_enforcement_allows_and_says_so() {
    let Some(py) = python() else { return };
    let server = Server::start_with(
        bin(),
        rolecall_test_support::Backend::Sqlite,
        &["--enforcement", "soft"],
    );
    assert!(
        server.start_line.contains("enforcement: soft"),
        "{}",
        server.start_line
    );
    let admin = server.bootstrap("888888888888", "admin");
    let script = tempfile::NamedTempFile::with_suffix(".py").unwrap();
    std::fs::write(
        script.path(),
        format!(
            "import sys; sys.path.insert(0, {:?})\nfrom rc import admin, client, new_user_with_key\niam = admin('iam')\nk = new_user_with_key(iam, 'nopolicy')\nu = client('iam', k['AccessKeyId'], k['SecretAccessKey'])\nu.create_user(UserName='allowed-by-soft-mode')\nprint('soft ok')\n",
            py_dir().display().to_string()
        ),
    )
    .unwrap();
    let env = py_env(&server, &[admin]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(run_python(&py, script.path(), &env).trim(), "soft ok");
    let strict = Server::start(bin(), rolecall_test_support::Backend::Sqlite);
    assert!(
        strict
            .start_line
            .contains("the store is empty: run `rolecall server bootstrap"),
        "{}",
        strict.start_line
    );
    assert!(
        strict.start_line.contains("store: sqlite at "),
        "{}",
        strict.start_line
    );
    assert!(
        strict.start_line.contains("enforcement: strict"),
        "{}",
        strict.start_line
    );
    let bad = std::process::Command::new(bin())
        .args(["server", "--enforcement", "lenient"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("unknown enforcement mode 'lenient'"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn boto3_every_iam_operation() {
    run_script("iam_inventory.py", &["999999999999"]);
}

/// Runs a client script with `RC_BIN` and `RC_PYTHON` set and, when `account` is given, a
/// rolecall server (SQLite) with that account's administrator; the script prints `expected`.
fn run_client_script(script: &str, account: Option<&str>, expected: &str) {
    let Some(py) = python() else { return };
    let server = account.map(|_| Server::start(bin(), rolecall_test_support::Backend::Sqlite));
    let mut env = match (&server, account) {
        (Some(server), Some(account)) => py_env(server, &[server.bootstrap(account, "admin")]),
        _ => Vec::new(),
    };
    env.push(("RC_BIN".into(), bin().display().to_string()));
    env.push(("RC_PYTHON".into(), py.display().to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        run_python(&py, &py_dir().join(script), &env).trim(),
        expected
    );
}

/// The rolecall client against the rolecall server, next to the real AWS CLI.
#[test]
fn client_role_profiles_cache_mfa_and_errors() {
    run_client_script("client_roles.py", Some("121212121212"), "client ok");
}

/// Every `iam` and `sts` command form next to the real AWS CLI on one server: the same bytes
/// in json, text and table, pagination and NextToken interchange, input forms, errors, and
/// yaml checked against ruamel.yaml.
#[test]
fn client_iam_commands_match_the_aws_cli() {
    run_client_script("client_iam.py", Some("131313131313"), "iam client ok");
}

/// `configure` (prompts) and `configure set` give the same prompts and files as the AWS CLI.
#[test]
fn client_configure_matches_the_aws_cli() {
    run_client_script("client_configure.py", None, "configure ok");
}

/// Every variable the client reads, set to the empty string, next to the real AWS CLI: the same
/// answer, as botocore's rule for that variable gives (the table in `credentials/src/env.rs`).
#[test]
fn client_reads_empty_variables_as_the_aws_cli_does() {
    run_client_script(
        "client_empty_variables.py",
        Some("141414141414"),
        "empty variables ok",
    );
}

/// The client against moto's server, an STS that rolecall did not write.
#[test]
fn client_against_moto() {
    run_client_script("client_moto.py", None, "moto ok");
}

/// The client over HTTPS with a private CA, `--ca-bundle`, `AWS_CA_BUNDLE` and `--no-verify-ssl`.
#[test]
fn client_over_https() {
    run_client_script("client_tls.py", Some("131313131313"), "tls ok");
}

/// SimulatePrincipalPolicy reaches only the caller's own account; simulations page by
/// MaxItems and Marker; results carry AWS's decision details, per-resource results,
/// SourcePolicyType values and statement positions.
#[test]
fn boto3_simulation_is_account_bound_paged_and_shaped_as_aws() {
    run_script("simulation.py", &["121212121212", "232323232323"]);
}

/// A policy document with a key named twice is a MalformedPolicyDocument everywhere.
#[test]
fn boto3_duplicate_policy_keys_are_malformed() {
    run_script("duplicate_keys.py", &["343434343434"]);
}

/// Create*/Update* answers carry the members AWS's answers carry, and no others.
#[test]
fn boto3_create_and_update_answers_have_aws_shapes() {
    run_script("answer_shapes.py", &["454545454545"]);
}

/// Instance profiles, managed policies and virtual MFA devices have their tag operations.
#[test]
fn boto3_instance_profiles_policies_and_mfa_devices_take_tags() {
    run_script("resource_tags.py", &["565656565656"]);
}

#[test]
fn boto3_service_linked_roles_are_made_as_aws_makes_them_and_protected() {
    run_script("service_linked_roles.py", &["676767676767", "787878787878"]);
}

/// All 1,452 AWS managed policies a fresh account sees: paged through, read with AWS's default
/// version ids and documents, and attachable (beyond the eight shipped at first).
#[test]
fn boto3_all_aws_managed_policies_are_listed_read_and_attached_as_aws_reports_them() {
    let Some(py) = python() else { return };
    for backend in backends() {
        let server = Server::start(bin(), backend.clone());
        let admins = vec![server.bootstrap("898989898989", "admin")];
        let env = py_env(&server, &admins);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let out = run_python(&py, &py_dir().join("aws_managed_policies.py"), &env);
        let skipped = out.starts_with("skipped:") && !rolecall_test_support::in_ci();
        assert!(
            skipped || out.trim() == "aws managed policies ok",
            "{backend:?}: {out}"
        );
        eprintln!("aws_managed_policies.py on {backend:?}: {}", out.trim());
    }
}

/// Console sign-in in a real headless browser (chromium through chromedriver): `rolecall login
/// --print-url` lands on the console page showing the role; reused, expired and forged
/// sign-in tokens are refused; a GetSessionToken session is refused with AWS's message; user
/// keys sign in as a federated user; signing out ends the session for every copy of its
/// cookie; the sign-ins are in the trail (LookupEvents EventName=ConsoleLogin).
#[test]
fn console_sign_in_in_a_real_browser() {
    let Some(py) = python() else { return };
    let server = Server::start_with(
        bin(),
        rolecall_test_support::Backend::Sqlite,
        &["--signin-token-seconds", "5"],
    );
    let mut env = py_env(&server, &[server.bootstrap("232323232323", "admin")]);
    env.push(("RC_BIN".into(), bin().display().to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = run_python(&py, &py_dir().join("console_signin.py"), &env);
    let skipped = out.starts_with("skipped:") && !rolecall_test_support::in_ci();
    assert!(skipped || out.trim() == "console sign-in ok", "{out}");
    eprintln!("console_signin.py: {}", out.trim());
}
