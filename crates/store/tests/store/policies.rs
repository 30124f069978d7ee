//! Inline policies, managed policies with their versions and default version, attachments,
//! usage counts, AWS managed policies and listing scopes.

use rolecall_store::{
    Conflict, EntityKind, MAX_ATTACHED_POLICIES, MAX_POLICY_VERSIONS, PolicyScope, PolicyVersion,
    StoreError, Tag,
};

use crate::harness::{
    ACCOUNT, Db, OTHER_ACCOUNT, T0, assert_err, aws_policy, doc, entity, group, policy, policy_in,
    role, user,
};

/// A document of exactly `n` non-white-space characters, padded with white space that does not
/// count towards the size limit.
fn sized(n: usize) -> String {
    let mut s = String::from(" \n\t");
    for i in 0..n {
        s.push('x');
        if i % 10 == 9 {
            s.push_str("\n  ");
        }
    }
    s
}

fn versions(list: &[PolicyVersion]) -> Vec<(&str, bool)> {
    list.iter()
        .map(|v| (v.version_id.as_str(), v.is_default))
        .collect()
}

pub(crate) async fn inline_policies_roundtrip(db: Db) {
    let s = &db.store;
    // Inline policies belong to an owner that exists (the store locks its row).
    s.create_entity(EntityKind::User, &user("Ann"))
        .await
        .unwrap();
    s.create_role(&role("Ann")).await.unwrap();
    s.put_inline_policy(ACCOUNT, EntityKind::User, "Ann", "b", &doc("s3:*"), 10_240)
        .await
        .unwrap();
    s.put_inline_policy(ACCOUNT, EntityKind::User, "ann", "a", &doc("ec2:*"), 10_240)
        .await
        .unwrap();
    assert_eq!(
        s.inline_policies(ACCOUNT, EntityKind::User, "ANN")
            .await
            .unwrap(),
        vec![
            ("a".to_owned(), doc("ec2:*")),
            ("b".to_owned(), doc("s3:*"))
        ]
    );

    // Putting a policy of the same name replaces it.
    s.put_inline_policy(ACCOUNT, EntityKind::User, "Ann", "a", &doc("iam:*"), 10_240)
        .await
        .unwrap();
    assert_eq!(
        s.inline_policies(ACCOUNT, EntityKind::User, "Ann")
            .await
            .unwrap(),
        vec![
            ("a".to_owned(), doc("iam:*")),
            ("b".to_owned(), doc("s3:*"))
        ]
    );

    // Owners are told apart by kind and account.
    assert!(
        s.inline_policies(ACCOUNT, EntityKind::Role, "Ann")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.inline_policies(OTHER_ACCOUNT, EntityKind::User, "Ann")
            .await
            .unwrap()
            .is_empty()
    );
    s.put_inline_policy(ACCOUNT, EntityKind::Role, "Ann", "a", &doc("sts:*"), 10_240)
        .await
        .unwrap();
    assert_eq!(
        s.inline_policies(ACCOUNT, EntityKind::Role, "ann")
            .await
            .unwrap(),
        vec![("a".to_owned(), doc("sts:*"))]
    );

    s.delete_inline_policy(ACCOUNT, EntityKind::User, "ANN", "a")
        .await
        .unwrap();
    assert_err!(
        s.delete_inline_policy(ACCOUNT, EntityKind::User, "Ann", "a")
            .await,
        StoreError::NotFound
    );
    assert_err!(
        s.delete_inline_policy(ACCOUNT, EntityKind::Group, "Ann", "b")
            .await,
        StoreError::NotFound
    );
    assert_eq!(
        s.inline_policies(ACCOUNT, EntityKind::User, "Ann")
            .await
            .unwrap(),
        vec![("b".to_owned(), doc("s3:*"))]
    );
    assert_eq!(
        s.inline_policies(ACCOUNT, EntityKind::Role, "Ann")
            .await
            .unwrap()
            .len(),
        1
    );
}

