//! Resolving a profile into a [`Plan`]: which source, which roles, in which order. Nothing is
//! called here; [`crate::execute`] acts on the plan.

use rolecall_profile::{Profile, Profiles};

use crate::{Credentials, CredentialsError, Env};

/// Where credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`.
    Environment(Credentials),
    /// `aws_access_key_id` and friends in a profile.
    Static {
        /// The profile holding them.
        profile: String,
        /// The keys.
        credentials: Credentials,
    },
    /// `role_arn`: AssumeRole with credentials from `source`.
    AssumeRole(Box<RoleStep>),
    /// `mfa_serial` on a profile with static keys: GetSessionToken with MFA.
    SessionToken(Box<SessionStep>),
    /// `credential_source = Ec2InstanceMetadata`, or the end of the default chain: the
    /// instance's role from IMDS.
    InstanceMetadata {
        /// `AWS_EC2_METADATA_SERVICE_ENDPOINT`, `ec2_metadata_service_endpoint`, or the default.
        endpoint: String,
        /// Reached by the default chain rather than configured: when the service answers
        /// nothing, there simply are no credentials ("Unable to locate credentials").
        implicit: bool,
    },
    /// `credential_source = EcsContainer`: the task's role from the container endpoint.
    Container {
        /// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
        relative_uri: Option<String>,
        /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
        full_uri: Option<String>,
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
        token: Option<String>,
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`.
        token_file: Option<String>,
    },
    /// `credential_process`: a command that prints credentials as JSON.
    Process {
        /// The profile.
        profile: String,
        /// The command line.
        command: String,
    },
}

/// One AssumeRole in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStep {
    /// The role profile.
    pub profile: String,
    /// `role_arn`.
    pub role_arn: String,
    /// `role_session_name`, when the profile sets one (it is then part of the cache key).
    pub role_session_name: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `mfa_serial`.
    pub mfa_serial: Option<String>,
    /// `duration_seconds`.
    pub duration_seconds: Option<i64>,
    /// `source_identity` (aws-vault's name): `SourceIdentity`.
    pub source_identity: Option<String>,
    /// `session_tags = key=value,key2=value2` (aws-vault's name): `Tags`.
    pub tags: Vec<(String, String)>,
    /// `transitive_session_tags = key,key2` (aws-vault's name): `TransitiveTagKeys`.
    pub transitive_tag_keys: Vec<String>,
    /// The STS endpoint for this call (the role profile's configured endpoint).
    pub endpoint: String,
    /// The signing region.
    pub region: String,
    /// Where the calling credentials come from.
    pub source: Source,
}

/// GetSessionToken with MFA for a user profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStep {
    /// The profile.
    pub profile: String,
    /// `mfa_serial`.
    pub mfa_serial: String,
    /// `duration_seconds`.
    pub duration_seconds: Option<i64>,
    /// STS endpoint.
    pub endpoint: String,
    /// Signing region.
    pub region: String,
    /// The long-term keys.
    pub source: Source,
}

/// A resolved profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The profile the command runs as (`None` when environment keys are used).
    pub profile: Option<String>,
    /// Where credentials come from.
    pub source: Source,
}

/// The environment's keys, as botocore's `EnvProvider` reads them: none without an access key
/// id; an access key id without its secret key is an error; `AWS_SECURITY_TOKEN` is tried
/// before `AWS_SESSION_TOKEN`, an empty one as unset.
fn env_credentials(env: &Env) -> Result<Option<Credentials>, CredentialsError> {
    let Some(access_key_id) = env.non_empty("AWS_ACCESS_KEY_ID") else {
        return Ok(None);
    };
    let secret_access_key =
        env.non_empty("AWS_SECRET_ACCESS_KEY")
            .ok_or(CredentialsError::Partial {
                provider: "env",
                missing: "AWS_SECRET_ACCESS_KEY",
            })?;
    Ok(Some(Credentials {
        access_key_id: access_key_id.to_owned(),
        secret_access_key: secret_access_key.to_owned(),
        session_token: env
            .non_empty("AWS_SECURITY_TOKEN")
            .or_else(|| env.non_empty("AWS_SESSION_TOKEN"))
            .map(str::to_owned),
        expiration: None,
    }))
}

fn static_credentials(p: &Profile) -> Option<Credentials> {
    Some(Credentials {
        access_key_id: p.get("aws_access_key_id")?.to_owned(),
        secret_access_key: p.get("aws_secret_access_key")?.to_owned(),
        session_token: p
            .get("aws_session_token")
            .or_else(|| p.get("aws_security_token"))
            .map(str::to_owned),
        expiration: None,
    })
}

/// The region the command uses: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`.
/// A variable set to the empty string is the region `""`, as in botocore.
#[must_use]
pub fn region(env: &Env, profile: Option<&Profile>) -> Option<String> {
    env.value("AWS_REGION")
        .or_else(|| env.value("AWS_DEFAULT_REGION"))
        .or_else(|| profile.and_then(|p| p.get("region")))
        .map(str::to_owned)
}

/// The configured endpoint of a service for a profile, in the AWS CLI's order:
/// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the `[services]` block the profile names,
/// the profile's `endpoint_url`. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turns them all off.
#[must_use]
pub fn configured_endpoint(
    env: &Env,
    profiles: &Profiles,
    profile: Option<&Profile>,
    service: &str,
) -> Option<String> {
    if env.flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") {
        return None;
    }
    let var = format!(
        "AWS_ENDPOINT_URL_{}",
        service.to_ascii_uppercase().replace([' ', '-'], "_")
    );
    if let Some(v) = env
        .non_empty(&var)
        .or_else(|| env.non_empty("AWS_ENDPOINT_URL"))
    {
        return Some(v.to_owned());
    }
    let profile = profile?;
    if let Some(block) = profile
        .get("services")
        .and_then(|name| profiles.services(name))
        && let Some(rolecall_profile::Value::Nested(s)) = block.get(service)
        && let Some(url) = s.get("endpoint_url").filter(|u| !u.is_empty())
    {
        return Some(url.clone());
    }
    profile.get("endpoint_url").map(str::to_owned)
}

