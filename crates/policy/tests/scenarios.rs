//! The conformance scenarios of POLICY.md §9 that the engine decides on its own (the rest,
//! which need users, roles and sessions in a store, run end to end against the server).

use std::sync::Arc;

use rolecall_policy::{
    AssumeRoleInput, Caller, Context, ContextBuilder, IdentitySide, NamedPolicy, Outcome,
    PolicyKind, PolicyType, PrincipalType, Request, evaluate, evaluate_assume_role, parse_policy,
};
use time::macros::datetime;

const A: &str = "111111111111";
const B: &str = "222222222222";

fn pol(json: &str) -> NamedPolicy {
    NamedPolicy {
        name: "test".into(),
        policy: Arc::new(parse_policy(json, PolicyKind::Inline).expect(json)),
    }
}

fn allow(action: &str, resource: &str) -> NamedPolicy {
    pol(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}}}"#
    ))
}

fn user_ctx(name: &str) -> Context {
    ContextBuilder::new(datetime!(2026-11-23 10:00 UTC))
        .principal(
            PrincipalType::User,
            &format!("arn:aws:iam::{A}:user/{name}"),
            A,
            "AIDAEXAMPLEUSER00001",
            Some(name),
        )
        .network("127.0.0.1", false, None, "us-east-1")
        .build()
}

fn decide(policies: &[NamedPolicy], action: &str, resource: &str, ctx: &Context) -> Outcome {
    let side = IdentitySide {
        identity: policies,
        ..IdentitySide::default()
    };
    evaluate(
        &Request {
            action,
            resource,
            context: ctx,
        },
        &side,
        true,
    )
    .outcome
}

use Outcome::{Allow, ExplicitDeny, ImplicitDeny};
const ID: PolicyType = PolicyType::Identity;

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{A}:user/{name}")
}

#[test]
fn s1_to_s12_grammar_and_matching() {
    let ctx = user_ctx("alice");
    assert_eq!(
        decide(&[], "iam:ListUsers", &user_arn(""), &ctx),
        ImplicitDeny(ID),
        "S1"
    );
    assert_eq!(
        decide(&[allow("iam:*", "*")], "iam:ListUsers", &user_arn(""), &ctx),
        Allow,
        "S2"
    );
    let s3 = [
        allow("iam:*", "*"),
        pol(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}}"#,
        ),
    ];
    assert_eq!(
        decide(&s3, "iam:DeleteUser", &user_arn("bob"), &ctx),
        ExplicitDeny(ID),
        "S3"
    );
    assert_eq!(
        decide(&[allow("IAM:listusers", "*")], "iam:ListUsers", "*", &ctx),
        Allow,
        "S4"
    );
    assert_eq!(
        decide(&[allow("iam:List*", "*")], "iam:ListRoles", "*", &ctx),
        Allow,
        "S5"
    );
    assert_eq!(
        decide(&[allow("iam:List*", "*")], "iam:GetRole", "*", &ctx),
        ImplicitDeny(ID),
        "S5b"
    );
    assert_eq!(
        decide(&[allow("iam:?etUser", "*")], "iam:GetUser", "*", &ctx),
        Allow,
        "S6"
    );
    let s7 = [pol(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
    )];
    assert_eq!(
        decide(&s7, "iam:ListUsers", "*", &ctx),
        ImplicitDeny(ID),
        "S7"
    );
    assert_eq!(decide(&s7, "sts:AssumeRole", "*", &ctx), Allow, "S7b");
    let s8 = [allow(
        "iam:GetUser",
        &format!("arn:aws:iam::{A}:user/Alice"),
    )];
    assert_eq!(
        decide(&s8, "iam:GetUser", &user_arn("alice"), &ctx),
        ImplicitDeny(ID),
        "S8"
    );
    let s9 = [allow(
        "iam:CreateRole",
        &format!("arn:aws:iam::{A}:role/app/*"),
    )];
    assert_eq!(
        decide(
            &s9,
            "iam:CreateRole",
            &format!("arn:aws:iam::{A}:role/app/x"),
            &ctx
        ),
        Allow,
        "S9"
    );
    assert_eq!(
        decide(
            &s9,
            "iam:CreateRole",
            &format!("arn:aws:iam::{A}:role/y"),
            &ctx
        ),
        ImplicitDeny(ID),
        "S9b"
    );
    let s10 = [allow("iam:GetRole", &format!("arn:aws:iam::{A}:role/*"))];
    assert_eq!(
        decide(
            &s10,
            "iam:GetRole",
            &format!("arn:aws:iam::{A}:role/team/x/deploy"),
            &ctx
        ),
        Allow,
        "S10"
    );
    let s11 = [allow("iam:GetUser", "arn:aws:iam::*:user/?lice")];
    assert_eq!(
        decide(&s11, "iam:GetUser", &user_arn("alice"), &ctx),
        Allow,
        "S11"
    );
    let s12 = [pol(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::{A}:user/admin"}}}}"#
    ))];
    assert_eq!(
        decide(&s12, "iam:GetUser", &user_arn("admin"), &ctx),
        ImplicitDeny(ID),
        "S12"
    );
    assert_eq!(
        decide(&s12, "iam:GetUser", &user_arn("bob"), &ctx),
        Allow,
        "S12b"
    );
}

