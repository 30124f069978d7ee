//! `userIdentity` by principal type, as CloudTrail writes it, and the `Username` LookupEvents
//! shows for it (for a role session: the session name, so that a lookup by
//! `AWS-CLI-session-<epoch>` finds what that session did).

use rolecall_arn::Arn;
use rolecall_policy::PrincipalType;
use serde_json::{Value, json};

use crate::principal::Principal;
use crate::token::SessionClaims;

/// `sessionContext.attributes`: both values are strings, in this order.
fn attributes(s: &SessionClaims) -> Value {
    json!({
        "creationDate": rolecall_wire::timestamp::iso8601_from_epoch(s.issued),
        "mfaAuthenticated": if s.mfa_at.is_some() { "true" } else { "false" },
    })
}

/// The caller as CloudTrail identifies it.
pub(crate) fn user_identity(p: &Principal) -> Value {
    let c = &p.caller;
    match c.kind {
        PrincipalType::User => {
            let user = p.user.as_ref();
            let mut v = json!({
                "type": "IAMUser",
                "principalId": user.map_or("", |u| u.id.as_str()),
                "arn": c.arn,
                "accountId": c.account,
                "accessKeyId": p.access_key_id,
                "userName": user.map_or("", |u| u.name.as_str()),
            });
            if let Some(s) = &p.session {
                v["sessionContext"] = json!({ "attributes": attributes(s) });
            }
            v
        }
        PrincipalType::Account => {
            let mut v = json!({
                "type": "Root",
                "principalId": c.account,
                "arn": c.arn,
                "accountId": c.account,
                "accessKeyId": p.access_key_id,
            });
            if let Some(s) = &p.session {
                v["sessionContext"] = json!({ "attributes": attributes(s) });
            }
            v
        }
        PrincipalType::AssumedRole => {
            let Some(s) = &p.session else {
                return json!({ "type": "AssumedRole", "arn": c.arn, "accountId": c.account });
            };
            let role_arn = Arn::iam(&s.account, "role", &s.path, &s.name).to_string();
            let mut context = json!({
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": s.id,
                    "arn": role_arn,
                    "accountId": s.account,
                    "userName": s.name,
                },
                "webIdFederationData": {},
                "attributes": attributes(s),
            });
            if let Some(source) = &s.source_identity {
                context["sourceIdentity"] = Value::String(source.clone());
            }
            json!({
                "type": "AssumedRole",
                "principalId": format!("{}:{}", s.id, s.session_name),
                "arn": c.arn,
                "accountId": c.account,
                "accessKeyId": p.access_key_id,
                "sessionContext": context,
            })
        }
        PrincipalType::FederatedUser => {
            let Some(s) = &p.session else {
                return json!({ "type": "FederatedUser", "arn": c.arn, "accountId": c.account });
            };
            let issuer = if s.name.is_empty() {
                json!({ "type": "Root", "principalId": s.account, "arn": Arn::root(&s.account).to_string(), "accountId": s.account })
            } else {
                json!({
                    "type": "IAMUser",
                    "principalId": s.id,
                    "arn": Arn::iam(&s.account, "user", &s.path, &s.name).to_string(),
                    "accountId": s.account,
                    "userName": s.name,
                })
            };
            json!({
                "type": "FederatedUser",
                "principalId": format!("{}:{}", s.account, s.session_name),
                "arn": c.arn,
                "accountId": c.account,
                "accessKeyId": p.access_key_id,
                "sessionContext": { "sessionIssuer": issuer, "attributes": attributes(s) },
            })
        }
        PrincipalType::Anonymous => json!({ "type": "Unknown" }),
    }
}

/// The role owner's view of a cross-account caller.
pub(crate) fn as_other_account(p: &Principal) -> Value {
    json!({
        "type": "AWSAccount",
        "principalId": p.caller.unique_id.clone().unwrap_or_else(|| p.caller.account.clone()),
        "accountId": p.caller.account,
    })
}

/// What LookupEvents shows as `Username`: the user name, the role session name, the
/// federated user's name, or `root`.
pub(crate) fn username(p: &Principal) -> Option<String> {
    match p.caller.kind {
        PrincipalType::User => p.user.as_ref().map(|u| u.name.clone()),
        PrincipalType::Account => Some("root".into()),
        PrincipalType::AssumedRole | PrincipalType::FederatedUser => {
            p.session.as_ref().map(|s| s.session_name.clone())
        }
        PrincipalType::Anonymous => None,
    }
}
