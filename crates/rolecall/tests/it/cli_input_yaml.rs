//! `--generate-cli-skeleton yaml-input` and `--cli-input-yaml` as AWS CLI v2 has them: a
//! skeleton filled in (its comments left in place) creates a role, the command line wins over
//! the file, YAML's integers and timestamps reach the server, and bad documents are refused
//! with the AWS CLI's messages.

use rolecall_test_support::{Backend, Server};

use crate::bin;
use crate::client_home::{ClientHome, trust_account};

const ACCOUNT: &str = "123456789012";

/// Fills in a skeleton: each `(key, value)` replaces the value on its key's first line,
/// keeping the comment after it; lines starting with one of `drop` go.
fn fill(skeleton: &str, values: &[(&str, &str)], drop: &[&str]) -> String {
    let mut out = String::new();
    let mut done: Vec<&str> = Vec::new();
    for line in skeleton.lines() {
        if drop.iter().any(|d| line.starts_with(d)) {
            continue;
        }
        let found = values
            .iter()
            .find(|(k, _)| !done.contains(k) && line.starts_with(&format!("{k}: ")));
        match found {
            Some((key, value)) => {
                done.push(key);
                let comment = line.find(" #").map_or("", |i| &line[i..]);
                out.push_str(&format!("{key}: {value}{comment}\n"));
            }
            None => out.push_str(&format!("{line}\n")),
        }
    }
    assert_eq!(done.len(), values.len(), "{skeleton}");
    out
}