fn with_condition(effect: &str, action: &str, condition: &str) -> NamedPolicy {
    pol(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"{effect}","Action":"{action}","Resource":"*","Condition":{condition}}}}}"#
    ))
}

fn mfa_session_ctx(age_seconds: i64) -> Context {
    let now = datetime!(2026-11-23 10:00 UTC);
    ContextBuilder::new(now)
        .principal(
            PrincipalType::AssumedRole,
            &format!("arn:aws:iam::{A}:role/R"),
            A,
            "AROAEXAMPLEROLE00001:s",
            None,
        )
        .temporary_credentials(
            now - time::Duration::seconds(age_seconds),
            Some(now - time::Duration::seconds(age_seconds)),
            now,
        )
        .build()
}

#[test]
fn s13_to_s31_conditions_keys_and_variables() {
    let alice = user_ctx("alice");
    let mfa_bool = with_condition(
        "Allow",
        "iam:ListUsers",
        r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
    );
    assert_eq!(
        decide(&[mfa_bool], "iam:ListUsers", "*", &alice),
        ImplicitDeny(ID),
        "S13"
    );
    let mfa_if = with_condition(
        "Allow",
        "iam:ListUsers",
        r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}"#,
    );
    assert_eq!(
        decide(&[mfa_if], "iam:ListUsers", "*", &alice),
        Allow,
        "S14"
    );
    let s15 = [
        allow("iam:*", "*"),
        with_condition(
            "Deny",
            "*",
            r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#,
        ),
    ];
    assert_eq!(
        decide(&s15, "iam:ListUsers", "*", &alice),
        ExplicitDeny(ID),
        "S15"
    );
    assert_eq!(
        decide(&s15, "iam:ListUsers", "*", &mfa_session_ctx(10)),
        Allow,
        "S15b"
    );
    let s16 = [
        allow("iam:*", "*"),
        with_condition(
            "Deny",
            "*",
            r#"{"Bool":{"aws:MultiFactorAuthPresent":"false"}}"#,
        ),
    ];
    assert_eq!(decide(&s16, "iam:ListUsers", "*", &alice), Allow, "S16");
    let s17 = [with_condition(
        "Allow",
        "iam:ListUsers",
        r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#,
    )];
    assert_eq!(
        decide(&s17, "iam:ListUsers", "*", &mfa_session_ctx(600)),
        Allow,
        "S17"
    );
    assert_eq!(
        decide(&s17, "iam:ListUsers", "*", &mfa_session_ctx(7200)),
        ImplicitDeny(ID),
        "S17b"
    );
    let s18 = [
        allow("iam:*", "*"),
        with_condition(
            "Deny",
            "iam:*",
            r#"{"StringNotEquals":{"aws:username":["alice","bob"]}}"#,
        ),
    ];
    assert_eq!(decide(&s18, "iam:ListUsers", "*", &alice), Allow, "S18");
    assert_eq!(
        decide(&s18, "iam:ListUsers", "*", &user_ctx("carol")),
        ExplicitDeny(ID),
        "S18b"
    );
    let s19 = [
        allow("iam:*", "*"),
        with_condition(
            "Deny",
            "iam:*",
            r#"{"StringNotEquals":{"aws:PrincipalTag/team":"blue"}}"#,
        ),
    ];
    assert_eq!(
        decide(&s19, "iam:ListUsers", "*", &alice),
        ExplicitDeny(ID),
        "S19"
    );
    let s20 = [
        allow("iam:*", "*"),
        with_condition(
            "Deny",
            "iam:*",
            r#"{"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"blue"}}"#,
        ),
    ];
    assert_eq!(
        decide(&s20, "iam:ListUsers", "*", &alice),
        ExplicitDeny(ID),
        "S20"
    );
    let s21 = [allow(
        "iam:CreateAccessKey",
        "arn:aws:iam::*:user/${aws:username}",
    )];
    assert_eq!(
        decide(&s21, "iam:CreateAccessKey", &user_arn("alice"), &alice),
        Allow,
        "S21"
    );
    assert_eq!(
        decide(&s21, "iam:CreateAccessKey", &user_arn("bob"), &alice),
        ImplicitDeny(ID),
        "S21b"
    );
    let s22 = [pol(
        r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::*:user/${aws:username}"}}"#,
    )];
    assert_eq!(
        decide(&s22, "iam:CreateAccessKey", &user_arn("alice"), &alice),
        ImplicitDeny(ID),
        "S22"
    );
    let s23 = [allow(
        "iam:GetRole",
        &format!("arn:aws:iam::{A}:role/${{aws:PrincipalTag/team}}-*"),
    )];
    assert_eq!(
        decide(
            &s23,
            "iam:GetRole",
            &format!("arn:aws:iam::{A}:role/blue-app"),
            &alice
        ),
        ImplicitDeny(ID),
        "S23"
    );
    let s24 = [allow(
        "iam:GetRole",
        &format!("arn:aws:iam::{A}:role/${{aws:PrincipalTag/team, 'shared'}}-*"),
    )];
    assert_eq!(
        decide(
            &s24,
            "iam:GetRole",
            &format!("arn:aws:iam::{A}:role/shared-app"),
            &alice
        ),
        Allow,
        "S24"
    );
    let tagged = |tags: &[(&str, &str)]| {
        let tags: Vec<(String, String)> = tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ContextBuilder::new(datetime!(2026-11-23 10:00 UTC))
            .principal(
                PrincipalType::User,
                &user_arn("alice"),
                A,
                "AIDAEXAMPLEUSER00001",
                Some("alice"),
            )
            .request_tags(&tags)
            .build()
    };
    let s25 = [with_condition(
        "Allow",
        "iam:CreateUser",
        r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}"#,
    )];
    assert_eq!(
        decide(&s25, "iam:CreateUser", "*", &tagged(&[])),
        Allow,
        "S25"
    );
    assert_eq!(
        decide(&s25, "iam:CreateUser", "*", &tagged(&[("owner", "x")])),
        ImplicitDeny(ID),
        "S25b"
    );
    let s26 = [with_condition(
        "Allow",
        "iam:CreateUser",
        r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}"#,
    )];
    assert_eq!(
        decide(&s26, "iam:CreateUser", "*", &tagged(&[])),
        ImplicitDeny(ID),
        "S26"
    );
    let s27 = [with_condition(
        "Allow",
        "iam:CreateRole",
        r#"{"StringEquals":{"aws:RequestTag/env":"prod"}}"#,
    )];
    assert_eq!(
        decide(&s27, "iam:CreateRole", "*", &tagged(&[("env", "prod")])),
        Allow,
        "S27"
    );
    assert_eq!(
        decide(&s27, "iam:CreateRole", "*", &tagged(&[("ENV", "prod")])),
        Allow,
        "S27b"
    );
    assert_eq!(
        decide(&s27, "iam:CreateRole", "*", &tagged(&[("env", "dev")])),
        ImplicitDeny(ID),
        "S27c"
    );
    let s28 = [with_condition(
        "Allow",
        "iam:*",
        r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    )];
    assert_eq!(
        decide(&s28, "iam:ListUsers", "*", &alice),
        ImplicitDeny(ID),
        "S28"
    );
    let s29 = [with_condition(
        "Allow",
        "iam:*",
        r#"{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#,
    )];
    assert_eq!(
        decide(&s29, "iam:ListUsers", "*", &alice),
        ImplicitDeny(ID),
        "S29"
    );
    let s30 = [with_condition(
        "Allow",
        "iam:ListUsers",
        r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
    )];
    assert_eq!(decide(&s30, "iam:ListUsers", "*", &alice), Allow, "S30");
    assert_eq!(
        decide(&s30, "iam:ListUsers", "*", &mfa_session_ctx(5)),
        ImplicitDeny(ID),
        "S30b"
    );
    let s31 = [with_condition(
        "Allow",
        "iam:*",
        r#"{"StringLike":{"aws:userid":"AROA*:build-*"}}"#,
    )];
    let session = |name: &str| {
        ContextBuilder::new(datetime!(2026-11-23 10:00 UTC))
            .principal(
                PrincipalType::AssumedRole,
                &format!("arn:aws:iam::{A}:role/R"),
                A,
                &format!("AROAEXAMPLEROLE00001:{name}"),
                None,
            )
            .build()
    };
    assert_eq!(
        decide(&s31, "iam:ListUsers", "*", &session("build-7")),
        Allow,
        "S31"
    );
    assert_eq!(
        decide(&s31, "iam:ListUsers", "*", &session("dev")),
        ImplicitDeny(ID),
        "S31b"
    );
}

