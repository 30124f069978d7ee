//! A home directory for client tests: the admin's keys as the default profile, the server as
//! the endpoint, and nothing from the test process's own AWS environment.

use std::process::{Command, Output};

use rolecall_test_support::{Admin, Server};

use crate::bin;

/// The binary run with `home` as `$HOME` against `endpoint`, with nothing of the test
/// process's own AWS environment (files, keys, profile, region) and `/bin/sh` as the shell.
pub(crate) fn client_command(home: &std::path::Path, endpoint: &str) -> Command {
    let mut c = Command::new(bin());
    c.env("HOME", home)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("SHELL", "/bin/sh")
        .env_remove("XDG_CACHE_HOME");
    for name in [
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "ROLECALL_PROFILE",
    ] {
        c.env_remove(name);
    }
    c
}

/// A trust policy letting every principal of `account` assume the role.
pub(crate) fn trust_account(account: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

/// A temporary `$HOME` with `~/.aws/credentials` holding `admin`'s keys.
pub(crate) struct ClientHome {
    pub(crate) dir: tempfile::TempDir,
    endpoint: String,
}

impl ClientHome {
    pub(crate) fn new(server: &Server, admin: &Admin, config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let aws = dir.path().join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::write(
            aws.join("credentials"),
            format!(
                "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                admin.access_key_id, admin.secret_access_key
            ),
        )
        .unwrap();
        std::fs::write(aws.join("config"), config).unwrap();
        Self {
            dir,
            endpoint: server.endpoint.clone(),
        }
    }

    /// The binary with `args`, run in this home (see [`client_command`]).
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut c = client_command(self.dir.path(), &self.endpoint);
        c.args(args);
        c
    }

    /// Runs the binary with `args` in this home, plus `extra` variables.
    pub(crate) fn rolecall(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut c = self.command(args);
        c.envs(extra.iter().copied());
        c.output().unwrap()
    }

    /// Creates the role `name`, trusting every principal of `account`.
    pub(crate) fn create_role(&self, name: &str, account: &str) {
        let trust = trust_account(account);
        self.ok(&[
            "iam",
            "create-role",
            "--role-name",
            name,
            "--assume-role-policy-document",
            &trust,
        ]);
    }

    /// Creates the role `name` (see [`Self::create_role`]) with the managed policy `policy`.
    pub(crate) fn create_role_with_policy(&self, name: &str, account: &str, policy: &str) {
        self.create_role(name, account);
        self.ok(&[
            "iam",
            "attach-role-policy",
            "--role-name",
            name,
            "--policy-arn",
            policy,
        ]);
    }

    /// Runs and insists on success.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.rolecall(args, &[]);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}
