//! Who is calling, and how a trust policy's `Principal` element names them.

use crate::context::PrincipalType;
use crate::document::PrincipalSet;

/// The caller of a request, as policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Root, user, role session, federated user.
    pub kind: PrincipalType,
    /// The caller's account.
    pub account: String,
    /// The ARN shown in messages and by GetCallerIdentity: user ARN, session ARN
    /// (`arn:aws:sts::A:assumed-role/R/S`), federated-user ARN, or `arn:aws:iam::A:root`.
    pub arn: String,
    /// `aws:PrincipalArn`: the user ARN, or for a role session the role ARN (with path).
    pub principal_arn: String,
    /// The unique id of the user (`AIDA…`) or role (`AROA…`) behind the caller.
    pub unique_id: Option<String>,
}

/// How a `Principal` element matched a caller, strongest last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Not named.
    None,
    /// The caller's account (id or `:root` ARN): delegation to the account's own policies.
    Account,
    /// The role behind the caller's session: limited by the session's boundary and session policy.
    Role,
    /// The caller itself: `*`, its user ARN or id, its exact session ARN, its federated-user ARN.
    Direct,
}

/// The strongest way `set` names `caller`.
#[must_use]
pub fn match_principal(set: &PrincipalSet, caller: &Caller) -> PrincipalMatch {
    if set.any {
        return PrincipalMatch::Direct;
    }
    let mut best = PrincipalMatch::None;
    for value in &set.aws {
        let m = match_one(value, caller);
        best = best.max(m);
    }
    best
}

fn match_one(value: &str, caller: &Caller) -> PrincipalMatch {
    if value == "*" {
        return PrincipalMatch::Direct;
    }
    if value == caller.account || *value == rolecall_arn::Arn::root(&caller.account).to_string() {
        return PrincipalMatch::Account;
    }
    let by_identity = match caller.kind {
        PrincipalType::User => PrincipalMatch::Direct,
        PrincipalType::AssumedRole => PrincipalMatch::Role,
        _ => PrincipalMatch::None,
    };
    if caller.unique_id.as_deref() == Some(value) {
        return by_identity;
    }
    if value == caller.principal_arn
        && matches!(
            caller.kind,
            PrincipalType::User | PrincipalType::AssumedRole
        )
    {
        return by_identity;
    }
    if value == caller.arn
        && matches!(
            caller.kind,
            PrincipalType::AssumedRole | PrincipalType::FederatedUser
        )
    {
        return PrincipalMatch::Direct;
    }
    PrincipalMatch::None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Caller {
        Caller {
            kind: PrincipalType::AssumedRole,
            account: "111111111111".into(),
            arn: "arn:aws:sts::111111111111:assumed-role/R1/alpha".into(),
            principal_arn: "arn:aws:iam::111111111111:role/R1".into(),
            unique_id: Some("AROAEXAMPLEEXAMPLE1".into()),
        }
    }

    fn set(values: &[&str]) -> PrincipalSet {
        PrincipalSet {
            aws: values.iter().map(|v| (*v).to_owned()).collect(),
            ..PrincipalSet::default()
        }
    }

    #[test]
    fn principal_forms() {
        let c = session();
        assert_eq!(
            match_principal(&set(&["111111111111"]), &c),
            PrincipalMatch::Account
        );
        assert_eq!(
            match_principal(&set(&["arn:aws:iam::111111111111:root"]), &c),
            PrincipalMatch::Account
        );
        assert_eq!(
            match_principal(&set(&["arn:aws:iam::111111111111:role/R1"]), &c),
            PrincipalMatch::Role
        );
        assert_eq!(
            match_principal(&set(&["AROAEXAMPLEEXAMPLE1"]), &c),
            PrincipalMatch::Role
        );
        assert_eq!(
            match_principal(
                &set(&["arn:aws:sts::111111111111:assumed-role/R1/alpha"]),
                &c
            ),
            PrincipalMatch::Direct
        );
        assert_eq!(
            match_principal(
                &set(&["arn:aws:sts::111111111111:assumed-role/R1/beta"]),
                &c
            ),
            PrincipalMatch::None
        );
        assert_eq!(
            match_principal(&set(&["222222222222"]), &c),
            PrincipalMatch::None
        );
        assert_eq!(
            match_principal(
                &PrincipalSet {
                    any: true,
                    ..PrincipalSet::default()
                },
                &c
            ),
            PrincipalMatch::Direct
        );
    }
}
