//! Decisions per second on one core: a typical role session (identity policies with about
//! twenty statements and conditions, a boundary, a session policy) and a worst case of many
//! wildcard statements that must all be scanned, at several sizes to show the growth.
//! Run with `cargo bench -p rolecall-policy`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rolecall_policy::{
    ContextBuilder, IdentitySide, NamedPolicy, PolicyKind, PrincipalType, Request, evaluate,
    parse_policy,
};

fn named(json: &str) -> NamedPolicy {
    NamedPolicy {
        name: "bench".into(),
        policy: Arc::new(parse_policy(json, PolicyKind::Managed).expect(json)),
    }
}

/// Runs `f` repeatedly for about `budget` and returns decisions per second.
fn rate(budget: Duration, mut f: impl FnMut() -> bool) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..1000 {
            black_box(f());
        }
        n += 1000;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn typical_identity() -> Vec<NamedPolicy> {
    let mut statements = Vec::new();
    for i in 0..16 {
        statements.push(format!(
            r#"{{"Sid":"S{i}","Effect":"Allow","Action":["s3:Get*","s3:List*","ec2:Describe*","iam:Get{i}*"],"Resource":"arn:aws:s3:::bucket-{i}/*"}}"#
        ));
    }
    statements.push(r#"{"Sid":"ListUsers","Effect":"Allow","Action":["iam:List*","iam:Get*"],"Resource":"arn:aws:iam::111111111111:user/*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","127.0.0.0/8"]}}}"#.into());
    statements.push(r#"{"Sid":"Own","Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/${aws:username}"}"#.into());
    statements.push(r#"{"Sid":"NoProd","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/env":"prod"}}}"#.into());
    statements.push(r#"{"Sid":"Window","Effect":"Deny","Action":"iam:Delete*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}"#.into());
    let (a, b) = statements.split_at(10);
    vec![
        named(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            a.join(",")
        )),
        named(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            b.join(",")
        )),
    ]
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000),
    );
    let now = time::OffsetDateTime::now_utc();
    let ctx = ContextBuilder::new(now)
        .principal(
            PrincipalType::AssumedRole,
            "arn:aws:iam::111111111111:role/dev",
            "111111111111",
            "AROAEXAMPLEEXAMPLE1:s",
            None,
        )
        .principal_tags([("env", "dev"), ("team", "blue")])
        .temporary_credentials(
            now - time::Duration::minutes(5),
            Some(now - time::Duration::minutes(5)),
            now,
        )
        .network("127.0.0.1", false, Some("bench"), "us-east-1")
        .build();
    let identity = typical_identity();
    let boundary = named(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","s3:*","ec2:Describe*"],"Resource":"*"},{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}"#,
    );
    let session = vec![named(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:Get*","s3:Get*"],"Resource":"*"}]}"#,
    )];
    let side = IdentitySide {
        identity: &identity,
        boundary: Some(&boundary),
        session: Some(&session),
    };
    let allowed = Request {
        action: "iam:ListUsers",
        resource: "arn:aws:iam::111111111111:user/",
        context: &ctx,
    };
    let denied = Request {
        action: "iam:CreateRole",
        resource: "arn:aws:iam::111111111111:role/x",
        context: &ctx,
    };
    assert!(evaluate(&allowed, &side, false).is_allowed());
    assert!(!evaluate(&denied, &side, false).is_allowed());
    println!(
        "typical role session (20 identity statements, boundary, session policy, conditions), one core:"
    );
    println!(
        "  allowed request: {:>12.0} decisions/s",
        rate(budget, || evaluate(black_box(&allowed), &side, false)
            .is_allowed())
    );
    println!(
        "  denied request:  {:>12.0} decisions/s",
        rate(budget, || evaluate(black_box(&denied), &side, false)
            .is_allowed())
    );
    println!(
        "  with explanation (denied): {:>12.0} decisions/s",
        rate(budget, || evaluate(black_box(&denied), &side, true)
            .is_allowed())
    );
    println!("worst case: N wildcard statements, none matching, all scanned:");
    for n in [10, 100, 1000] {
        let statements: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"Effect":"Allow","Action":["iam:*Foo{i}*Bar?","s3:*x*y*z*"],"Resource":"arn:aws:iam::*:role/*-{i}-*"}}"#))
            .collect();
        let p = vec![named(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        ))];
        let side = IdentitySide {
            identity: &p,
            ..IdentitySide::default()
        };
        let r = rate(budget, || {
            evaluate(black_box(&denied), &side, false).is_allowed()
        });
        println!(
            "  N = {n:>4}: {r:>12.0} decisions/s  ({:>8.1} ns per statement)",
            1e9 / r / f64::from(n)
        );
    }
}