fn sts_endpoint(env: &Env, profiles: &Profiles, profile: &Profile) -> (String, String) {
    let region = region(env, Some(profile)).unwrap_or_else(|| "us-east-1".to_owned());
    let endpoint = configured_endpoint(env, profiles, Some(profile), "sts")
        .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"));
    (endpoint, region)
}

fn duration(p: &Profile) -> Result<Option<i64>, CredentialsError> {
    p.get("duration_seconds")
        .map(|d| {
            d.parse::<i64>().map_err(|_| {
                CredentialsError::Invalid(format!(
                    "The profile \"{}\" has an invalid duration_seconds value: {d}",
                    p.name
                ))
            })
        })
        .transpose()
}

/// Resolves the profile a command runs as. `explicit` is `--profile`; otherwise `AWS_PROFILE`,
/// then environment keys, then `default`.
///
/// # Errors
/// A missing profile, an inconsistent one, a `source_profile` loop, or no credentials at all.
pub fn resolve(
    env: &Env,
    profiles: &Profiles,
    explicit: Option<&str>,
) -> Result<Plan, CredentialsError> {
    let named = explicit.or_else(|| env.value("AWS_PROFILE"));
    if named.is_none()
        && let Some(c) = env_credentials(env)?
    {
        return Ok(Plan {
            profile: None,
            source: Source::Environment(c),
        });
    }
    let name = named.unwrap_or("default");
    let Some(profile) = profiles.profile(name) else {
        return if named.is_some() {
            Err(CredentialsError::ProfileNotFound(name.to_owned()))
        } else {
            Ok(Plan {
                profile: None,
                source: default_chain(env, None)?,
            })
        };
    };
    // As botocore: a profile that configures no credentials leaves the chain to go on to the
    // container endpoint and the instance metadata service.
    let source = match resolve_profile(env, profiles, &profile, &mut Vec::new()) {
        Err(CredentialsError::NoCredentials) => default_chain(env, Some(&profile))?,
        other => other?,
    };
    Ok(Plan {
        profile: Some(name.to_owned()),
        source,
    })
}

/// The end of botocore's default chain, after the environment and the files: the container
/// endpoint when its variables are set (EKS Pod Identity's token file included), else the
/// instance metadata service unless `AWS_EC2_METADATA_DISABLED=true`.
fn default_chain(env: &Env, profile: Option<&Profile>) -> Result<Source, CredentialsError> {
    let container = container(env);
    if let Source::Container {
        relative_uri: None,
        full_uri: None,
        ..
    } = container
    {
        if env.flag("AWS_EC2_METADATA_DISABLED") {
            return Err(CredentialsError::NoCredentials);
        }
        return Ok(Source::InstanceMetadata {
            endpoint: metadata_endpoint(env, profile),
            implicit: true,
        });
    }
    Ok(container)
}