fn decide_side(
    identity: &[NamedPolicy],
    boundary: Option<&NamedPolicy>,
    session: Option<&[NamedPolicy]>,
    action: &str,
) -> Outcome {
    let ctx = user_ctx("alice");
    let side = IdentitySide {
        identity,
        boundary,
        session,
    };
    evaluate(
        &Request {
            action,
            resource: "*",
            context: &ctx,
        },
        &side,
        false,
    )
    .outcome
}

#[test]
fn s32_to_s36_boundaries_and_session_policies() {
    let bnd = pol(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}}"#,
    );
    assert_eq!(
        decide_side(&[allow("iam:*", "*")], Some(&bnd), None, "iam:CreateUser"),
        ImplicitDeny(PolicyType::Boundary),
        "S32"
    );
    assert_eq!(
        decide_side(
            &[allow("iam:ListRoles", "*")],
            Some(&allow("iam:*", "*")),
            None,
            "iam:CreateUser"
        ),
        ImplicitDeny(ID),
        "S33"
    );
    let bnd34 = pol(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:DeleteRole","Resource":"*"}]}"#,
    );
    assert_eq!(
        decide_side(&[allow("iam:*", "*")], Some(&bnd34), None, "iam:DeleteRole"),
        ExplicitDeny(PolicyType::Boundary),
        "S34"
    );
    let sess = [allow("iam:List*", "*")];
    assert_eq!(
        decide_side(&[allow("iam:*", "*")], None, Some(&sess), "iam:CreateUser"),
        ImplicitDeny(PolicyType::Session),
        "S35"
    );
    assert_eq!(
        decide_side(&[allow("iam:*", "*")], None, Some(&sess), "iam:ListUsers"),
        Allow,
        "S35b"
    );
    assert_eq!(
        decide_side(
            &[allow("iam:ListRoles", "*")],
            None,
            Some(&[allow("iam:*", "*")]),
            "iam:CreateUser"
        ),
        ImplicitDeny(ID),
        "S36"
    );
    let d = evaluate(
        &Request {
            action: "iam:CreateUser",
            resource: "*",
            context: &user_ctx("a"),
        },
        &IdentitySide {
            identity: &[allow("iam:*", "*")],
            boundary: Some(&bnd),
            session: None,
        },
        false,
    );
    assert_eq!(
        d.reason("iam:CreateUser"),
        "because no permissions boundary allows the iam:CreateUser action"
    );
}