#[test]
fn a_yaml_skeleton_filled_in_creates_a_role_and_the_command_line_wins() {
    let server = Server::start(bin(), Backend::Sqlite);
    let admin = server.bootstrap(ACCOUNT, "admin");
    let home = ClientHome::new(&server, &admin, "[default]\nregion = us-east-1\n");

    let skeleton = home.ok(&[
        "iam",
        "create-role",
        "--generate-cli-skeleton",
        "yaml-input",
    ]);
    assert!(
        skeleton.starts_with(
            "Path: ''  #  The path to the role.\nRoleName: '' # [REQUIRED] The name of the role to create.\n"
        ),
        "{skeleton}"
    );
    let trust = trust_account(ACCOUNT);
    let filled = fill(
        &skeleton,
        &[
            ("Path", "/yaml/"),
            ("RoleName", "from-file"),
            ("AssumeRolePolicyDocument", &format!("'{trust}'")),
            ("Description", "made from YAML"),
            ("MaxSessionDuration", "7200"),
            ("- Key", "team"),
            ("  Value", "'0042'"),
        ],
        &["PermissionsBoundary"],
    );
    std::fs::write(home.dir.path().join("role.yaml"), &filled).unwrap();

    // The file from the home directory, its role name overridden on the command line.
    let created = home.ok(&[
        "iam",
        "create-role",
        "--cli-input-yaml",
        "file://~/role.yaml",
        "--role-name",
        "from-cli",
        "--query",
        "Role.[RoleName, Path]",
        "--output",
        "text",
    ]);
    assert_eq!(created, "from-cli\t/yaml/");
    let role: serde_json::Value =
        serde_json::from_str(&home.ok(&["iam", "get-role", "--role-name", "from-cli"])).unwrap();
    assert_eq!(role["Role"]["Description"], "made from YAML");
    assert_eq!(role["Role"]["MaxSessionDuration"], 7200);
    assert_eq!(
        role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Action"],
        "sts:AssumeRole"
    );
    assert_eq!(
        role["Role"]["Tags"],
        serde_json::json!([{"Key": "team", "Value": "0042"}])
    );

    // A document given as a string, a flow mapping in it.
    home.ok(&[
        "iam",
        "tag-role",
        "--cli-input-yaml",
        "RoleName: from-cli\nTags:\n- {Key: stage, Value: prod}\n",
    ]);
    let tags = home.ok(&[
        "iam",
        "list-role-tags",
        "--cli-input-yaml",
        "RoleName: from-cli",
        "--query",
        "Tags[].Key",
        "--output",
        "text",
    ]);
    assert_eq!(tags, "stage\tteam");

    // YAML timestamps and integers reach CloudTrail as JSON's would: the role's creation is in
    // the trail since 2000, and not within 2000.
    let lookup = |start: &str, end: &str| {
        home.ok(&[
            "cloudtrail",
            "lookup-events",
            "--cli-input-yaml",
            &format!(
                "LookupAttributes:\n- AttributeKey: ResourceName\n  AttributeValue: from-cli\nStartTime: {start}\nEndTime: {end}\nMaxResults: 5\n"
            ),
            "--query",
            "Events[].EventName",
            "--output",
            "text",
        ])
    };
    // An event is found within a second of its call's answer.
    let asked = std::time::Instant::now();
    while !lookup("2000-01-01 00:00:00", "2999-01-01 00:00:00").contains("CreateRole") {
        assert!(
            asked.elapsed() < std::time::Duration::from_secs(1),
            "the trail misses the role"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(lookup("2000-01-01 00:00:00", "2001-01-01T00:00:00Z"), "");
}

#[test]
fn bad_yaml_input_is_refused_as_the_aws_cli_refuses_it() {
    let server = Server::start(bin(), Backend::Sqlite);
    let admin = server.bootstrap(ACCOUNT, "admin");
    let home = ClientHome::new(&server, &admin, "[default]\nregion = us-east-1\n");
    let refused = |args: &[&str], code: i32, message: &str| {
        let out = home.rolecall(args, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    };
    let get_role = |yaml: &str| ["iam", "get-role", "--cli-input-yaml", yaml].map(str::to_owned);
    let run = |yaml: &str, code: i32, message: &str| {
        let args = get_role(yaml);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&args, code, message);
    };
    run(
        "RoleName: [x",
        252,
        "\nError parsing parameter 'cli-input-yaml': Invalid YAML received.\n",
    );
    run(
        "RoleName: a\nRoleName: b",
        252,
        "Error parsing parameter 'cli-input-yaml': Invalid YAML received.",
    );
    run(
        "- RoleName: a",
        252,
        "Error parsing parameter '--cli-input-yaml': Invalid type: expecting map, received <class 'list'>",
    );
    run(
        "RoleName: a\nBogus: 1",
        252,
        "Parameter validation failed:\nUnknown parameter in input: \"Bogus\", must be one of: RoleName",
    );
    run(
        "RoleName: 12",
        252,
        "Invalid type for parameter RoleName, value: 12, type: <class 'int'>, valid types: <class 'str'>",
    );
    run(
        "file://nope.yaml",
        255,
        "Unable to load paramfile file://nope.yaml: [Errno 2] No such file or directory: 'nope.yaml'",
    );
    refused(
        &[
            "iam",
            "get-role",
            "--cli-input-json",
            "{}",
            "--cli-input-yaml",
            "{}",
        ],
        252,
        "\nOnly one --cli-input- parameter may be specified.\n",
    );
    refused(
        &["iam", "get-role", "--generate-cli-skeleton", "yaml"],
        252,
        "argument --generate-cli-skeleton: Invalid choice, valid choices are:\n\ninput                                    | output                                  \nyaml-input",
    );
    // Nothing is created from a refused document.
    refused(
        &[
            "iam",
            "create-role",
            "--cli-input-yaml",
            "RoleName: r\nAssumeRolePolicyDocument: '{}'\nMaxSessionDuration: '3600'",
        ],
        252,
        "Invalid type for parameter MaxSessionDuration, value: 3600, type: <class 'str'>, valid types: <class 'int'>",
    );
    assert_eq!(
        home.ok(&["iam", "list-roles", "--query", "length(Roles)"]),
        "0"
    );

    let help = home.ok(&["iam", "get-role", "help"]);
    assert!(
        help.contains("[--cli-input-json | --cli-input-yaml]")
            && help.contains("--cli-input-json | --cli-input-yaml (string)"),
        "{help}"
    );
}
