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

/// An action pattern, kept lower-cased and compiled because actions match case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPattern {
    /// As written in the document.
    pub text: String,
    pub(crate) tokens: Vec<Tok>,
}

impl ActionPattern {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            tokens: compile(&text.to_ascii_lowercase()),
        }
    }

    /// Matches a lower-cased action name (`iam:listusers`).
    pub(crate) fn matches_lower(&self, action_lower: &str) -> bool {
        crate::glob::tokens_match(&self.tokens, action_lower)
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