fn trust(principal: &str, extra: &str) -> rolecall_policy::Policy {
    parse_policy(
        &format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"{extra}}}}}"#),
        PolicyKind::Trust,
    )
    .unwrap()
}

fn alice() -> Caller {
    Caller {
        kind: PrincipalType::User,
        account: A.into(),
        arn: user_arn("alice"),
        principal_arn: user_arn("alice"),
        unique_id: Some("AIDAEXAMPLEALICE0001".into()),
    }
}

fn r1_session(name: &str) -> Caller {
    Caller {
        kind: PrincipalType::AssumedRole,
        account: A.into(),
        arn: format!("arn:aws:sts::{A}:assumed-role/R1/{name}"),
        principal_arn: format!("arn:aws:iam::{A}:role/R1"),
        unique_id: Some("AROAEXAMPLER1000001".into()),
    }
}

fn assume(
    caller: &Caller,
    side: IdentitySide<'_>,
    trust: &rolecall_policy::Policy,
    role_account: &str,
    actions: &[&str],
    ctx: &Context,
) -> Outcome {
    let role_arn = format!("arn:aws:iam::{role_account}:role/R");
    evaluate_assume_role(
        &AssumeRoleInput {
            caller,
            caller_side: side,
            role_arn: &role_arn,
            role_account,
            trust,
            actions,
            context: ctx,
        },
        true,
    )
    .outcome
}

