//! A home directory for client tests: the admin's keys as the default profile, the server as
//! the endpoint, and nothing from the test process's own AWS environment.

use std::process::{Command, Output};

use rolecall_test_support::{Admin, Server};

use crate::bin;

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

    /// Runs the binary with `args` in this home, plus `extra` variables.
    pub(crate) fn rolecall(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut c = Command::new(bin());
        c.args(args)
            .env("HOME", self.dir.path())
            .env("AWS_ENDPOINT_URL", &self.endpoint)
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
        c.envs(extra.iter().copied());
        c.output().unwrap()
    }

    /// Runs and insists on success.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.rolecall(args, &[]);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}