/// The container endpoint's variables, as botocore's `ContainerProvider` reads them: a
/// variable set to the empty string is set (and so turns the provider on).
fn container(env: &Env) -> Source {
    let owned = |v: Option<&str>| v.map(str::to_owned);
    Source::Container {
        relative_uri: owned(env.value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")),
        full_uri: owned(env.value("AWS_CONTAINER_CREDENTIALS_FULL_URI")),
        token: owned(env.value("AWS_CONTAINER_AUTHORIZATION_TOKEN")),
        token_file: owned(env.value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")),
    }
}

/// The instance metadata service: `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else the profile's
/// `ec2_metadata_service_endpoint`; an empty one (the variable's beats the profile's) is the
/// default endpoint, as in botocore's `IMDSFetcher._select_base_url`.
fn metadata_endpoint(env: &Env, profile: Option<&Profile>) -> String {
    env.value("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .or_else(|| profile.and_then(|p| p.get("ec2_metadata_service_endpoint")))
        .filter(|e| !e.is_empty())
        .unwrap_or("http://169.254.169.254")
        .to_owned()
}

/// A role to assume that no profile describes (`exec --role-arn`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdHocRole {
    /// The role.
    pub role_arn: String,
    /// The session name (`AWS-CLI-session-<epoch>` when `None`).
    pub role_session_name: Option<String>,
    /// `DurationSeconds`.
    pub duration_seconds: Option<i64>,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// The MFA device to prompt for.
    pub mfa_serial: Option<String>,
}

/// Plans AssumeRole of `role` with the credentials of `source_profile` (or of the default
/// chain when `None`), the STS endpoint and region being the source profile's.
///
/// # Errors
/// As [`resolve`] for the source profile.
pub fn resolve_ad_hoc_role(
    env: &Env,
    profiles: &Profiles,
    source_profile: Option<&str>,
    role: AdHocRole,
) -> Result<Plan, CredentialsError> {
    let source = resolve(env, profiles, source_profile)?;
    let profile = source
        .profile
        .as_deref()
        .and_then(|name| profiles.profile(name))
        .unwrap_or_default();
    let (endpoint, region) = sts_endpoint(env, profiles, &profile);
    Ok(Plan {
        profile: source.profile.clone(),
        source: Source::AssumeRole(Box::new(RoleStep {
            profile: source.profile.unwrap_or_default(),
            role_arn: role.role_arn,
            role_session_name: role.role_session_name,
            external_id: role.external_id,
            mfa_serial: role.mfa_serial,
            duration_seconds: role.duration_seconds,
            source_identity: None,
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            endpoint,
            region,
            source: source.source,
        })),
    })
}

/// `session_tags = key=value,key2=value2`.
fn session_tags(p: &Profile) -> Result<Vec<(String, String)>, CredentialsError> {
    let Some(text) = p.get("session_tags") else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|tag| {
            tag.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| {
                    CredentialsError::Invalid(format!(
                        "The profile \"{}\" has a malformed session_tags entry \"{tag}\": write key=value,key2=value2",
                        p.name
                    ))
                })
        })
        .collect()
}