pub(crate) async fn inline_policy_aggregate_size_limit(db: Db) {
    let s = &db.store;
    s.create_role(&role("r")).await.unwrap();
    let put = async |name: &str, size: usize| {
        s.put_inline_policy(ACCOUNT, EntityKind::Role, "r", name, &sized(size), 100)
            .await
    };
    put("one", 60).await.unwrap();
    assert_err!(put("two", 41).await, StoreError::LimitExceeded);
    let stored = s
        .inline_policies(ACCOUNT, EntityKind::Role, "r")
        .await
        .unwrap();
    assert_eq!(stored, vec![("one".to_owned(), sized(60))]);

    // Exactly at the limit is allowed; white space never counts.
    put("two", 40).await.unwrap();
    // A replacement is measured without the document it replaces.
    put("one", 60).await.unwrap();
    assert_err!(put("one", 61).await, StoreError::LimitExceeded);
    assert_eq!(
        s.inline_policies(ACCOUNT, EntityKind::Role, "r")
            .await
            .unwrap(),
        vec![("one".to_owned(), sized(60)), ("two".to_owned(), sized(40))]
    );
    put("one", 10).await.unwrap();
    put("three", 50).await.unwrap();
    assert_eq!(
        s.inline_policies(ACCOUNT, EntityKind::Role, "r")
            .await
            .unwrap()
            .len(),
        3
    );

    // The limit is per owner.
    s.create_role(&role("other")).await.unwrap();
    s.put_inline_policy(ACCOUNT, EntityKind::Role, "other", "one", &sized(100), 100)
        .await
        .unwrap();
}

