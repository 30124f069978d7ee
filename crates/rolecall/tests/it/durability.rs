//! A write acknowledged to a client survives `kill -9` of the server.

use rolecall_test_support::{Server, python, run_python};

use crate::{backends, bin, py_env};

#[test]
fn acknowledged_writes_survive_kill_9() {
    let Some(py) = python() else { return };
    let script = tempfile::NamedTempFile::with_suffix(".py").unwrap();
    let crate_py = crate::py_dir();
    std::fs::write(
        script.path(),
        format!(
            "import sys; sys.path.insert(0, {:?})\nfrom rc import admin, doc, allow\nimport os\niam = admin('iam')\nif os.environ['PHASE'] == 'write':\n    for i in range(20):\n        iam.create_user(UserName=f'durable{{i}}')\n    iam.create_role(RoleName='R', AssumeRolePolicyDocument=doc({{'Effect':'Allow','Principal':{{'AWS':'*'}},'Action':'sts:AssumeRole'}}))\n    iam.put_role_policy(RoleName='R', PolicyName='p', PolicyDocument=doc(allow('iam:ListUsers')))\n    print('written')\nelse:\n    names = [u['UserName'] for u in iam.list_users()['Users']]\n    assert all(f'durable{{i}}' in names for i in range(20)), names\n    assert iam.get_role_policy(RoleName='R', PolicyName='p')['PolicyName'] == 'p'\n    print('still there')\n",
            crate_py.display().to_string()
        ),
    )
    .unwrap();
    for backend in backends() {
        let mut server = Server::start(bin(), backend);
        let admin = server.bootstrap("444444444444", "admin");
        let env = py_env(&server, std::slice::from_ref(&admin));
        let mut env: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        env.push(("PHASE", "write"));
        assert_eq!(run_python(&py, script.path(), &env).trim(), "written");
        server.kill_and_restart();
        let env = py_env(&server, &[admin]);
        let mut env: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        env.push(("PHASE", "read"));
        assert_eq!(run_python(&py, script.path(), &env).trim(), "still there");
    }
}

/// Secret access keys and MFA seeds are sealed at rest: the database files never hold them.
#[test]
fn secrets_are_encrypted_at_rest() {
    let server = Server::start(bin(), rolecall_test_support::Backend::Sqlite);
    let admin = server.bootstrap("666666666666", "admin");
    let mut found_db = false;
    let mut found_key_id = false;
    for entry in std::fs::read_dir(server.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("rolecall.db") {
            found_db = true;
            let bytes = std::fs::read(&path).unwrap();
            let hay = String::from_utf8_lossy(&bytes);
            assert!(
                !hay.contains(&admin.secret_access_key),
                "{name} holds a secret access key in clear"
            );
            found_key_id |= hay.contains(&admin.access_key_id);
        }
    }
    assert!(
        found_db,
        "no database file in {}",
        server.data_dir().display()
    );
    // The key id is not secret and is stored in clear: proof that the files were really read.
    assert!(
        found_key_id,
        "the access key id was not found in the database files"
    );
}
