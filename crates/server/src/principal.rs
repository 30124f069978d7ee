//! Who is calling, and what the server keeps about principals between requests: the
//! authenticated caller, the users behind access keys, the parsed policies of a user or role,
//! and roles with their trust policies. Plain data shared by `auth`, `authz`, the caches and
//! the handlers; it depends on nothing of the server but the session claims.

use std::sync::Arc;

use rolecall_arn::Arn;
use rolecall_policy::{Caller, NamedPolicy, Policy, PrincipalType};

use crate::token::SessionClaims;

/// A user behind a request: long-term keys, a GetSessionToken session, or a federated session's parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserRef {
    /// The user's name as created.
    pub(crate) name: String,
    /// The user's unique id (`AIDA…`).
    pub(crate) id: String,
    /// The user's path.
    pub(crate) path: String,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    /// The caller as the policy engine sees it.
    pub(crate) caller: Caller,
    /// The access key that signed the request.
    pub(crate) access_key_id: String,
    /// The IAM user, for user keys, GetSessionToken sessions of users, and federated sessions.
    pub(crate) user: Option<UserRef>,
    /// The temporary session, if the request used temporary credentials.
    pub(crate) session: Option<Arc<SessionClaims>>,
}

impl Principal {
    /// The account root, with its own keys or in a GetSessionToken session.
    pub(crate) fn root(
        account: &str,
        access_key_id: &str,
        session: Option<Arc<SessionClaims>>,
    ) -> Self {
        let arn = Arn::root(account).to_string();
        Self {
            caller: Caller {
                kind: PrincipalType::Account,
                account: account.to_owned(),
                arn: arn.clone(),
                principal_arn: arn,
                unique_id: None,
            },
            access_key_id: access_key_id.to_owned(),
            user: None,
            session,
        }
    }

    /// An IAM user, with its own keys or in a GetSessionToken session.
    pub(crate) fn user(
        account: &str,
        user: &UserRef,
        access_key_id: &str,
        session: Option<Arc<SessionClaims>>,
    ) -> Self {
        let arn = Arn::iam(account, "user", &user.path, &user.name).to_string();
        Self {
            caller: Caller {
                kind: PrincipalType::User,
                account: account.to_owned(),
                arn: arn.clone(),
                principal_arn: arn,
                unique_id: Some(user.id.clone()),
            },
            access_key_id: access_key_id.to_owned(),
            user: Some(user.clone()),
            session,
        }
    }

    /// True for the account root (which no policy restricts in its own account).
    pub(crate) fn is_root(&self) -> bool {
        self.caller.kind == PrincipalType::Account
    }

    /// The caller's account.
    pub(crate) fn account(&self) -> &str {
        &self.caller.account
    }

    /// The caller's `aws:userid`, as GetCallerIdentity shows it: the account for the root,
    /// `ROLEID:session` for a role session, `ACCOUNT:name` for a federated user, otherwise
    /// the unique id.
    pub(crate) fn user_id(&self) -> String {
        let session_name = || {
            self.session
                .as_ref()
                .map(|s| s.session_name.as_str())
                .unwrap_or_default()
        };
        match self.caller.kind {
            PrincipalType::Account => self.account().to_owned(),
            PrincipalType::AssumedRole => format!(
                "{}:{}",
                self.caller.unique_id.as_deref().unwrap_or_default(),
                session_name()
            ),
            PrincipalType::FederatedUser => format!("{}:{}", self.account(), session_name()),
            _ => self.caller.unique_id.clone().unwrap_or_default(),
        }
    }
}

/// A long-term access key, unsealed.
#[derive(Clone)]
pub(crate) struct KeyEntry {
    /// The account that owns the key.
    pub(crate) account: String,
    /// The owning user's lower-cased name (`None` for the root).
    pub(crate) user_lower: Option<String>,
    /// The owning user (`None` for the root or when the user is gone).
    pub(crate) user: Option<UserRef>,
    /// The secret access key.
    pub(crate) secret: String,
    /// Whether the key is `Active`.
    pub(crate) active: bool,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("account", &self.account)
            .field("user_lower", &self.user_lower)
            .finish_non_exhaustive()
    }
}

/// The policies that apply to one user or role, parsed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Loaded {
    /// Whether the principal exists (with the expected unique id).
    pub(crate) exists: bool,
    /// Its unique id.
    pub(crate) id: String,
    /// Its inline and attached policies (a user's include its groups').
    pub(crate) identity: Vec<NamedPolicy>,
    /// Its permissions boundary.
    pub(crate) boundary: Option<NamedPolicy>,
    /// Its tags: `aws:PrincipalTag/*`.
    pub(crate) tags: Vec<(String, String)>,
}

/// A role with its trust policy parsed.
#[derive(Debug)]
pub(crate) struct CachedRole {
    /// The role as stored.
    pub(crate) role: rolecall_store::Role,
    /// Its trust policy.
    pub(crate) trust: Policy,
    /// The role's tags: `aws:ResourceTag/*` when it is assumed.
    pub(crate) tags: Vec<(String, String)>,
}
