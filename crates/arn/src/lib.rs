//! ARNs and IAM identifiers: parsing, formatting and the random unique ids IAM hands out.
//!
//! Everything here is pure: random bytes come from the operating system through `getrandom`,
//! and nothing else is read.

use std::fmt;

/// The account that owns the AWS managed policies (`arn:aws:iam::aws:policy/...`).
pub const AWS_MANAGED_ACCOUNT: &str = "aws";

/// An Amazon Resource Name split into its six colon-separated parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Arn {
    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: String,
    /// `iam`, `sts`, ...
    pub service: String,
    /// Empty for IAM and STS identities.
    pub region: String,
    /// Twelve digits, `aws` for AWS managed policies, or empty.
    pub account: String,
    /// Everything after the fifth colon; may itself contain `:` and `/`.
    pub resource: String,
}

/// Why a text is not an ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// Fewer than six colon-separated parts or a wrong prefix.
    #[error("'{0}' is not an ARN")]
    Malformed(String),
}

impl Arn {
    /// Splits `arn:partition:service:region:account:resource`.
    ///
    /// # Errors
    /// [`ArnError::Malformed`] when the text has fewer than six parts or does not start with `arn`.
    pub fn parse(text: &str) -> Result<Self, ArnError> {
        let [partition, service, region, account, resource] =
            split(text).ok_or_else(|| ArnError::Malformed(text.to_owned()))?;
        Ok(Self {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }

    /// The ARN of an IAM entity: `arn:aws:iam::ACCOUNT:KIND/PATH-without-leading-slash NAME`.
    #[must_use]
    pub fn iam(account: &str, kind: &str, path: &str, name: &str) -> Self {
        Self {
            partition: "aws".into(),
            service: "iam".into(),
            region: String::new(),
            account: account.to_owned(),
            resource: format!("{kind}{path}{name}"),
        }
    }

    /// An AWS managed policy: `arn:aws:iam::aws:policy/PATH/NAME`.
    #[must_use]
    pub fn aws_managed_policy(path: &str, name: &str) -> Self {
        Self::iam(AWS_MANAGED_ACCOUNT, "policy", path, name)
    }

    /// Whether this names an AWS managed policy (account `aws`).
    #[must_use]
    pub fn is_aws_managed(&self) -> bool {
        self.service == "iam" && self.account == AWS_MANAGED_ACCOUNT
    }

    /// `arn:aws:iam::ACCOUNT:root`.
    #[must_use]
    pub fn root(account: &str) -> Self {
        Self {
            resource: "root".into(),
            ..Self::iam(account, "", "", "")
        }
    }

    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` (the role's path is never included).
    #[must_use]
    pub fn assumed_role(account: &str, role_name: &str, session_name: &str) -> Self {
        Self {
            partition: "aws".into(),
            service: "sts".into(),
            region: String::new(),
            account: account.to_owned(),
            resource: format!("assumed-role/{role_name}/{session_name}"),
        }
    }

    /// `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    #[must_use]
    pub fn federated_user(account: &str, name: &str) -> Self {
        Self {
            resource: format!("federated-user/{name}"),
            ..Self::assumed_role(account, "", "")
        }
    }

    /// For IAM ARNs: the resource type (`user`, `role`, ...) and the rest (`path/name`).
    #[must_use]
    pub fn resource_type_and_rest(&self) -> (&str, &str) {
        self.resource
            .split_once('/')
            .unwrap_or((self.resource.as_str(), ""))
    }

    /// For IAM ARNs: the entity's path, with its slashes (`/` when it has none):
    /// `user/team/a/alice` has the path `/team/a/`.
    #[must_use]
    pub fn path(&self) -> String {
        let (_, rest) = self.resource_type_and_rest();
        let name = self.name();
        format!("/{}", &rest[..rest.len().saturating_sub(name.len())])
    }

    /// The last `/`-separated part of the resource: an entity's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.resource.rsplit('/').next().unwrap_or_default()
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

/// The prefixes IAM gives its unique ids and access key ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// `AIDA`: an IAM user.
    User,
    /// `AROA`: a role.
    Role,
    /// `AGPA`: a group.
    Group,
    /// `ANPA`: a managed policy.
    Policy,
    /// `AIPA`: an instance profile.
    InstanceProfile,
    /// `AKIA`: a long-term access key id.
    AccessKey,
    /// `ASIA`: a temporary (STS) access key id.
    TemporaryAccessKey,
}

impl IdKind {
    /// The four-letter prefix.
    #[must_use]
    pub fn prefix(self) -> &'static str {
        match self {
            Self::User => "AIDA",
            Self::Role => "AROA",
            Self::Group => "AGPA",
            Self::Policy => "ANPA",
            Self::InstanceProfile => "AIPA",
            Self::AccessKey => "AKIA",
            Self::TemporaryAccessKey => "ASIA",
        }
    }

    /// Unique ids are 21 characters; access key ids are 20.
    fn body_len(self) -> usize {
        match self {
            Self::AccessKey | Self::TemporaryAccessKey => 16,
            _ => 17,
        }
    }
}

/// The parts of an ARN after `arn:` (partition, service, region, account, resource), borrowed
/// from `text`: what [`Arn::parse`] accepts, without copying it. `None` for what it refuses.
#[must_use]
pub fn split(text: &str) -> Option<[&str; 5]> {
    let mut parts = text.splitn(6, ':');
    let prefix = parts.next()?;
    let split = [
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    ];
    (prefix == "arn" && !split[0].is_empty() && !split[1].is_empty()).then_some(split)
}

/// Fills `buf` from the operating system's random source.
///
/// # Panics
/// When the operating system has no random source, which leaves no safe way to make keys.
pub fn random_bytes(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system's random source is unavailable");
}

/// A new random id of the given kind: the prefix followed by base32 characters (`A-Z2-7`).
#[must_use]
pub fn new_id(kind: IdKind) -> String {
    let mut raw = [0u8; 16];
    random_bytes(&mut raw);
    let body = data_encoding::BASE32_NOPAD.encode(&raw);
    format!("{}{}", kind.prefix(), &body[..kind.body_len()])
}

/// A new access key id (`AKIA…` or `ASIA…`) that embeds `account` the way AWS's do: the
/// base32 body's first 48 bits hold the account id shifted left by seven, so the account can
/// be read back from the key id alone (what `GetAccessKeyInfo` answers).
#[must_use]
pub fn new_access_key_id(kind: IdKind, account: &str) -> String {
    let account: u64 = account.parse().unwrap_or(0) & 0x00FF_FFFF_FFFF;
    let mut raw = [0u8; 10];
    random_bytes(&mut raw);
    let high = (u64::from(raw[0] & 0x80) << 40) | (account << 7) | u64::from(raw[5] & 0x7f);
    raw[..6].copy_from_slice(&high.to_be_bytes()[2..]);
    format!(
        "{}{}",
        kind.prefix(),
        data_encoding::BASE32_NOPAD.encode(&raw)
    )
}

/// The account id embedded in an access key id, as AWS decodes it.
#[must_use]
pub fn account_from_access_key_id(access_key_id: &str) -> Option<String> {
    let body = access_key_id.get(4..)?;
    let raw = data_encoding::BASE32_NOPAD
        .decode(body.get(..16)?.as_bytes())
        .ok()?;
    let mut high = [0u8; 8];
    high[2..].copy_from_slice(&raw[..6]);
    let account = (u64::from_be_bytes(high) & 0x7FFF_FFFF_FF80) >> 7;
    Some(format!("{account:012}"))
}

/// A new 40-character secret access key (base64 alphabet, as AWS issues them).
#[must_use]
pub fn new_secret_access_key() -> String {
    let mut raw = [0u8; 30];
    random_bytes(&mut raw);
    data_encoding::BASE64.encode(&raw)
}

/// What kind of access key an access key id names, judged by its prefix.
#[must_use]
pub fn access_key_kind(access_key_id: &str) -> Option<IdKind> {
    match access_key_id.get(..4)? {
        "AKIA" => Some(IdKind::AccessKey),
        "ASIA" => Some(IdKind::TemporaryAccessKey),
        _ => None,
    }
}

/// Decodes the account id that AWS embeds in an access key id (as `GetAccessKeyInfo` does for
/// keys it issued after 2019). rolecall embeds nothing, so the caller looks the key up instead;
/// this helper checks only the shape.
#[must_use]
pub fn is_access_key_id(text: &str) -> bool {
    text.len() >= 16 && text.len() <= 128 && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// True for a twelve-digit account id.
#[must_use]
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_managed_policies() {
        let a = Arn::parse("arn:aws:iam::123456789012:user/team/a/alice").unwrap();
        assert_eq!(a.path(), "/team/a/");
        assert_eq!(a.name(), "alice");
        assert_eq!(Arn::parse("arn:aws:iam::1:role/R").unwrap().path(), "/");
        let p = Arn::aws_managed_policy("/job-function/", "ViewOnlyAccess");
        assert_eq!(
            p.to_string(),
            "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
        );
        assert!(p.is_aws_managed());
        assert_eq!(
            Arn::iam("1", "mfa", "/", "").to_string(),
            "arn:aws:iam::1:mfa/"
        );
    }

    #[test]
    fn parses_and_formats_round_trip() {
        let text = "arn:aws:iam::111122223333:role/team/x/deploy";
        let arn = Arn::parse(text).unwrap();
        assert_eq!(arn.service, "iam");
        assert_eq!(arn.region, "");
        assert_eq!(arn.resource, "role/team/x/deploy");
        assert_eq!(arn.name(), "deploy");
        assert_eq!(arn.to_string(), text);
    }

    #[test]
    fn resource_may_hold_colons() {
        let arn = Arn::parse("arn:aws:logs:us-east-1:1:log-group:a:b").unwrap();
        assert_eq!(arn.resource, "log-group:a:b");
    }

    #[test]
    fn rejects_short_text() {
        assert!(Arn::parse("arn:aws:iam").is_err());
        assert!(Arn::parse("urn:aws:iam::1:root").is_err());
    }

    #[test]
    fn split_borrows_what_parse_copies_and_refuses_what_it_refuses() {
        for text in [
            "arn:aws:iam::111122223333:role/team/x/deploy",
            "arn:aws:logs:us-east-1:1:log-group:a:b",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:s3:::bucket",
            "arn:aws:iam",
            "urn:aws:iam::1:root",
            "arn::iam::1:root",
            "arn:aws:::1:root",
            "",
        ] {
            let parsed = Arn::parse(text)
                .ok()
                .map(|a| [a.partition, a.service, a.region, a.account, a.resource]);
            let split = split(text).map(|parts| parts.map(str::to_owned));
            assert_eq!(split, parsed, "{text}");
        }
    }

    #[test]
    fn builders_match_aws_shapes() {
        assert_eq!(
            Arn::iam("1", "user", "/ops/", "bob").to_string(),
            "arn:aws:iam::1:user/ops/bob"
        );
        assert_eq!(
            Arn::root("111122223333").to_string(),
            "arn:aws:iam::111122223333:root"
        );
        assert_eq!(
            Arn::assumed_role("1", "Admin", "alice").to_string(),
            "arn:aws:sts::1:assumed-role/Admin/alice"
        );
        assert_eq!(
            Arn::federated_user("1", "bob").to_string(),
            "arn:aws:sts::1:federated-user/bob"
        );
    }

    #[test]
    fn access_key_ids_embed_the_account() {
        for account in ["123456789012", "000000000001", "999999999999"] {
            let id = new_access_key_id(IdKind::TemporaryAccessKey, account);
            assert_eq!(id.len(), 20);
            assert!(id.starts_with("ASIA"));
            assert_eq!(account_from_access_key_id(&id).as_deref(), Some(account));
        }
        // A key id published with its account, decoded the same way.
        assert_eq!(
            account_from_access_key_id("ASIAY34FZKBOKMUTVV7A").as_deref(),
            Some("609629065308")
        );
    }

    #[test]
    fn ids_have_aws_lengths_and_alphabet() {
        let id = new_id(IdKind::User);
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        assert!(
            id[4..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
        );
        let key = new_id(IdKind::AccessKey);
        assert_eq!(key.len(), 20);
        assert_eq!(access_key_kind(&key), Some(IdKind::AccessKey));
        assert_eq!(new_secret_access_key().len(), 40);
    }
}
