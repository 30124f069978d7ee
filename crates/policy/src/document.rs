//! The parsed form of a policy document. Built only by [`crate::parse_policy`], so every value
//! of these types has passed validation.

use crate::condition::Condition;
use crate::glob::{Tok, compile};

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17` or no `Version`: `${…}` is literal text.
    V2008_10_17,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Refuses, whatever else allows.
    Deny,
}

/// An action pattern, kept lower-cased and pre-classified because actions match
/// case-insensitively and are matched on every decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPattern {
    /// As written in the document.
    pub text: String,
    shape: Shape,
}

/// What a pattern needs at match time; most real patterns are a name, `prefix*` or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// `*`.
    Any,
    /// No wildcard: the lower-cased name itself.
    Exact(String),
    /// `prefix*` with no other wildcard.
    Prefix(String),
    /// Anything else: the literal prefix before the first wildcard, then the full match.
    General { prefix: String, tokens: Vec<Tok> },
}

impl ActionPattern {
    pub(crate) fn new(text: &str) -> Self {
        let lower = text.to_ascii_lowercase();
        let first_wild = lower.find(['*', '?']);
        let shape = match first_wild {
            None => Shape::Exact(lower),
            Some(_) if lower == "*" => Shape::Any,
            Some(i) if i == lower.len() - 1 && lower.ends_with('*') => {
                Shape::Prefix(lower[..i].to_owned())
            }
            Some(i) => Shape::General {
                prefix: lower[..i].to_owned(),
                tokens: compile(&lower),
            },
        };
        Self {
            text: text.to_owned(),
            shape,
        }
    }

    /// Matches a lower-cased action name (`iam:listusers`).
    pub(crate) fn matches_lower(&self, action_lower: &str) -> bool {
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(name) => name == action_lower,
            Shape::Prefix(prefix) => action_lower.starts_with(prefix.as_str()),
            Shape::General { prefix, tokens } => {
                action_lower.starts_with(prefix.as_str())
                    && crate::glob::tokens_match(tokens, action_lower)
            }
        }
    }
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionBlock {
    /// Applies to the listed actions.
    Action(Vec<ActionPattern>),
    /// Applies to every action not listed.
    NotAction(Vec<ActionPattern>),
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceBlock {
    /// Applies to the listed resources.
    Resource(Vec<String>),
    /// Applies to every resource not listed.
    NotResource(Vec<String>),
}

/// The principals a `Principal` or `NotPrincipal` element names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalSet {
    /// `"*"` or `{"AWS":"*"}`.
    pub any: bool,
    /// `AWS` values: account ids, ARNs, or the unique ids IAM stores for users and roles.
    pub aws: Vec<String>,
    /// `Service` values.
    pub service: Vec<String>,
    /// `Federated` values.
    pub federated: Vec<String>,
    /// `CanonicalUser` values.
    pub canonical_user: Vec<String>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalBlock {
    /// Applies to the listed principals.
    Principal(PrincipalSet),
    /// Applies to every principal not listed.
    NotPrincipal(PrincipalSet),
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `Sid`.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action` / `NotAction`.
    pub action: ActionBlock,
    /// `Resource` / `NotResource`; absent in trust policies.
    pub resource: Option<ResourceBlock>,
    /// `Principal` / `NotPrincipal`; only in trust policies.
    pub principal: Option<PrincipalBlock>,
    /// Every `Condition` entry, one per operator and key.
    pub conditions: Vec<Condition>,
}

/// A validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `Version`.
    pub version: Version,
    /// `Id`.
    pub id: Option<String>,
    /// `Statement`, always at least one.
    pub statements: Vec<Statement>,
}
