//! Policy documents of every kind: parsing never panics, and whatever parses evaluates.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rolecall_policy::{Context, IdentitySide, NamedPolicy, PolicyKind, Request, evaluate, parse_policy};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for kind in [PolicyKind::Inline, PolicyKind::Managed, PolicyKind::Trust, PolicyKind::Session] {
        if let Ok(p) = parse_policy(text, kind) {
            let named = NamedPolicy { name: "fuzz".into(), policy: Arc::new(p) };
            let mut ctx = Context::default();
            ctx.set("aws:username", "alice");
            let side = IdentitySide { identity: std::slice::from_ref(&named), ..IdentitySide::default() };
            let _ = evaluate(&Request { action: "iam:GetUser", resource: "arn:aws:iam::1:user/alice", context: &ctx }, &side, true);
        }
    }
});
