//! Decisions: explicit deny over allow over implicit deny, across identity, trust, boundary
//! and session policies, same-account and cross-account, as AWS combines them.

use std::sync::Arc;

use crate::condition::Condition;
use crate::context::Context;
use crate::document::{
    ActionBlock, Effect, Policy, PrincipalBlock, ResourceBlock, Statement, Version,
};
use crate::explain::{PolicyTrace, StatementOutcome, StatementTrace};
use crate::glob::{arn_matches, arn_tokens_match};
use crate::principal::{Caller, PrincipalMatch, match_principal};
use crate::variables::substitute;

/// The kinds of policy AWS names in its AccessDenied messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    /// Inline and managed policies of the user, its groups, or the role.
    Identity,
    /// A role's trust policy (the only resource-based policy rolecall keeps).
    Trust,
    /// The permissions boundary.
    Boundary,
    /// The session policy of a role or federated-user session.
    Session,
}

impl PolicyType {
    /// A short label for explanations.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Identity => "identity-based",
            Self::Trust => "role trust",
            Self::Boundary => "permissions boundary",
            Self::Session => "session",
        }
    }
}

/// A policy with the name explanations show for it.
#[derive(Debug, Clone)]
pub struct NamedPolicy {
    /// A managed policy ARN, or a description such as `user/alice inline AllowKeys`.
    pub name: String,
    /// The document.
    pub policy: Arc<Policy>,
}

/// The caller's side of a decision: identity policies, boundary, session policies.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentitySide<'a> {
    /// Identity-based policies.
    pub identity: &'a [NamedPolicy],
    /// The permissions boundary, if one is set.
    pub boundary: Option<&'a NamedPolicy>,
    /// `Some` for sessions with a session policy (federated-user sessions always; an empty
    /// list then allows nothing).
    pub session: Option<&'a [NamedPolicy]>,
}

/// One action on one resource.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `iam:ListUsers`, any case.
    pub action: &'a str,
    /// The resource ARN checked, or `*`.
    pub resource: &'a str,
    /// The condition keys.
    pub context: &'a Context,
}

/// The result of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed.
    Allow,
    /// A Deny statement of this policy type applied.
    ExplicitDeny(PolicyType),
    /// No Allow in this policy type.
    ImplicitDeny(PolicyType),
}

/// A decision and, when asked for, its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Allow, explicit deny or implicit deny.
    pub outcome: Outcome,
    /// For AssumeRole: the action that failed (`sts:AssumeRole`, `sts:TagSession`, …).
    pub failed_action: Option<String>,
    /// Every policy looked at; empty unless an explanation was requested.
    pub traces: Vec<PolicyTrace>,
}

impl Decision {
    /// True for [`Outcome::Allow`].
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }

    /// The reason clause of AWS's AccessDenied message (`because no identity-based policy
    /// allows the iam:ListUsers action`, `with an explicit deny in a permissions boundary`).
    #[must_use]
    pub fn reason(&self, action: &str) -> String {
        match self.outcome {
            Outcome::Allow => String::new(),
            Outcome::ExplicitDeny(t) => match t {
                PolicyType::Identity => "with an explicit deny in an identity-based policy".into(),
                PolicyType::Trust => "with an explicit deny in the role trust policy".into(),
                PolicyType::Boundary => "with an explicit deny in a permissions boundary".into(),
                PolicyType::Session => "with an explicit deny in a session policy".into(),
            },
            Outcome::ImplicitDeny(t) => match t {
                PolicyType::Identity => {
                    format!("because no identity-based policy allows the {action} action")
                }
                PolicyType::Trust => {
                    format!("because no role trust policy allows the {action} action")
                }
                PolicyType::Boundary => {
                    format!("because no permissions boundary allows the {action} action")
                }
                PolicyType::Session => {
                    format!("because no session policy allows the {action} action")
                }
            },
        }
    }

    /// The explanation as one line per policy.
    #[must_use]
    pub fn explanation(&self) -> String {
        self.traces
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Everything a statement is matched against.
struct Subject<'a> {
    action_lower: &'a str,
    resource: Option<&'a str>,
    caller: Option<&'a Caller>,
    context: &'a Context,
}

fn action_matches(block: &ActionBlock, action_lower: &str) -> bool {
    match block {
        ActionBlock::Action(list) => list.iter().any(|p| p.matches_lower(action_lower)),
        ActionBlock::NotAction(list) => !list.iter().any(|p| p.matches_lower(action_lower)),
    }
}

fn resource_pattern_matches(
    pattern: &str,
    resource: &str,
    ctx: &Context,
    version: Version,
) -> bool {
    if version == Version::V2012_10_17 && pattern.contains("${") {
        return substitute(pattern, ctx, true).is_some_and(|toks| {
            toks == [crate::glob::Tok::Any] || arn_tokens_match(&toks, resource)
        });
    }
    arn_matches(pattern, resource)
}

