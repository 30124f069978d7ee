//! The IAM policy language: parse and validate documents with AWS's error messages, match
//! actions, resources and principals, evaluate conditions and policy variables, and decide
//! requests the way AWS combines identity, resource (trust), boundary and session policies.
//! Every decision can explain itself.
//!
//! This crate does no IO and reads no clock: the request context carries the time.

mod condition;
mod context;
mod document;
mod eval;
mod explain;
mod glob;
mod principal;
mod unique_keys;
mod validate;
mod variables;

pub use condition::{Condition, Operator, OperatorBase, SetQualifier};
pub use context::{Context, ContextBuilder, PrincipalType};
pub use document::{
    ActionBlock, ActionPattern, Effect, Policy, PrincipalBlock, PrincipalSet, ResourceBlock,
    Statement, Version,
};
pub use eval::{
    AssumeRoleInput, Decision, IdentitySide, NamedPolicy, Outcome, PolicyType, Request, evaluate,
    evaluate_assume_role,
};
pub use explain::{PolicyTrace, StatementOutcome, StatementTrace};
pub use glob::{arn_matches, glob_matches};
pub use principal::{Caller, PrincipalMatch, match_principal};
pub use validate::{PolicyError, PolicyKind, non_whitespace_len, parse_policy};
