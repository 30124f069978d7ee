//! Properties of the engine, checked on generated inputs against independent references.

use std::sync::Arc;

use proptest::prelude::*;
use rolecall_policy::{
    Context, IdentitySide, NamedPolicy, Outcome, PolicyKind, PolicyType, Request, evaluate,
    glob_matches, parse_policy,
};

/// An independent wildcard matcher: the pattern translated into an anchored regular expression.
fn reference_glob(pattern: &str, text: &str) -> bool {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).unwrap().is_match(text)
}

fn policy(json: &str) -> NamedPolicy {
    NamedPolicy {
        name: "generated".into(),
        policy: Arc::new(parse_policy(json, PolicyKind::Inline).expect(json)),
    }
}

fn decide(policies: &[NamedPolicy], action: &str, resource: &str) -> Outcome {
    let ctx = Context::default();
    let side = IdentitySide {
        identity: policies,
        ..IdentitySide::default()
    };
    evaluate(
        &Request {
            action,
            resource,
            context: &ctx,
        },
        &side,
        false,
    )
    .outcome
}

fn action_pattern() -> impl Strategy<Value = String> {
    ("(iam|sts|s3)", "[A-Za-z*?]{0,8}").prop_map(|(v, n)| format!("{v}:{n}"))
}

fn action() -> impl Strategy<Value = String> {
    ("(iam|sts|s3)", "[A-Za-z]{1,8}").prop_map(|(v, n)| format!("{v}:{n}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn wildcards_agree_with_a_regex_reference(pattern in "[ab/:*?ሴ]{0,10}", text in "[ab/:ሴ]{0,12}") {
        prop_assert_eq!(glob_matches(&pattern, &text), reference_glob(&pattern, &text));
    }

    #[test]
    fn not_action_is_the_complement_of_action(patterns in proptest::collection::vec(action_pattern(), 1..4), act in action()) {
        let list = serde_json::to_string(&patterns).unwrap();
        let with_action = policy(&format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":{list},"Resource":"*"}}}}"#));
        let with_not = policy(&format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","NotAction":{list},"Resource":"*"}}}}"#));
        let a = decide(&[with_action], &act, "*") == Outcome::Allow;
        let n = decide(&[with_not], &act, "*") == Outcome::Allow;
        prop_assert_ne!(a, n);
        // Matching ignores case on both sides.
        let upper = policy(&format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":{},"Resource":"*"}}}}"#, list.to_uppercase().replace("IAM:", "iam:").replace("STS:", "sts:").replace("S3:", "s3:")));
        prop_assert_eq!(decide(&[upper], &act.to_lowercase(), "*") == Outcome::Allow, a);
    }

    #[test]
    fn an_explicit_deny_always_wins(allows in proptest::collection::vec(action_pattern(), 0..6), act in action(), deny_first in any::<bool>()) {
        let mut statements: Vec<String> = allows.iter().map(|p| format!(r#"{{"Effect":"Allow","Action":"{p}","Resource":"*"}}"#)).collect();
        statements.push(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#.to_owned());
        let deny = format!(r#"{{"Effect":"Deny","Action":"{act}","Resource":"*"}}"#);
        if deny_first { statements.insert(0, deny) } else { statements.push(deny) }
        let p = policy(&format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(",")));
        prop_assert_eq!(decide(&[p], &act, "arn:aws:iam::1:user/x"), Outcome::ExplicitDeny(PolicyType::Identity));
    }

    #[test]
    fn the_parser_never_panics(text in "\\PC{0,200}") {
        for kind in [PolicyKind::Inline, PolicyKind::Managed, PolicyKind::Trust, PolicyKind::Session] {
            let _ = parse_policy(&text, kind);
        }
    }

    #[test]
    fn the_parser_never_panics_on_policy_shaped_json(
        effect in "(Allow|Deny|allow|x)",
        action in "[a-z*?:]{0,12}",
        resource in "[a-z*:/]{0,20}",
        op in "(StringEquals|ForAnyValue:StringLike|DateLessThan|NumericLessThan|IpAddress|Null|BoolIfExists|Nope|ForAllValues::X)",
        value in "[0-9a-z./:-]{0,16}",
    ) {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":"{action}","Resource":"{resource}","Condition":{{"{op}":{{"aws:k":"{value}"}}}}}}]}}"#);
        if let Ok(p) = parse_policy(&text, PolicyKind::Inline) {
            let named = NamedPolicy { name: "x".into(), policy: Arc::new(p) };
            let mut ctx = Context::default();
            ctx.set("aws:k", value);
            let side = IdentitySide { identity: std::slice::from_ref(&named), ..IdentitySide::default() };
            let _ = evaluate(&Request { action: "iam:GetUser", resource: "arn:aws:iam::1:user/x", context: &ctx }, &side, true);
        }
    }
}