fn resource_matches(
    block: &ResourceBlock,
    resource: &str,
    ctx: &Context,
    version: Version,
) -> bool {
    match block {
        ResourceBlock::Resource(list) => list
            .iter()
            .any(|p| resource_pattern_matches(p, resource, ctx, version)),
        ResourceBlock::NotResource(list) => !list
            .iter()
            .any(|p| resource_pattern_matches(p, resource, ctx, version)),
    }
}

fn failed_condition(c: &Condition, ctx: &Context) -> StatementOutcome {
    StatementOutcome::ConditionFailed {
        operator: c.operator.text.clone(),
        key: c.key.clone(),
        policy_values: c.values.clone(),
        request_values: ctx.get_lower(&c.key_lower).map(<[String]>::to_vec),
    }
}

/// Whether a statement applies, with the principal match kind for trust statements.
fn statement_applies(
    s: &Statement,
    subject: &Subject<'_>,
    version: Version,
) -> (StatementOutcome, PrincipalMatch) {
    if !action_matches(&s.action, subject.action_lower) {
        return (StatementOutcome::ActionNotMatched, PrincipalMatch::None);
    }
    if let (Some(block), Some(resource)) = (&s.resource, subject.resource)
        && !resource_matches(block, resource, subject.context, version)
    {
        return (StatementOutcome::ResourceNotMatched, PrincipalMatch::None);
    }
    let mut principal = PrincipalMatch::Direct;
    if let Some(caller) = subject.caller {
        principal = match &s.principal {
            Some(PrincipalBlock::Principal(set)) => match_principal(set, caller),
            Some(PrincipalBlock::NotPrincipal(set)) => {
                if match_principal(set, caller) == PrincipalMatch::None {
                    PrincipalMatch::Direct
                } else {
                    PrincipalMatch::None
                }
            }
            None => PrincipalMatch::None,
        };
        if principal == PrincipalMatch::None {
            return (StatementOutcome::PrincipalNotMatched, principal);
        }
    }
    for c in &s.conditions {
        if !c.evaluate(subject.context, version) {
            return (failed_condition(c, subject.context), PrincipalMatch::None);
        }
    }
    (StatementOutcome::Applied, principal)
}

/// What a set of policies of one type says.
#[derive(Default)]
struct Verdict {
    deny: bool,
    allow: bool,
    best_principal: Option<PrincipalMatch>,
}

fn scan<'p>(
    policies: impl IntoIterator<Item = (&'p str, &'p Policy)>,
    policy_type: PolicyType,
    subject: &Subject<'_>,
    traces: Option<&mut Vec<PolicyTrace>>,
) -> Verdict {
    let mut verdict = Verdict::default();
    let mut traces = traces;
    for (name, policy) in policies {
        let mut trace = traces.as_ref().map(|_| PolicyTrace {
            policy_type,
            name: (*name).to_owned(),
            statements: Vec::new(),
        });
        for (index, s) in policy.statements.iter().enumerate() {
            let (outcome, principal) = statement_applies(s, subject, policy.version);
            if outcome == StatementOutcome::Applied {
                match s.effect {
                    Effect::Deny => verdict.deny = true,
                    Effect::Allow => {
                        verdict.allow = true;
                        verdict.best_principal = Some(
                            verdict
                                .best_principal
                                .map_or(principal, |b| b.max(principal)),
                        );
                    }
                }
            }
            if let Some(t) = trace.as_mut() {
                t.statements.push(StatementTrace {
                    index,
                    sid: s.sid.clone(),
                    effect: s.effect,
                    outcome,
                });
            }
        }
        if let (Some(list), Some(t)) = (traces.as_deref_mut(), trace) {
            list.push(t);
        }
    }
    verdict
}

/// The caller side's verdicts, computed once per request.
struct SideVerdicts {
    identity: Verdict,
    boundary: Option<Verdict>,
    session: Option<Verdict>,
}

fn borrow(list: &[NamedPolicy]) -> impl Iterator<Item = (&str, &Policy)> {
    list.iter().map(|n| (n.name.as_str(), n.policy.as_ref()))
}

fn scan_side(
    side: &IdentitySide<'_>,
    subject: &Subject<'_>,
    traces: &mut Option<Vec<PolicyTrace>>,
) -> SideVerdicts {
    SideVerdicts {
        identity: scan(
            borrow(side.identity),
            PolicyType::Identity,
            subject,
            traces.as_mut(),
        ),
        boundary: side.boundary.map(|b| {
            scan(
                [(b.name.as_str(), b.policy.as_ref())],
                PolicyType::Boundary,
                subject,
                traces.as_mut(),
            )
        }),
        session: side
            .session
            .map(|s| scan(borrow(s), PolicyType::Session, subject, traces.as_mut())),
    }
}

impl SideVerdicts {
    fn explicit_deny(&self) -> Option<PolicyType> {
        if self.identity.deny {
            Some(PolicyType::Identity)
        } else if self.boundary.as_ref().is_some_and(|v| v.deny) {
            Some(PolicyType::Boundary)
        } else if self.session.as_ref().is_some_and(|v| v.deny) {
            Some(PolicyType::Session)
        } else {
            None
        }
    }

