//! Why a decision came out as it did: for every policy looked at, every statement and whether
//! it applied, and if not, what did not match (the failing condition with the values compared).

use std::fmt;

use crate::document::Effect;
use crate::eval::PolicyType;

/// Whether one statement applied to the request, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementOutcome {
    /// Action, resource, principal and every condition matched.
    Applied,
    /// The action is not covered by `Action` (or is excluded by `NotAction`).
    ActionNotMatched,
    /// The resource is not covered by `Resource` (or is excluded by `NotResource`).
    ResourceNotMatched,
    /// The caller is not named by `Principal`.
    PrincipalNotMatched,
    /// A condition was false.
    ConditionFailed {
        /// The operator as written.
        operator: String,
        /// The key as written.
        key: String,
        /// The values the policy lists.
        policy_values: Vec<String>,
        /// The request's values for the key; `None` when the request does not have the key.
        request_values: Option<Vec<String>>,
    },
}

/// One statement's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementTrace {
    /// Position in the policy, from 0.
    pub index: usize,
    /// `Sid`, if any.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// What happened.
    pub outcome: StatementOutcome,
}

/// One policy's statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyTrace {
    /// Identity, trust, boundary or session.
    pub policy_type: PolicyType,
    /// Which policy: a managed policy ARN, or `user/NAME inline POLICY` and the like.
    pub name: String,
    /// Every statement, in order.
    pub statements: Vec<StatementTrace>,
}

impl fmt::Display for StatementOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Applied => f.write_str("applied"),
            Self::ActionNotMatched => f.write_str("action not matched"),
            Self::ResourceNotMatched => f.write_str("resource not matched"),
            Self::PrincipalNotMatched => f.write_str("principal not matched"),
            Self::ConditionFailed {
                operator,
                key,
                policy_values,
                request_values,
            } => match request_values {
                Some(v) => write!(
                    f,
                    "condition {operator} {key} failed: request has {v:?}, policy lists {policy_values:?}"
                ),
                None => write!(
                    f,
                    "condition {operator} {key} failed: key absent from request, policy lists {policy_values:?}"
                ),
            },
        }
    }
}

impl fmt::Display for PolicyTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} policy {}:", self.policy_type.label(), self.name)?;
        for s in &self.statements {
            let effect = if s.effect == Effect::Allow {
                "Allow"
            } else {
                "Deny"
            };
            match &s.sid {
                Some(sid) => write!(f, " [#{} {sid} {effect}: {}]", s.index, s.outcome)?,
                None => write!(f, " [#{} {effect}: {}]", s.index, s.outcome)?,
            }
        }
        Ok(())
    }
}