#[test]
fn s36b_to_s50_trust_and_cross_account() {
    let ctx = user_ctx("alice");
    let none = IdentitySide::default();
    let ar = &["sts:AssumeRole"][..];
    let names_alice = trust(&format!(r#"{{"AWS":"{}"}}"#, user_arn("alice")), "");
    let get_only = pol(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}}"#,
    );
    assert_ne!(
        assume(
            &alice(),
            IdentitySide {
                boundary: Some(&get_only),
                ..none
            },
            &names_alice,
            A,
            ar,
            &ctx
        ),
        Allow,
        "S36b"
    );
    assert_eq!(
        assume(&alice(), none, &names_alice, A, ar, &ctx),
        Allow,
        "S37"
    );
    let names_account = trust(&format!(r#"{{"AWS":"arn:aws:iam::{A}:root"}}"#), "");
    assert_eq!(
        assume(&alice(), none, &names_account, A, ar, &ctx),
        ImplicitDeny(ID),
        "S38"
    );
    let allow_r = [allow("sts:AssumeRole", &format!("arn:aws:iam::{A}:role/R"))];
    assert_eq!(
        assume(
            &alice(),
            IdentitySide {
                identity: &allow_r,
                ..none
            },
            &names_account,
            A,
            ar,
            &ctx
        ),
        Allow,
        "S39"
    );
    let deny_all = [pol(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}}"#,
    )];
    assert_eq!(
        assume(
            &alice(),
            IdentitySide {
                identity: &deny_all,
                ..none
            },
            &names_alice,
            A,
            ar,
            &ctx
        ),
        ExplicitDeny(ID),
        "S40"
    );
    let names_bob = trust(&format!(r#"{{"AWS":"{}"}}"#, user_arn("bob")), "");
    let allow_any = [allow("sts:AssumeRole", "*")];
    assert_eq!(
        assume(
            &alice(),
            IdentitySide {
                identity: &allow_any,
                ..none
            },
            &names_bob,
            A,
            ar,
            &ctx
        ),
        ImplicitDeny(PolicyType::Trust),
        "S41"
    );
    let b_trusts_a = trust(&format!(r#"{{"AWS":"{A}"}}"#), "");
    let allow_b = [allow("sts:AssumeRole", &format!("arn:aws:iam::{B}:role/R"))];
    assert_eq!(
        assume(
            &alice(),
            IdentitySide {
                identity: &allow_b,
                ..none
            },
            &b_trusts_a,
            B,
            ar,
            &ctx
        ),
        Allow,
        "S42"
    );
    assert_eq!(
        assume(&alice(), none, &names_alice, B, ar, &ctx),
        ImplicitDeny(ID),
        "S43"
    );
    let names_r1 = trust(&format!(r#"{{"AWS":"arn:aws:iam::{A}:role/R1"}}"#), "");
    assert_eq!(
        assume(&r1_session("x"), none, &names_r1, A, ar, &ctx),
        Allow,
        "S44"
    );
    let list_only = [allow("iam:List*", "*")];
    assert_eq!(
        assume(
            &r1_session("x"),
            IdentitySide {
                session: Some(&list_only),
                ..none
            },
            &names_r1,
            A,
            ar,
            &ctx
        ),
        ImplicitDeny(PolicyType::Session),
        "S45"
    );
    let names_alpha = trust(
        &format!(r#"{{"AWS":"arn:aws:sts::{A}:assumed-role/R1/alpha"}}"#),
        "",
    );
    assert_ne!(
        assume(&r1_session("beta"), none, &names_alpha, A, ar, &ctx),
        Allow,
        "S46"
    );
    assert_eq!(
        assume(&r1_session("alpha"), none, &names_alpha, A, ar, &ctx),
        Allow,
        "S46b"
    );
    let service_only = trust(r#"{"Service":"ec2.amazonaws.com"}"#, "");
    let admin = [allow("*", "*")];
    assert_ne!(
        assume(
            &r1_session("x"),
            IdentitySide {
                identity: &admin,
                ..none
            },
            &service_only,
            A,
            ar,
            &ctx
        ),
        Allow,
        "S47"
    );
    let external = trust(
        &format!(r#"{{"AWS":"{A}"}}"#),
        r#","Condition":{"StringEquals":{"sts:ExternalId":"xyz"}}"#,
    );
    let side = IdentitySide {
        identity: &allow_any,
        ..none
    };
    assert_ne!(assume(&alice(), side, &external, A, ar, &ctx), Allow, "S48");
    let mut with_id = ctx.clone();
    with_id.set("sts:ExternalId", "xyz");
    assert_eq!(
        assume(&alice(), side, &external, A, ar, &with_id),
        Allow,
        "S48b"
    );
    with_id.set("sts:ExternalId", "XYZ");
    assert_ne!(
        assume(&alice(), side, &external, A, ar, &with_id),
        Allow,
        "S48c"
    );
    let mfa = trust(
        &format!(r#"{{"AWS":"{A}"}}"#),
        r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
    );
    assert_ne!(assume(&alice(), side, &mfa, A, ar, &ctx), Allow, "S49");
    let mut with_mfa = ctx.clone();
    with_mfa.set("aws:MultiFactorAuthPresent", "true");
    assert_eq!(
        assume(&alice(), side, &mfa, A, ar, &with_mfa),
        Allow,
        "S49b"
    );
    let d = evaluate_assume_role(
        &AssumeRoleInput {
            caller: &alice(),
            caller_side: none,
            role_arn: "arn:aws:iam::111111111111:role/R",
            role_account: A,
            trust: &names_alice,
            actions: &["sts:AssumeRole", "sts:TagSession"],
            context: &ctx,
        },
        false,
    );
    assert_eq!(d.failed_action.as_deref(), Some("sts:TagSession"), "S50");
}

fn malformed(json: &str, kind: PolicyKind) -> String {
    parse_policy(json, kind).expect_err(json).message
}

#[test]
fn s59_to_s68_validation_messages() {
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}}"#,
            PolicyKind::Trust
        ),
        "Has prohibited field Resource",
        "S59"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"iam:*","Resource":"*"}}"#,
            PolicyKind::Inline
        ),
        "Policy document should not specify a principal.",
        "S60"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"allow-read","Effect":"Allow","Action":"iam:*","Resource":"*"}}"#,
            PolicyKind::Managed
        ),
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        "S61"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A1","Effect":"Allow","Action":"iam:*","Resource":"*"},{"Sid":"A1","Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#,
            PolicyKind::Managed
        ),
        "Statement IDs (SID) in a single policy must be unique.",
        "S62"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"iam:*","Resource":"*"}}"#,
            PolicyKind::Managed
        ),
        "The policy failed legacy parsing",
        "S63"
    );
    assert_eq!(
        malformed(
            r#"{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}"#,
            PolicyKind::Managed
        ),
        "Policy document must be version 2012-10-17 or greater.",
        "S64"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}"#,
            PolicyKind::Managed
        ),
        "Policy document must be version 2012-10-17 or greater.",
        "S64b"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Action":"iam:*","Resource":"*"}}"#,
            PolicyKind::Managed
        ),
        "Syntax errors in policy.",
        "S65"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"foo"}}"#,
            PolicyKind::Managed
        ),
        "Resource foo must be in ARN format or \"*\".",
        "S66"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ListUsers","Resource":"*"}}"#,
            PolicyKind::Managed
        ),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        "S67"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1::user/x"}}"#,
            PolicyKind::Managed
        ),
        "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information.",
        "S68"
    );
}