pub(crate) async fn managed_policy_versions_and_default(db: Db) {
    let s = &db.store;
    let mut p = policy("Deploy");
    p.description = Some("deploys things".to_owned());
    s.create_managed_policy(&p, &doc("v1:*")).await.unwrap();
    assert_eq!(s.get_managed_policy(&p.arn).await.unwrap(), Some(p.clone()));
    assert_eq!(
        s.policy_versions(&p.arn).await.unwrap(),
        vec![PolicyVersion {
            version_id: "v1".to_owned(),
            document: doc("v1:*"),
            created_at: T0,
            is_default: true,
        }]
    );

    // A version that is not made the default changes neither default nor update time.
    assert_eq!(
        s.create_policy_version(&p.arn, &doc("v2:*"), false, T0 + 10)
            .await
            .unwrap(),
        "v2"
    );
    let got = s.get_managed_policy(&p.arn).await.unwrap().unwrap();
    assert_eq!((got.default_version.as_str(), got.updated_at), ("v1", T0));

    assert_eq!(
        s.create_policy_version(&p.arn, &doc("v3:*"), true, T0 + 20)
            .await
            .unwrap(),
        "v3"
    );
    let got = s.get_managed_policy(&p.arn).await.unwrap().unwrap();
    assert_eq!(
        (got.default_version.as_str(), got.updated_at),
        ("v3", T0 + 20)
    );
    assert_eq!(got.created_at, T0);
    let listed = s.policy_versions(&p.arn).await.unwrap();
    assert_eq!(
        versions(&listed),
        vec![("v3", true), ("v2", false), ("v1", false)]
    );
    assert_eq!(listed[1].document, doc("v2:*"));
    assert_eq!(listed[1].created_at, T0 + 10);
    assert_eq!(
        s.default_documents(&[
            p.arn.clone(),
            "arn:aws:iam::111122223333:policy/nope".into()
        ])
        .await
        .unwrap(),
        vec![(p.arn.clone(), doc("v3:*"))]
    );

    s.set_default_policy_version(&p.arn, "v1", T0 + 30)
        .await
        .unwrap();
    let got = s.get_managed_policy(&p.arn).await.unwrap().unwrap();
    assert_eq!(
        (got.default_version.as_str(), got.updated_at),
        ("v1", T0 + 30)
    );
    assert_eq!(
        versions(&s.policy_versions(&p.arn).await.unwrap()),
        vec![("v3", false), ("v2", false), ("v1", true)]
    );
    assert_eq!(
        s.default_documents(std::slice::from_ref(&p.arn))
            .await
            .unwrap(),
        vec![(p.arn.clone(), doc("v1:*"))]
    );
    assert_err!(
        s.set_default_policy_version(&p.arn, "v9", T0 + 40).await,
        StoreError::NotFound
    );
    assert_err!(
        s.set_default_policy_version("arn:aws:iam::111122223333:policy/nope", "v1", T0)
            .await,
        StoreError::NotFound
    );
    let got = s.get_managed_policy(&p.arn).await.unwrap().unwrap();
    assert_eq!(
        (got.default_version.as_str(), got.updated_at),
        ("v1", T0 + 30)
    );

    assert_err!(
        s.delete_policy_version(&p.arn, "v1").await,
        StoreError::Conflict(Conflict::DefaultVersion)
    );
    s.delete_policy_version(&p.arn, "v2").await.unwrap();
    assert_err!(
        s.delete_policy_version(&p.arn, "v2").await,
        StoreError::NotFound
    );
    assert_err!(
        s.delete_policy_version("arn:aws:iam::111122223333:policy/nope", "v2")
            .await,
        StoreError::NotFound
    );

    // Version numbers are never reused, and the fifth version is the last one allowed.
    assert_eq!(MAX_POLICY_VERSIONS, 5);
    for expected in ["v4", "v5", "v6"] {
        assert_eq!(
            s.create_policy_version(&p.arn, &doc(expected), false, T0 + 50)
                .await
                .unwrap(),
            expected
        );
    }
    assert_err!(
        s.create_policy_version(&p.arn, &doc("too many"), true, T0 + 60)
            .await,
        StoreError::LimitExceeded
    );
    let listed = s.policy_versions(&p.arn).await.unwrap();
    assert_eq!(listed.len(), 5);
    assert!(listed.iter().all(|v| v.document != doc("too many")));
    assert_eq!(
        s.get_managed_policy(&p.arn)
            .await
            .unwrap()
            .unwrap()
            .default_version,
        "v1"
    );
    // The refused version used up no number.
    s.delete_policy_version(&p.arn, "v3").await.unwrap();
    assert_eq!(
        s.create_policy_version(&p.arn, &doc("v7:*"), true, T0 + 70)
            .await
            .unwrap(),
        "v7"
    );
    assert_eq!(
        versions(&s.policy_versions(&p.arn).await.unwrap()),
        vec![
            ("v7", true),
            ("v6", false),
            ("v5", false),
            ("v4", false),
            ("v1", false)
        ]
    );

    assert_err!(
        s.create_policy_version("arn:aws:iam::111122223333:policy/nope", "{}", false, T0)
            .await,
        StoreError::NotFound
    );
    assert!(
        s.policy_versions("arn:aws:iam::111122223333:policy/nope")
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn policy_versions_list_newest_first_past_v9(db: Db) {
    let s = &db.store;
    let p = policy("Churn");
    s.create_managed_policy(&p, &doc("v1")).await.unwrap();
    // Every version is created in the same second, as a script does; v1 stays the default.
    let create = async |n: usize| {
        for _ in 0..n {
            s.create_policy_version(&p.arn, "{}", false, T0)
                .await
                .unwrap();
        }
    };
    create(4).await; // v2..v5
    for v in ["v2", "v3", "v4"] {
        s.delete_policy_version(&p.arn, v).await.unwrap();
    }
    create(3).await; // v6..v8
    for v in ["v5", "v6", "v7"] {
        s.delete_policy_version(&p.arn, v).await.unwrap();
    }
    create(3).await; // v9..v11
    assert_eq!(
        versions(&s.policy_versions(&p.arn).await.unwrap()),
        vec![
            ("v11", false),
            ("v10", false),
            ("v9", false),
            ("v8", false),
            ("v1", true)
        ]
    );
}

pub(crate) async fn managed_policy_names_are_unique_per_account(db: Db) {
    let s = &db.store;
    let admin = policy("Admin");
    s.create_managed_policy(&admin, &doc("*")).await.unwrap();

    // Same name in another case and path: the name is what must be unique.
    let shadow = policy_in(ACCOUNT, "ADMIN", "/elsewhere/");
    assert_err!(
        s.create_managed_policy(&shadow, &doc("s3:*")).await,
        StoreError::AlreadyExists
    );
    // Same ARN, same id.
    let mut same_id = policy("Other");
    same_id.id.clone_from(&admin.id);
    assert_err!(
        s.create_managed_policy(&same_id, &doc("s3:*")).await,
        StoreError::AlreadyExists
    );
    let mut same_arn = policy("Admin2");
    same_arn.arn.clone_from(&admin.arn);
    assert_err!(
        s.create_managed_policy(&same_arn, &doc("s3:*")).await,
        StoreError::AlreadyExists
    );
    // The refusals stored nothing, and the first policy keeps its only version.
    for arn in [&shadow.arn, &same_id.arn] {
        assert_eq!(s.get_managed_policy(arn).await.unwrap(), None);
        assert!(s.policy_versions(arn).await.unwrap().is_empty());
    }
    let listed = s.policy_versions(&admin.arn).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].document, doc("*"));
    assert_eq!(s.policy_counts(ACCOUNT).await.unwrap(), (1, 0));

    // Another account may use the name.
    s.create_managed_policy(&policy_in(OTHER_ACCOUNT, "admin", "/"), &doc("*"))
        .await
        .unwrap();
    assert_eq!(s.policy_counts(OTHER_ACCOUNT).await.unwrap(), (1, 0));
}

