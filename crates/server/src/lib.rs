//! rolecall's IAM + STS server: the AWS Query protocol over HTTP, SigV4 on every request,
//! authorization of every action by the policy engine, and durable state in the store.
//!
//! The pipeline of a request: HTTP (`http`) → parameters and operation (`ops`) →
//! authentication (`auth`) → the caller's policies and context (`authz`) → the input checked
//! against the operation's model shape (`input`, from `dispatch`) → the handler (`sts`,
//! `iam::*`), which authorizes on the resource AWS checks, then acts.

mod app;
mod arn_params;
pub mod audit;
mod auth;
mod authz;
mod aws_policies;
mod bootstrap;
mod cache;
mod call;
mod console;
pub mod crypto;
mod dispatch;
mod errors;
mod http;
mod iam;
mod input;
mod ops;
mod principal;
mod qr;
mod sts;
mod token;
pub mod totp;

pub use app::{App, Enforcement};
pub use audit::{Trail, TrailWriter};
pub use bootstrap::{BootstrapOutput, bootstrap, bootstrap_root};
pub use console::{ConsoleSettings, SIGNIN_TOKEN_SECONDS};
pub use http::{ConnectionLimits, MAX_BODY_BYTES, router, serve};
pub use ops::Op;
