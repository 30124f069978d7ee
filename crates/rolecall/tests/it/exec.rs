//! `rolecall exec`: a profile's role credentials handed to a real program (boto3) through the
//! environment, the child's exit status and signals passed through, nesting refused, and any
//! role assumed from `--role-arn`.

use std::process::Output;

use rolecall_test_support::{Backend, Server, python};

use crate::bin;
use crate::client_home::ClientHome;

const ACCOUNT: &str = "123456789012";

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

#[test]
fn exec_hands_role_credentials_to_other_programs() {
    let Some(py) = python() else { return };
    let server = Server::start(bin(), Backend::Sqlite);
    let admin = server.bootstrap(ACCOUNT, "admin");
    let home = ClientHome::new(
        &server,
        &admin,
        &format!(
            "[default]\nregion = us-east-1\n\n[profile ops]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Ops\nsource_profile = default\nrole_session_name = exec-test\nregion = eu-west-1\n"
        ),
    );
    home.create_role("Ops", ACCOUNT);

    // boto3 in the child sees the role's keys, the profile's region, and no AWS_PROFILE (set
    // here to a profile that does not exist, which would fail if the child resolved it).
    let script = "import boto3, os; s = boto3.session.Session(); print(boto3.client('sts').get_caller_identity()['Arn'], s.region_name, os.environ.get('AWS_PROFILE'), os.environ['ROLECALL_PROFILE'], 'AWS_CREDENTIAL_EXPIRATION' in os.environ)";
    let out = home.rolecall(
        &["exec", "ops", "--", py.to_str().unwrap(), "-c", script],
        &[("AWS_PROFILE", "does-not-exist")],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        text(&out),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Ops/exec-test eu-west-1 None ops True")
    );

    // The child's exit status and a signal pass through.
    let out = home.rolecall(&["exec", "ops", "--", "sh", "-c", "exit 7"], &[]);
    assert_eq!(out.status.code(), Some(7));
    let out = home.rolecall(&["exec", "ops", "--", "sh", "-c", "kill -TERM $$"], &[]);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(15), "{out:?}");
    }

    // Without a command, the user's shell runs (here reading its commands from stdin: none).
    let out = home.rolecall(&["exec", "ops"], &[]);
    assert!(out.status.success(), "{out:?}");

    // Nesting is refused unless asked for.
    let out = home.rolecall(
        &["exec", "ops", "--", "true"],
        &[("ROLECALL_PROFILE", "ops")],
    );
    assert_eq!(out.status.code(), Some(252));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--nest"),
        "{out:?}"
    );
    let out = home.rolecall(
        &["exec", "--nest", "ops", "--", "true"],
        &[("ROLECALL_PROFILE", "ops")],
    );
    assert!(out.status.success(), "{out:?}");

    // Any role, with no profile written for it.
    let out = home.rolecall(
        &[
            "exec",
            "--role-arn",
            &format!("arn:aws:iam::{ACCOUNT}:role/Ops"),
            "--role-session-name",
            "adhoc",
            "--duration-seconds",
            "900",
            "--",
            bin().to_str().unwrap(),
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        text(&out),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Ops/adhoc")
    );
}