pub(crate) async fn attachments_and_usage_counts(db: Db) {
    let s = &db.store;
    let u = user("u");
    let g = group("g");
    let r = role("r");
    s.create_entity(EntityKind::User, &u).await.unwrap();
    s.create_entity(EntityKind::Group, &g).await.unwrap();
    s.create_role(&r).await.unwrap();
    let alpha = policy("Alpha");
    let beta = policy_in(ACCOUNT, "Beta", "/x/");
    let zed = policy("Zed");
    for p in [&zed, &alpha, &beta] {
        s.create_managed_policy(p, &doc(&p.name)).await.unwrap();
    }

    s.attach_policy(ACCOUNT, EntityKind::User, "U", &alpha.arn)
        .await
        .unwrap();
    s.attach_policy(ACCOUNT, EntityKind::Group, "g", &alpha.arn)
        .await
        .unwrap();
    s.attach_policy(ACCOUNT, EntityKind::Role, "R", &alpha.arn)
        .await
        .unwrap();
    // Attaching again is not an error and counts once.
    s.attach_policy(ACCOUNT, EntityKind::User, "u", &alpha.arn)
        .await
        .unwrap();
    s.attach_policy(ACCOUNT, EntityKind::User, "u", &zed.arn)
        .await
        .unwrap();
    s.attach_policy(ACCOUNT, EntityKind::User, "u", &beta.arn)
        .await
        .unwrap();

    assert_eq!(
        s.attached_policies(ACCOUNT, EntityKind::User, "U")
            .await
            .unwrap(),
        vec![
            ("Alpha".to_owned(), alpha.arn.clone(), "/".to_owned()),
            ("Beta".to_owned(), beta.arn.clone(), "/x/".to_owned()),
            ("Zed".to_owned(), zed.arn.clone(), "/".to_owned()),
        ]
    );
    assert_eq!(
        s.attached_policies(ACCOUNT, EntityKind::Group, "G")
            .await
            .unwrap(),
        vec![("Alpha".to_owned(), alpha.arn.clone(), "/".to_owned())]
    );
    assert_eq!(
        s.get_managed_policy(&alpha.arn)
            .await
            .unwrap()
            .unwrap()
            .attachment_count,
        3
    );
    assert_eq!(
        s.get_managed_policy(&zed.arn)
            .await
            .unwrap()
            .unwrap()
            .attachment_count,
        1
    );
    assert_eq!(
        s.entities_for_policy(ACCOUNT, &alpha.arn).await.unwrap(),
        vec![
            ("user".to_owned(), "u".to_owned(), u.id.clone()),
            ("group".to_owned(), "g".to_owned(), g.id.clone()),
            ("role".to_owned(), "r".to_owned(), r.entity.id.clone()),
        ]
    );
    assert!(
        s.entities_for_policy(OTHER_ACCOUNT, &alpha.arn)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.policy_counts(ACCOUNT).await.unwrap(), (3, 3));

    s.detach_policy(ACCOUNT, EntityKind::Group, "G", &alpha.arn)
        .await
        .unwrap();
    assert_err!(
        s.detach_policy(ACCOUNT, EntityKind::Group, "g", &alpha.arn)
            .await,
        StoreError::NotFound
    );
    // The kind is part of the owner: a role named u has nothing attached.
    assert_err!(
        s.detach_policy(ACCOUNT, EntityKind::Role, "u", &zed.arn)
            .await,
        StoreError::NotFound
    );
    assert!(
        s.attached_policies(ACCOUNT, EntityKind::Group, "g")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.get_managed_policy(&alpha.arn)
            .await
            .unwrap()
            .unwrap()
            .attachment_count,
        2
    );
    let who: Vec<String> = s
        .entities_for_policy(ACCOUNT, &alpha.arn)
        .await
        .unwrap()
        .into_iter()
        .map(|(kind, name, _)| format!("{kind}:{name}"))
        .collect();
    assert_eq!(who, vec!["user:u", "role:r"]);
}

