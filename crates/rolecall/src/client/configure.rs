//! `rolecall configure …`: the AWS CLI v2 commands that read the files and export credentials.

use clap::{Args, Subcommand};

use super::{CliError, Session};

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigureCommand {
    /// Lists the profiles of the config and credentials files.
    ListProfiles,
    /// Prints one setting of the profile.
    Get(GetArgs),
    /// Prints the profile's credentials for other tools.
    ExportCredentials(ExportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// `region`, `aws_access_key_id`, `profile.NAME.region`, `s3.max_concurrent_requests`, …
    varname: String,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// process, env, env-no-export, powershell, windows-cmd or fish.
    #[arg(long, default_value = "process", value_parser = ["process", "env", "env-no-export", "powershell", "windows-cmd", "fish"])]
    format: String,
}

fn expiry(c: &rolecall_credentials::Credentials) -> Option<String> {
    c.expiration.map(|t| {
        let t = t.to_offset(time::UtcOffset::UTC);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    })
}

pub(crate) fn run(command: &ConfigureCommand, session: &Session) -> Result<String, CliError> {
    match command {
        ConfigureCommand::ListProfiles => {
            let mut out = String::new();
            for name in session.profiles.names() {
                out.push_str(&name);
                out.push('\n');
            }
            Ok(out)
        }
        ConfigureCommand::Get(a) => {
            let (profile, key) = match a
                .varname
                .strip_prefix("profile.")
                .and_then(|r| r.split_once('.'))
            {
                Some((p, k)) => (p.to_owned(), k.to_owned()),
                None => (session.profile_name(), a.varname.clone()),
            };
            let found =
                session
                    .profiles
                    .profile(&profile)
                    .and_then(|p| match key.split_once('.') {
                        Some((block, sub)) => match p.settings.get(block) {
                            Some(rolecall_profile::Value::Nested(m)) => m.get(sub).cloned(),
                            _ => None,
                        },
                        None => p.get(&key).map(str::to_owned),
                    });
            // Like the AWS CLI: a missing value prints nothing and exits 1.
            found.map(|v| format!("{v}\n")).ok_or(CliError::NotFound)
        }
        ConfigureCommand::ExportCredentials(a) => {
            let c = session.credentials()?;
            let mut vars = vec![
                ("AWS_ACCESS_KEY_ID", c.access_key_id.clone()),
                ("AWS_SECRET_ACCESS_KEY", c.secret_access_key.clone()),
            ];
            if let Some(t) = &c.session_token {
                vars.push(("AWS_SESSION_TOKEN", t.clone()));
            }
            if let Some(e) = expiry(&c) {
                vars.push(("AWS_CREDENTIAL_EXPIRATION", e));
            }
            let line = |name: &str, value: &str| match a.format.as_str() {
                "env" => format!("export {name}={value}\n"),
                "env-no-export" => format!("{name}={value}\n"),
                "powershell" => format!("$Env:{name}=\"{value}\"\n"),
                "windows-cmd" => format!("set {name}={value}\n"),
                _ => format!("set -gx {name} {value}\n"),
            };
            if a.format == "process" {
                let mut m = serde_json::Map::new();
                m.insert("Version".into(), 1.into());
                m.insert("AccessKeyId".into(), c.access_key_id.clone().into());
                m.insert("SecretAccessKey".into(), c.secret_access_key.clone().into());
                if let Some(t) = &c.session_token {
                    m.insert("SessionToken".into(), t.clone().into());
                }
                if let Some(e) = expiry(&c) {
                    m.insert("Expiration".into(), e.into());
                }
                let mut buf = Vec::new();
                let mut ser = serde_json::Serializer::with_formatter(
                    &mut buf,
                    serde_json::ser::PrettyFormatter::with_indent(b"  "),
                );
                serde::Serialize::serialize(&serde_json::Value::Object(m), &mut ser)
                    .map_err(|e| CliError::Other(e.to_string()))?;
                return Ok(format!("{}\n", String::from_utf8_lossy(&buf)));
            }
            Ok(vars.iter().map(|(n, v)| line(n, v)).collect())
        }
    }
}
