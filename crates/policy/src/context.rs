//! The request context: the condition keys of one request, with the global keys AWS sets for
//! each kind of principal. Key names are case-insensitive, so they are stored lower-cased.

use rustc_hash::FxHashMap;

use time::OffsetDateTime;

/// `aws:PrincipalType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    /// The account root user.
    Account,
    /// An IAM user (long-term keys or a GetSessionToken session).
    User,
    /// A role session.
    AssumedRole,
    /// A GetFederationToken session.
    FederatedUser,
    /// No credentials.
    Anonymous,
}

impl PrincipalType {
    /// The value AWS puts in `aws:PrincipalType`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "Account",
            Self::User => "User",
            Self::AssumedRole => "AssumedRole",
            Self::FederatedUser => "FederatedUser",
            Self::Anonymous => "Anonymous",
        }
    }
}

/// The condition keys of one request. Every key may hold several values (multivalued keys
/// such as `aws:TagKeys`); single-valued keys hold exactly one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Lower-cased key → values. Fx hashing: a context lives for one request and its keys are
    /// short, so a fast non-cryptographic hash is the right trade.
    values: FxHashMap<String, Vec<String>>,
}

impl Context {
    /// Sets a single-valued key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values
            .insert(key.to_ascii_lowercase(), vec![value.into()]);
    }

    /// Sets a multivalued key.
    pub fn set_multi(&mut self, key: &str, values: Vec<String>) {
        self.values.insert(key.to_ascii_lowercase(), values);
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        self.values.remove(&key.to_ascii_lowercase());
    }

    /// The values of a key, any case.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.get_lower(&key.to_ascii_lowercase())
        } else {
            self.get_lower(key)
        }
    }

    /// The values of an already lower-cased key.
    #[must_use]
    pub fn get_lower(&self, key: &str) -> Option<&[String]> {
        self.values.get(key).map(Vec::as_slice)
    }

    /// The value of a single-valued key (a multivalued key gives `None`, as policy variables
    /// may not name multivalued keys).
    #[must_use]
    pub fn single(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some([one]) => Some(one.as_str()),
            _ => None,
        }
    }

    /// Every key and its values, sorted by key (for explanations and simulation output).
    #[must_use]
    pub fn entries(&self) -> Vec<(&str, &[String])> {
        let mut out: Vec<(&str, &[String])> = self
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
}

/// Builds a [`Context`] with the keys AWS sets, principal by principal.
#[derive(Debug, Clone)]
pub struct ContextBuilder {
    ctx: Context,
}

impl ContextBuilder {
    /// The keys every request has: `aws:CurrentTime`, `aws:EpochTime`, `aws:ViaAWSService`.
    #[must_use]
    pub fn new(now: OffsetDateTime) -> Self {
        let mut ctx = Context::default();
        ctx.set("aws:CurrentTime", rolecall_wire::iso8601(now));
        ctx.set("aws:EpochTime", now.unix_timestamp().to_string());
        ctx.set("aws:ViaAWSService", "false");
        Self { ctx }
    }

    /// `aws:PrincipalType`, `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:userid`, and
    /// `aws:username` (IAM users only).
    #[must_use]
    pub fn principal(
        mut self,
        kind: PrincipalType,
        principal_arn: &str,
        account: &str,
        userid: &str,
        username: Option<&str>,
    ) -> Self {
        self.ctx.set("aws:PrincipalType", kind.as_str());
        self.ctx.set("aws:PrincipalArn", principal_arn);
        self.ctx.set("aws:PrincipalAccount", account);
        self.ctx.set("aws:userid", userid);
        if let Some(name) = username {
            self.ctx.set("aws:username", name);
        }
        self
    }

    /// `aws:PrincipalTag/<key>` for each tag.
    #[must_use]
    pub fn principal_tags<'a>(
        mut self,
        tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        for (k, v) in tags {
            self.ctx.set(&format!("aws:PrincipalTag/{k}"), v);
        }
        self
    }

    /// The keys of temporary credentials: `aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`
    /// (when MFA was used) and `aws:TokenIssueTime`. Long-term keys have none of them.
    #[must_use]
    pub fn temporary_credentials(
        mut self,
        issued: OffsetDateTime,
        mfa_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Self {
        self.ctx
            .set("aws:TokenIssueTime", rolecall_wire::iso8601(issued));
        self.ctx.set(
            "aws:MultiFactorAuthPresent",
            if mfa_at.is_some() { "true" } else { "false" },
        );
        if let Some(at) = mfa_at {
            self.ctx.set(
                "aws:MultiFactorAuthAge",
                (now - at).whole_seconds().max(0).to_string(),
            );
        }
        self
    }

    /// Marks MFA as verified on this very request (AssumeRole / GetSessionToken with a valid
    /// TokenCode): `aws:MultiFactorAuthPresent=true`, `aws:MultiFactorAuthAge=0`.
    #[must_use]
    pub fn mfa_on_this_request(mut self) -> Self {
        self.ctx.set("aws:MultiFactorAuthPresent", "true");
        self.ctx.set("aws:MultiFactorAuthAge", "0");
        self
    }

    /// Network facts: `aws:SourceIp`, `aws:SecureTransport`, `aws:UserAgent`, `aws:RequestedRegion`.
    #[must_use]
    pub fn network(
        mut self,
        source_ip: &str,
        secure: bool,
        user_agent: Option<&str>,
        region: &str,
    ) -> Self {
        self.ctx.set("aws:SourceIp", source_ip);
        self.ctx
            .set("aws:SecureTransport", if secure { "true" } else { "false" });
        if let Some(ua) = user_agent {
            self.ctx.set("aws:UserAgent", ua);
        }
        self.ctx.set("aws:RequestedRegion", region);
        self
    }

    /// `aws:RequestTag/<key>` for each tag and `aws:TagKeys`.
    #[must_use]
    pub fn request_tags(mut self, tags: &[(String, String)]) -> Self {
        if tags.is_empty() {
            return self;
        }
        for (k, v) in tags {
            self.ctx.set(&format!("aws:RequestTag/{k}"), v.clone());
        }
        self.ctx
            .set_multi("aws:TagKeys", tags.iter().map(|(k, _)| k.clone()).collect());
        self
    }

    /// `aws:SourceIdentity` of the session.
    #[must_use]
    pub fn source_identity(mut self, value: Option<&str>) -> Self {
        if let Some(v) = value {
            self.ctx.set("aws:SourceIdentity", v);
        }
        self
    }

    /// Any other key.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.ctx.set(key, value);
        self
    }

    /// Any other multivalued key.
    #[must_use]
    pub fn with_multi(mut self, key: &str, values: Vec<String>) -> Self {
        self.ctx.set_multi(key, values);
        self
    }

    /// The finished context.
    #[must_use]
    pub fn build(self) -> Context {
        self.ctx
    }
}