pub(crate) async fn attachment_limit(db: Db) {
    let s = &db.store;
    s.create_role(&role("busy")).await.unwrap();
    s.create_entity(EntityKind::User, &user("busy"))
        .await
        .unwrap();
    assert_eq!(MAX_ATTACHED_POLICIES, 10);
    let mut arns = Vec::new();
    for i in 0..=10 {
        let p = policy(&format!("P{i:02}"));
        s.create_managed_policy(&p, &doc("s3:*")).await.unwrap();
        arns.push(p.arn);
    }
    for arn in &arns[..10] {
        s.attach_policy(ACCOUNT, EntityKind::Role, "busy", arn)
            .await
            .unwrap();
    }
    assert_err!(
        s.attach_policy(ACCOUNT, EntityKind::Role, "busy", &arns[10])
            .await,
        StoreError::LimitExceeded
    );
    // Re-attaching one already there is still fine at the limit.
    s.attach_policy(ACCOUNT, EntityKind::Role, "BUSY", &arns[3])
        .await
        .unwrap();
    let attached = s
        .attached_policies(ACCOUNT, EntityKind::Role, "busy")
        .await
        .unwrap();
    assert_eq!(attached.len(), 10);
    assert!(attached.iter().all(|(_, arn, _)| *arn != arns[10]));
    assert_eq!(
        s.get_managed_policy(&arns[10])
            .await
            .unwrap()
            .unwrap()
            .attachment_count,
        0
    );
    // The limit is per owner.
    s.attach_policy(ACCOUNT, EntityKind::User, "busy", &arns[10])
        .await
        .unwrap();
}

pub(crate) async fn delete_managed_policy_checks_dependents(db: Db) {
    let s = &db.store;
    let p = policy("Temp");
    s.create_managed_policy(&p, &doc("s3:*")).await.unwrap();
    s.tag(
        ACCOUNT,
        "policy",
        &p.arn,
        &[Tag {
            key: "owner".into(),
            value: "ops".into(),
        }],
    )
    .await
    .unwrap();
    s.create_role(&role("r")).await.unwrap();
    s.attach_policy(ACCOUNT, EntityKind::Role, "r", &p.arn)
        .await
        .unwrap();

    assert_err!(
        s.delete_managed_policy(&p.arn).await,
        StoreError::Conflict(Conflict::PolicyAttached)
    );
    s.detach_policy(ACCOUNT, EntityKind::Role, "r", &p.arn)
        .await
        .unwrap();
    s.create_policy_version(&p.arn, &doc("ec2:*"), false, T0 + 1)
        .await
        .unwrap();
    assert_err!(
        s.delete_managed_policy(&p.arn).await,
        StoreError::Conflict(Conflict::PolicyVersions)
    );
    // Every refusal left the policy, its versions and its tags alone.
    assert_eq!(s.policy_versions(&p.arn).await.unwrap().len(), 2);
    assert_eq!(s.tags(ACCOUNT, "policy", &p.arn).await.unwrap().len(), 1);
    s.delete_policy_version(&p.arn, "v2").await.unwrap();

    s.delete_managed_policy(&p.arn).await.unwrap();
    assert_eq!(s.get_managed_policy(&p.arn).await.unwrap(), None);
    assert!(s.policy_versions(&p.arn).await.unwrap().is_empty());
    assert!(s.tags(ACCOUNT, "policy", &p.arn).await.unwrap().is_empty());
    assert!(
        s.default_documents(std::slice::from_ref(&p.arn))
            .await
            .unwrap()
            .is_empty()
    );
    assert_err!(
        s.delete_managed_policy(&p.arn).await,
        StoreError::PolicyNotFound
    );
    assert_eq!(s.policy_counts(ACCOUNT).await.unwrap(), (0, 0));

    // The name is free again, and the new policy starts from v1 with no tags.
    let again = policy("Temp");
    s.create_managed_policy(&again, &doc("iam:*"))
        .await
        .unwrap();
    assert_eq!(
        versions(&s.policy_versions(&again.arn).await.unwrap()),
        vec![("v1", true)]
    );
    assert!(
        s.tags(ACCOUNT, "policy", &again.arn)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.create_policy_version(&again.arn, "{}", false, T0)
            .await
            .unwrap(),
        "v2"
    );
}

