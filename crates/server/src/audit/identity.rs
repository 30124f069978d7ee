//! `userIdentity` by principal type, as CloudTrail writes it, and the `Username` LookupEvents
//! shows for it (for a role session: the session name, so that a lookup by
//! `AWS-CLI-session-<epoch>` finds what that session did).

use rolecall_policy::PrincipalType;

use super::json::{self, Object};
use crate::principal::Principal;
use crate::token::SessionClaims;

/// `sessionContext.attributes`: both values are strings, in this order.
fn attributes(context: &mut Object<'_>, s: &SessionClaims) {
    let mut a = Object::open(context.key("attributes"));
    json::epoch_timestamp(a.key("creationDate"), s.issued);
    a.str(
        "mfaAuthenticated",
        if s.mfa_at.is_some() { "true" } else { "false" },
    );
    a.close();
}

/// A `sessionContext` of nothing but the session's attributes.
fn attributes_only(v: &mut Object<'_>, s: &SessionClaims) {
    let mut context = Object::open(v.key("sessionContext"));
    attributes(&mut context, s);
    context.close();
}

/// Whether CloudTrail names the caller by its account's alias: the root, and a federated
/// session the root issued (as its issuer).
pub(crate) fn shows_account_alias(p: &Principal) -> bool {
    match p.caller.kind {
        PrincipalType::Account => true,
        PrincipalType::FederatedUser => p.session.as_ref().is_some_and(|s| s.name.is_empty()),
        _ => false,
    }
}

/// Appends the caller as CloudTrail identifies it (`userIdentity`). `alias` is the account's
/// alias, if one is set: the root's `userName` (and a root-issued session's issuer's).
pub(super) fn user_identity(out: &mut String, p: &Principal, alias: Option<&str>) {
    let c = &p.caller;
    let mut v = Object::open(out);
    match c.kind {
        PrincipalType::User => {
            let user = p.user.as_ref();
            v.str("type", "IAMUser");
            v.str("principalId", user.map_or("", |u| u.id.as_str()));
            v.str("arn", &c.arn);
            v.str("accountId", &c.account);
            v.str("accessKeyId", &p.access_key_id);
            v.str("userName", user.map_or("", |u| u.name.as_str()));
            if let Some(s) = &p.session {
                attributes_only(&mut v, s);
            }
        }
        PrincipalType::Account => {
            v.str("type", "Root");
            v.str("principalId", &c.account);
            v.str("arn", &c.arn);
            v.str("accountId", &c.account);
            v.str("accessKeyId", &p.access_key_id);
            if let Some(alias) = alias {
                v.str("userName", alias);
            }
            if let Some(s) = &p.session {
                attributes_only(&mut v, s);
            }
        }
        PrincipalType::AssumedRole | PrincipalType::FederatedUser => {
            let role = c.kind == PrincipalType::AssumedRole;
            v.str("type", if role { "AssumedRole" } else { "FederatedUser" });
            let Some(s) = &p.session else {
                v.str("arn", &c.arn);
                v.str("accountId", &c.account);
                v.close();
                return;
            };
            if role {
                v.fmt("principalId", format_args!("{}:{}", s.id, s.session_name));
            } else {
                v.fmt(
                    "principalId",
                    format_args!("{}:{}", s.account, s.session_name),
                );
            }
            v.str("arn", &c.arn);
            v.str("accountId", &c.account);
            v.str("accessKeyId", &p.access_key_id);
            let mut context = Object::open(v.key("sessionContext"));
            let mut issuer = Object::open(context.key("sessionIssuer"));
            if !role && s.name.is_empty() {
                issuer.str("type", "Root");
                issuer.str("principalId", &s.account);
                // `Arn::root(account)`.
                issuer.fmt("arn", format_args!("arn:aws:iam::{}:root", s.account));
                issuer.str("accountId", &s.account);
                if let Some(alias) = alias {
                    issuer.str("userName", alias);
                }
            } else {
                let (kind, resource) = if role {
                    ("Role", "role")
                } else {
                    ("IAMUser", "user")
                };
                issuer.str("type", kind);
                issuer.str("principalId", &s.id);
                // `Arn::iam(account, resource, path, name)`.
                issuer.fmt(
                    "arn",
                    format_args!("arn:aws:iam::{}:{resource}{}{}", s.account, s.path, s.name),
                );
                issuer.str("accountId", &s.account);
                issuer.str("userName", &s.name);
            }
            issuer.close();
            if role {
                context.raw("webIdFederationData", "{}");
            }
            attributes(&mut context, s);
            if role && let Some(source) = &s.source_identity {
                context.str("sourceIdentity", source);
            }
            context.close();
        }
        PrincipalType::Anonymous => v.str("type", "Unknown"),
    }
    v.close();
}

/// Appends the role owner's view of a cross-account caller (`userIdentity`).
pub(super) fn as_other_account(out: &mut String, p: &Principal) {
    let mut v = Object::open(out);
    v.str("type", "AWSAccount");
    v.str(
        "principalId",
        p.caller.unique_id.as_deref().unwrap_or(&p.caller.account),
    );
    v.str("accountId", &p.caller.account);
    v.close();
}

/// What LookupEvents shows as `Username`: the user name, the role session name, the
/// federated user's name, or `root`.
pub(super) fn username(p: &Principal) -> Option<String> {
    match p.caller.kind {
        PrincipalType::User => p.user.as_ref().map(|u| u.name.clone()),
        PrincipalType::Account => Some("root".into()),
        PrincipalType::AssumedRole | PrincipalType::FederatedUser => {
            p.session.as_ref().map(|s| s.session_name.clone())
        }
        PrincipalType::Anonymous => None,
    }
}