    /// The first gate that does not allow, in the order identity → boundary → session.
    fn missing_allow(
        &self,
        need_identity: bool,
        need_boundary: bool,
        need_session: bool,
    ) -> Option<PolicyType> {
        if need_identity && !self.identity.allow {
            Some(PolicyType::Identity)
        } else if need_boundary && self.boundary.as_ref().is_some_and(|v| !v.allow) {
            Some(PolicyType::Boundary)
        } else if need_session && self.session.as_ref().is_some_and(|v| !v.allow) {
            Some(PolicyType::Session)
        } else {
            None
        }
    }
}

/// Decides a request against the caller's own policies (no resource-based policy), as AWS does
/// for IAM and STS actions: explicit deny, then identity allow, then boundary, then session.
///
/// Root, `sts:GetCallerIdentity` and `sts:GetSessionToken` need no decision; callers skip them.
#[must_use]
pub fn evaluate(request: &Request<'_>, side: &IdentitySide<'_>, explain: bool) -> Decision {
    let action_lower = request.action.to_ascii_lowercase();
    let subject = Subject {
        action_lower: &action_lower,
        resource: Some(request.resource),
        caller: None,
        context: request.context,
    };
    let mut traces = explain.then(Vec::new);
    let verdicts = scan_side(side, &subject, &mut traces);
    let outcome = if let Some(t) = verdicts.explicit_deny() {
        Outcome::ExplicitDeny(t)
    } else if let Some(t) = verdicts.missing_allow(true, true, true) {
        Outcome::ImplicitDeny(t)
    } else {
        Outcome::Allow
    };
    Decision {
        outcome,
        failed_action: None,
        traces: traces.unwrap_or_default(),
    }
}

/// Everything an AssumeRole decision looks at.
#[derive(Debug, Clone, Copy)]
pub struct AssumeRoleInput<'a> {
    /// Who calls.
    pub caller: &'a Caller,
    /// The caller's policies.
    pub caller_side: IdentitySide<'a>,
    /// The target role's ARN.
    pub role_arn: &'a str,
    /// The target role's account.
    pub role_account: &'a str,
    /// The target role's trust policy.
    pub trust: &'a Policy,
    /// The actions the request needs: `sts:AssumeRole`, plus `sts:TagSession` when tags are
    /// passed and `sts:SetSourceIdentity` when a source identity is set.
    pub actions: &'a [&'a str],
    /// The condition keys.
    pub context: &'a Context,
}

/// Decides AssumeRole: the trust policy must always allow the caller, and the caller's own
/// policies must allow it cross-account, or when the trust names only the account.
#[must_use]
pub fn evaluate_assume_role(input: &AssumeRoleInput<'_>, explain: bool) -> Decision {
    let mut traces = explain.then(Vec::new);
    for action in input.actions {
        let action_lower = action.to_ascii_lowercase();
        let trust_subject = Subject {
            action_lower: &action_lower,
            resource: None,
            caller: Some(input.caller),
            context: input.context,
        };
        let trust_name = format!("trust policy of {}", input.role_arn);
        let trust = scan(
            [(trust_name.as_str(), input.trust)],
            PolicyType::Trust,
            &trust_subject,
            traces.as_mut(),
        );
        let caller_subject = Subject {
            action_lower: &action_lower,
            resource: Some(input.role_arn),
            caller: None,
            context: input.context,
        };
        let side = scan_side(&input.caller_side, &caller_subject, &mut traces);

        let deny = |outcome| Decision {
            outcome,
            failed_action: Some((*action).to_owned()),
            traces: Vec::new(),
        };
        let decision = if let Some(t) = side.explicit_deny() {
            Some(deny(Outcome::ExplicitDeny(t)))
        } else if trust.deny {
            Some(deny(Outcome::ExplicitDeny(PolicyType::Trust)))
        } else if !trust.allow {
            Some(deny(Outcome::ImplicitDeny(PolicyType::Trust)))
        } else {
            let cross_account = input.caller.account != input.role_account;
            let how = trust.best_principal.unwrap_or(PrincipalMatch::None);
            let missing = if cross_account || how == PrincipalMatch::Account {
                side.missing_allow(true, true, true)
            } else if how == PrincipalMatch::Role {
                side.missing_allow(false, true, true)
            } else {
                // Named directly in the same account: no identity permission is needed; the
                // user's boundary still applies (the trust-policy page's rule).
                side.missing_allow(false, true, false)
            };
            missing.map(|t| deny(Outcome::ImplicitDeny(t)))
        };
        if let Some(mut d) = decision {
            d.traces = traces.unwrap_or_default();
            return d;
        }
    }
    Decision {
        outcome: Outcome::Allow,
        failed_action: None,
        traces: traces.unwrap_or_default(),
    }
}