fn resolve_profile(
    env: &Env,
    profiles: &Profiles,
    p: &Profile,
    visited: &mut Vec<String>,
) -> Result<Source, CredentialsError> {
    if visited.contains(&p.name) {
        return Err(CredentialsError::Cycle {
            profile: p.name.clone(),
            visited: visited.join(", "),
        });
    }
    visited.push(p.name.clone());
    if let Some(role_arn) = p.get("role_arn") {
        let source = match (p.get("source_profile"), p.get("credential_source")) {
            (Some(_), Some(_)) => {
                return Err(CredentialsError::Invalid(format!(
                    "The profile \"{}\" contains both source_profile and credential_source.",
                    p.name
                )));
            }
            (Some(src), None) if src == p.name => {
                // A profile may name itself as source when it holds static keys.
                let c = static_credentials(p).ok_or_else(|| CredentialsError::Cycle { profile: p.name.clone(), visited: visited.join(", ") })?;
                Source::Static { profile: p.name.clone(), credentials: c }
            }
            (Some(src), None) => {
                let sp = profiles.profile(src).ok_or_else(|| CredentialsError::ProfileNotFound(src.to_owned()))?;
                // As botocore: a source profile's own static keys come before its role_arn.
                match static_credentials(&sp).filter(|_| sp.get("role_arn").is_some()) {
                    Some(c) => Source::Static { profile: sp.name.clone(), credentials: c },
                    None => resolve_profile(env, profiles, &sp, visited)?,
                }
            }
            (None, Some("Environment")) => Source::Environment(env_credentials(env)?.ok_or_else(|| {
                CredentialsError::Invalid(format!(
                    "The profile \"{}\" uses credential_source Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set.",
                    p.name
                ))
            })?),
            (None, Some("Ec2InstanceMetadata")) => Source::InstanceMetadata {
                endpoint: metadata_endpoint(env, Some(p)),
                implicit: false,
            },
            (None, Some("EcsContainer")) => container(env),
            (None, Some(other)) => {
                return Err(CredentialsError::Invalid(format!(
                    "The credential_source \"{other}\" is not supported in profile \"{}\": use Environment, Ec2InstanceMetadata or EcsContainer.",
                    p.name
                )));
            }
            (None, None) => {
                return Err(CredentialsError::Invalid(format!(
                    "The profile \"{}\" has role_arn but neither source_profile nor credential_source.",
                    p.name
                )));
            }
        };
        let duration_seconds = duration(p)?;
        if let (Source::AssumeRole(inner), Some(d)) = (&source, duration_seconds)
            && d > 3600
        {
            return Err(CredentialsError::Invalid(format!(
                "The profile \"{}\" asks for duration_seconds = {d}, but its source profile \"{}\" is itself a role: sessions of chained roles last at most 3600 seconds.",
                p.name, inner.profile
            )));
        }
        let (endpoint, region) = sts_endpoint(env, profiles, p);
        return Ok(Source::AssumeRole(Box::new(RoleStep {
            profile: p.name.clone(),
            role_arn: role_arn.to_owned(),
            role_session_name: p.get("role_session_name").map(str::to_owned),
            external_id: p.get("external_id").map(str::to_owned),
            mfa_serial: p.get("mfa_serial").map(str::to_owned),
            duration_seconds,
            source_identity: p.get("source_identity").map(str::to_owned),
            tags: session_tags(p)?,
            transitive_tag_keys: p
                .get("transitive_session_tags")
                .map(|keys| {
                    keys.split(',')
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            endpoint,
            region,
            source,
        })));
    }
    if let Some(c) = static_credentials(p) {
        let source = Source::Static {
            profile: p.name.clone(),
            credentials: c,
        };
        if let Some(serial) = p.get("mfa_serial") {
            let (endpoint, region) = sts_endpoint(env, profiles, p);
            return Ok(Source::SessionToken(Box::new(SessionStep {
                profile: p.name.clone(),
                mfa_serial: serial.to_owned(),
                duration_seconds: duration(p)?,
                endpoint,
                region,
                source,
            })));
        }
        return Ok(source);
    }
    if let Some(command) = p.get("credential_process") {
        return Ok(Source::Process {
            profile: p.name.clone(),
            command: command.to_owned(),
        });
    }
    Err(CredentialsError::NoCredentials)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolecall_profile::{FileKind, parse};

    fn profiles(config: &str, creds: &str) -> Profiles {
        Profiles {
            config: parse(config, "config", FileKind::Config).unwrap(),
            credentials: parse(creds, "credentials", FileKind::Credentials).unwrap(),
        }
    }

    const CREDS: &str = "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s\n";

    #[test]
    fn a_source_profile_with_static_keys_is_used_by_them_even_with_a_role() {
        let p = profiles(
            "[profile outer]\nrole_arn = arn:aws:iam::1:role/Outer\nsource_profile = keyed\n[profile keyed]\nrole_arn = arn:aws:iam::1:role/Inner\nsource_profile = other\n[profile other]\nrole_arn = arn:aws:iam::1:role/Other\ncredential_source = Environment\n",
            "[keyed]\naws_access_key_id = AKIAKEYED\naws_secret_access_key = s\n",
        );
        let plan = resolve(&Env::default(), &p, Some("outer")).unwrap();
        let Source::AssumeRole(outer) = plan.source else {
            panic!()
        };
        assert_eq!(outer.role_arn, "arn:aws:iam::1:role/Outer");
        let Source::Static {
            profile,
            credentials,
        } = outer.source
        else {
            panic!("the source profile's keys sign the outer call")
        };
        assert_eq!(
            (profile.as_str(), credentials.access_key_id.as_str()),
            ("keyed", "AKIAKEYED")
        );
    }

    #[test]
    fn with_nothing_configured_the_chain_goes_on_to_the_container_then_imds() {
        let none = profiles("[profile regional]\nregion = eu-west-1\n", "");
        let env = Env::from_vars(&[
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.1:9/creds",
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t"),
        ]);
        assert!(matches!(
            resolve(&env, &none, None).unwrap().source,
            Source::Container { .. }
        ));
        let env = Env::from_vars(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")]);
        let plan = resolve(&env, &none, Some("regional")).unwrap();
        assert_eq!(
            plan.source,
            Source::InstanceMetadata {
                endpoint: "http://127.0.0.1:9".into(),
                implicit: true
            }
        );
        let env = Env::from_vars(&[("AWS_EC2_METADATA_DISABLED", "true")]);
        assert!(matches!(
            resolve(&env, &none, None),
            Err(CredentialsError::NoCredentials)
        ));
    }

    #[test]
    fn chains_roles_to_any_depth() {
        let p = profiles(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = default\n[profile b]\nrole_arn = arn:aws:iam::2:role/B\nsource_profile = a\nrole_session_name = me\n",
            CREDS,
        );
        let env = Env::from_vars(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]);
        let plan = resolve(&env, &p, Some("b")).unwrap();
        let Source::AssumeRole(b) = plan.source else {
            panic!()
        };
        assert_eq!(b.role_session_name.as_deref(), Some("me"));
        assert_eq!(b.endpoint, "http://127.0.0.1:1");
        let Source::AssumeRole(a) = b.source else {
            panic!()
        };
        assert!(matches!(a.source, Source::Static { .. }));
    }

    #[test]
    fn loops_are_reported_not_followed() {
        let p = profiles(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n",
            "",
        );
        assert!(matches!(
            resolve(&Env::default(), &p, Some("a")),
            Err(CredentialsError::Cycle { .. })
        ));
    }

    #[test]
    fn both_sources_is_an_error() {
        let p = profiles(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = default\ncredential_source = Environment\n",
            CREDS,
        );
        let e = resolve(&Env::default(), &p, Some("a")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "The profile \"a\" contains both source_profile and credential_source."
        );
    }

    #[test]
    fn chained_duration_over_an_hour_is_reported() {
        let p = profiles(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = default\n[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\nduration_seconds = 7200\n",
            CREDS,
        );
        let e = resolve(&Env::default(), &p, Some("b")).unwrap_err();
        assert!(e.to_string().contains("at most 3600 seconds"), "{e}");
    }

    #[test]
    fn environment_keys_come_first_unless_a_profile_is_named() {
        let p = profiles("", CREDS);
        let env = Env::from_vars(&[
            ("AWS_ACCESS_KEY_ID", "AKIAENV"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ]);
        assert!(matches!(
            resolve(&env, &p, None).unwrap().source,
            Source::Environment(_)
        ));
        assert!(matches!(
            resolve(&env, &p, Some("default")).unwrap().source,
            Source::Static { .. }
        ));
        assert!(matches!(
            resolve(&Env::default(), &p, Some("nope")),
            Err(CredentialsError::ProfileNotFound(_))
        ));
    }

    #[test]
    fn mfa_serial_on_a_user_profile_means_get_session_token() {
        let p = profiles("[default]\nmfa_serial = arn:aws:iam::1:mfa/me\n", CREDS);
        assert!(matches!(
            resolve(&Env::default(), &p, None).unwrap().source,
            Source::SessionToken(_)
        ));
    }

    #[test]
    fn empty_credential_variables_are_read_as_botocore_reads_them() {
        let p = profiles("", CREDS);
        // An empty access key id is none: the chain goes on to the files.
        let env = Env::from_vars(&[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "x")]);
        assert!(matches!(
            resolve(&env, &p, None).unwrap().source,
            Source::Static { .. }
        ));
        // An access key id with an empty (or no) secret is botocore's partial credentials.
        for secret in [Some(""), None] {
            let mut vars = vec![("AWS_ACCESS_KEY_ID", "AKIAENV")];
            vars.extend(secret.map(|s| ("AWS_SECRET_ACCESS_KEY", s)));
            let e = resolve(&Env::from_vars(&vars), &p, None).unwrap_err();
            assert_eq!(
                e.to_string(),
                "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"
            );
        }
        // AWS_SECURITY_TOKEN first, an empty one skipped.
        let token = |vars: &[(&str, &str)]| {
            let mut all = vec![
                ("AWS_ACCESS_KEY_ID", "AKIAENV"),
                ("AWS_SECRET_ACCESS_KEY", "x"),
            ];
            all.extend_from_slice(vars);
            match resolve(&Env::from_vars(&all), &p, None).unwrap().source {
                Source::Environment(c) => c.session_token,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            token(&[("AWS_SECURITY_TOKEN", "old"), ("AWS_SESSION_TOKEN", "new")]).as_deref(),
            Some("old")
        );
        assert_eq!(
            token(&[("AWS_SECURITY_TOKEN", ""), ("AWS_SESSION_TOKEN", "new")]).as_deref(),
            Some("new")
        );
        assert_eq!(token(&[("AWS_SESSION_TOKEN", "")]), None);
    }

    #[test]
    fn an_empty_profile_variable_names_the_profile_of_no_name() {
        let p = profiles("", CREDS);
        let env = Env::from_vars(&[("AWS_PROFILE", "")]);
        let e = resolve(&env, &p, None).unwrap_err();
        assert_eq!(e.to_string(), "The config profile () could not be found");
    }

    #[test]
    fn empty_region_and_endpoint_variables_are_read_as_botocore_reads_them() {
        let p = profiles(
            "[default]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:7\n",
            "",
        );
        let profile = p.profile("default");
        // An empty region is the region "", before the next variable and the profile.
        let env = Env::from_vars(&[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "us-west-2")]);
        assert_eq!(region(&env, profile.as_ref()).as_deref(), Some(""));
        let env = Env::from_vars(&[("AWS_DEFAULT_REGION", "")]);
        assert_eq!(region(&env, profile.as_ref()).as_deref(), Some(""));
        assert_eq!(
            region(&Env::default(), profile.as_ref()).as_deref(),
            Some("eu-west-1")
        );
        // An empty endpoint URL is none: the lookup goes on.
        let env = Env::from_vars(&[
            ("AWS_ENDPOINT_URL_STS", ""),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:8"),
        ]);
        assert_eq!(
            configured_endpoint(&env, &p, profile.as_ref(), "sts").as_deref(),
            Some("http://127.0.0.1:8")
        );
        let env = Env::from_vars(&[("AWS_ENDPOINT_URL", "")]);
        assert_eq!(
            configured_endpoint(&env, &p, profile.as_ref(), "sts").as_deref(),
            Some("http://127.0.0.1:7")
        );
        // An empty AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is false.
        let env = Env::from_vars(&[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")]);
        assert!(configured_endpoint(&env, &p, profile.as_ref(), "sts").is_some());
    }

    #[test]
    fn empty_container_and_metadata_variables_are_read_as_botocore_reads_them() {
        let none = profiles(
            "[profile imds]\nec2_metadata_service_endpoint = http://127.0.0.1:9\n",
            "",
        );
        // A container variable set to "" is set: the container provider is used.
        let env = Env::from_vars(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")]);
        assert_eq!(
            resolve(&env, &none, None).unwrap().source,
            Source::Container {
                relative_uri: Some(String::new()),
                full_uri: None,
                token: None,
                token_file: None,
            }
        );
        // An empty metadata endpoint variable beats the profile's and means the default one.
        let env = Env::from_vars(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "")]);
        assert_eq!(
            resolve(&env, &none, Some("imds")).unwrap().source,
            Source::InstanceMetadata {
                endpoint: "http://169.254.169.254".into(),
                implicit: true
            }
        );
        assert_eq!(
            resolve(&Env::default(), &none, Some("imds"))
                .unwrap()
                .source,
            Source::InstanceMetadata {
                endpoint: "http://127.0.0.1:9".into(),
                implicit: true
            }
        );
        // An empty AWS_EC2_METADATA_DISABLED is false.
        let env = Env::from_vars(&[("AWS_EC2_METADATA_DISABLED", "")]);
        assert!(matches!(
            resolve(&env, &none, None).unwrap().source,
            Source::InstanceMetadata { .. }
        ));
    }
}