#[test]
fn more_validation_edges() {
    let inline = PolicyKind::Inline;
    for bad in [
        "not json",
        "[]",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Version":"2012-10-17","Statement":[]}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*","Extra":1}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","NotAction":"iam:*","Resource":"*"}}"#,
        r#"{"Version":"2013-01-01","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[["iam:*"]],"Resource":"*"}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"x":{"a":"1"}}}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"1"}}}}"#,
        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iam:*\",\"Resource\":\"*\",\"Sid\":\"\u{4e00}\"}}",
    ] {
        assert_eq!(malformed(bad, inline), "Syntax errors in policy.", "{bad}");
    }
    assert!(parse_policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"x":{}}}}"#, inline).is_ok());
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"sdfdsf"}}}}"#,
            inline
        ),
        "The policy failed legacy parsing"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:s3::bucket"}}"#,
            inline
        ),
        "The policy failed legacy parsing"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a:b:c","Resource":"*"}}"#,
            inline
        ),
        "Actions/Condition can contain only one colon."
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a a:b","Resource":"*"}}"#,
            inline
        ),
        "Vendor a a is not valid"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*"}}"#,
            inline
        ),
        "Policy statement must contain resources."
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}"#,
            inline
        ),
        "Policy statement must contain actions."
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:b:cadfsdf"}}"#,
            inline
        ),
        "The policy failed legacy parsing"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:b:cadfsdf:*:*:*"}}"#,
            inline
        ),
        "Partition \"b\" is not valid for resource \"arn:b:cadfsdf:*:*:*\"."
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:::thing/x"}}"#,
            inline
        ),
        "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."
    );
    let trust_kind = PolicyKind::Trust;
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#,
            trust_kind
        ),
        "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"iam:ListUsers"}}"#,
            trust_kind
        ),
        "AssumeRole policy may only specify STS AssumeRole actions."
    );
    assert_eq!(
        malformed(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/*"},"Action":"sts:AssumeRole"}}"#,
            trust_kind
        ),
        "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111111111111:user/*\""
    );
    assert!(parse_policy(r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#, trust_kind).is_ok());
}

#[test]
fn explanations_name_the_failing_condition() {
    let ctx = user_ctx("alice");
    let p = [with_condition(
        "Allow",
        "iam:ListUsers",
        r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    )];
    let d = evaluate(
        &Request {
            action: "iam:ListUsers",
            resource: "*",
            context: &ctx,
        },
        &IdentitySide {
            identity: &p,
            ..IdentitySide::default()
        },
        true,
    );
    let text = d.explanation();
    assert!(text.contains("IpAddress aws:SourceIp failed"), "{text}");
    assert!(text.contains("127.0.0.1"), "{text}");
    assert!(text.contains("10.0.0.0/8"), "{text}");
}

#[test]
fn duplicate_keys_anywhere_are_syntax_errors() {
    for (kind, doc) in [
        (
            PolicyKind::Inline,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*","Effect":"Allow"}}"#,
        ),
        (
            PolicyKind::Managed,
            r#"{"Version":"2012-10-17","Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}"#,
        ),
        (
            PolicyKind::Session,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","aws:username":"b"}}}]}"#,
        ),
        (
            PolicyKind::Trust,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}"#,
        ),
    ] {
        assert_eq!(malformed(doc, kind), "Syntax errors in policy.", "{doc}");
    }
    // A trust policy that is not JSON at all keeps its own message.
    assert_eq!(
        malformed(r#"{"Statement":{"a":1,"a":2}"#, PolicyKind::Trust),
        "This policy contains invalid Json"
    );
}