pub(crate) async fn aws_managed_policies_and_scopes(db: Db) {
    let s = &db.store;
    let read_only = aws_policy("ReadOnlyAccess");
    let admin = aws_policy("AdministratorAccess");
    s.upsert_aws_policy(&read_only, &doc("*:Get*"))
        .await
        .unwrap();
    s.upsert_aws_policy(&admin, &doc("*")).await.unwrap();
    // A new release of the server refreshes the text in place.
    s.upsert_aws_policy(&read_only, &doc("*:Describe*"))
        .await
        .unwrap();
    let got = s.get_managed_policy(&read_only.arn).await.unwrap().unwrap();
    assert_eq!(got, read_only);
    assert_eq!(
        s.policy_versions(&read_only.arn).await.unwrap(),
        vec![PolicyVersion {
            version_id: "v1".into(),
            document: doc("*:Describe*"),
            created_at: T0,
            is_default: true,
        }]
    );

    let mine = policy("Mine");
    s.create_managed_policy(&mine, &doc("s3:*")).await.unwrap();
    s.create_managed_policy(&policy_in(OTHER_ACCOUNT, "Theirs", "/"), &doc("s3:*"))
        .await
        .unwrap();

    let mut docs = s.aws_policy_documents().await.unwrap();
    docs.sort();
    assert_eq!(
        docs,
        vec![
            (admin.arn.clone(), doc("*")),
            (read_only.arn.clone(), doc("*:Describe*")),
        ]
    );

    let arns = |scope, only_attached| async move {
        s.list_managed_policies(ACCOUNT, scope, only_attached, "/", None, 100)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|p| p.arn)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        arns(PolicyScope::All, false).await,
        vec![mine.arn.clone(), admin.arn.clone(), read_only.arn.clone()]
    );
    assert_eq!(
        arns(PolicyScope::Aws, false).await,
        vec![admin.arn.clone(), read_only.arn.clone()]
    );
    assert_eq!(
        arns(PolicyScope::Local, false).await,
        vec![mine.arn.clone()]
    );

    // Only attached: attachments in this account count, not another account's.
    s.create_entity(EntityKind::User, &user("u")).await.unwrap();
    s.attach_policy(ACCOUNT, EntityKind::User, "u", &read_only.arn)
        .await
        .unwrap();
    s.create_entity(
        EntityKind::User,
        &entity(EntityKind::User, OTHER_ACCOUNT, "u", "/"),
    )
    .await
    .unwrap();
    s.attach_policy(OTHER_ACCOUNT, EntityKind::User, "u", &admin.arn)
        .await
        .unwrap();
    assert_eq!(
        arns(PolicyScope::All, true).await,
        vec![read_only.arn.clone()]
    );
    assert_eq!(
        arns(PolicyScope::Aws, true).await,
        vec![read_only.arn.clone()]
    );
    assert!(arns(PolicyScope::Local, true).await.is_empty());
    // The usage count is global, as AWS reports it for AWS managed policies.
    assert_eq!(
        s.get_managed_policy(&admin.arn)
            .await
            .unwrap()
            .unwrap()
            .attachment_count,
        1
    );
    assert_eq!(s.policy_counts(ACCOUNT).await.unwrap(), (1, 1));
}

/// Attachments made at once count in turn: of two that would each be the tenth, one is
/// refused (the owner's row is locked on PostgreSQL; SQLite writes one at a time).
pub(crate) async fn concurrent_attachments_stop_at_the_limit(db: Db) {
    let s = &db.store;
    s.create_role(&role("busy")).await.unwrap();
    let mut arns = Vec::new();
    for i in 0..11 {
        let p = policy(&format!("C{i:02}"));
        s.create_managed_policy(&p, &doc("s3:*")).await.unwrap();
        arns.push(p.arn);
    }
    for arn in &arns[..9] {
        s.attach_policy(ACCOUNT, EntityKind::Role, "busy", arn)
            .await
            .unwrap();
    }
    let (a, b) = tokio::join!(
        s.attach_policy(ACCOUNT, EntityKind::Role, "busy", &arns[9]),
        s.attach_policy(ACCOUNT, EntityKind::Role, "busy", &arns[10]),
    );
    assert!(
        matches!(
            (&a, &b),
            (Ok(()), Err(StoreError::LimitExceeded)) | (Err(StoreError::LimitExceeded), Ok(()))
        ),
        "{a:?} {b:?}"
    );
    assert_eq!(
        s.attached_policies(ACCOUNT, EntityKind::Role, "busy")
            .await
            .unwrap()
            .len(),
        usize::try_from(MAX_ATTACHED_POLICIES).unwrap()
    );
}
