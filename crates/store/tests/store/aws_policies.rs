//! Stored copies of AWS managed policies (written whole, replaced when AWS's version changes,
//! attachments kept) and each account's use of managed policies.

use rolecall_store::{EntityKind, PolicyUsage, PolicyVersion, StoreError, StoredStamp};

use crate::harness::{
    ACCOUNT, Db, OTHER_ACCOUNT, T0, assert_err, aws_policy, doc, entity, group, policy, role, user,
};

pub(crate) async fn aws_policy_copies_are_replaced_whole_and_keep_their_attachments(db: Db) {
    let s = &db.store;
    let mut read_only = aws_policy("ReadOnlyAccess");
    assert_eq!(s.aws_policy_stamp(&read_only.arn).await.unwrap(), None);
    // A copy stored by an earlier release: `v1`, with a second version beside it.
    s.upsert_aws_policy(&read_only, &doc("iam:Get*"))
        .await
        .unwrap();
    s.create_policy_version(&read_only.arn, &doc("iam:List*"), false, T0 + 1)
        .await
        .unwrap();
    s.create_entity(EntityKind::User, &user("u")).await.unwrap();
    s.attach_policy(ACCOUNT, EntityKind::User, "u", &read_only.arn)
        .await
        .unwrap();
    assert_eq!(
        s.aws_policy_stamp(&read_only.arn).await.unwrap(),
        Some(StoredStamp {
            arn: read_only.arn.clone(),
            default_version: "v1".into(),
            updated_at: T0,
        })
    );

    // AWS's version as the server embeds it replaces the row and every version.
    read_only.default_version = "v178".into();
    read_only.id = "ANPAILL3HVNFSB6DCOWYQ".into();
    read_only.created_at = T0 - 100;
    read_only.updated_at = T0 + 50;
    s.put_aws_policy(&read_only, &doc("s3:Get*")).await.unwrap();
    let mut stored = s.get_managed_policy(&read_only.arn).await.unwrap().unwrap();
    assert_eq!(stored.attachment_count, 1);
    stored.attachment_count = 0;
    assert_eq!(stored, read_only);
    assert_eq!(
        s.policy_versions(&read_only.arn).await.unwrap(),
        vec![PolicyVersion {
            version_id: "v178".into(),
            document: doc("s3:Get*"),
            created_at: T0 + 50,
            is_default: true,
        }]
    );
    assert_eq!(
        s.attached_policies(ACCOUNT, EntityKind::User, "u")
            .await
            .unwrap(),
        vec![(
            "ReadOnlyAccess".to_owned(),
            read_only.arn.clone(),
            "/".to_owned()
        )]
    );
    // Writing the same again changes nothing; a new policy is created.
    s.put_aws_policy(&read_only, &doc("s3:Get*")).await.unwrap();
    let s3 = aws_policy("AmazonS3ReadOnlyAccess");
    s.put_aws_policy(&s3, &doc("s3:List*")).await.unwrap();
    assert_eq!(
        s.default_documents(&[read_only.arn.clone(), s3.arn.clone()])
            .await
            .unwrap(),
        vec![
            (read_only.arn.clone(), doc("s3:Get*")),
            (s3.arn.clone(), doc("s3:List*")),
        ]
    );
    let mut stamps = s.aws_policy_stamps().await.unwrap();
    stamps.sort_by(|a, b| a.arn.cmp(&b.arn));
    assert_eq!(
        stamps
            .iter()
            .map(|s| (s.arn.as_str(), s.default_version.as_str()))
            .collect::<Vec<_>>(),
        vec![(s3.arn.as_str(), "v1"), (read_only.arn.as_str(), "v178")]
    );

    // Only AWS's policies are written this way; a customer's are not found.
    let mine = policy("Mine");
    s.create_managed_policy(&mine, &doc("s3:*")).await.unwrap();
    assert_err!(
        s.put_aws_policy(&mine, &doc("iam:*")).await,
        StoreError::NotFound
    );
    assert_eq!(s.aws_policy_stamp(&mine.arn).await.unwrap(), None);
}

pub(crate) async fn policy_usage_counts_one_accounts_attachments_and_boundaries(db: Db) {
    let s = &db.store;
    let admin = aws_policy("AdministratorAccess");
    let mine = policy("Mine");
    s.put_aws_policy(&admin, &doc("*")).await.unwrap();
    s.create_managed_policy(&mine, &doc("s3:*")).await.unwrap();
    s.create_entity(EntityKind::User, &user("u")).await.unwrap();
    s.create_entity(EntityKind::Group, &group("g"))
        .await
        .unwrap();
    s.create_role(&role("r")).await.unwrap();
    let theirs = entity(EntityKind::User, OTHER_ACCOUNT, "u", "/");
    s.create_entity(EntityKind::User, &theirs).await.unwrap();
    for (kind, name) in [(EntityKind::User, "u"), (EntityKind::Group, "g")] {
        s.attach_policy(ACCOUNT, kind, name, &admin.arn)
            .await
            .unwrap();
    }
    s.attach_policy(ACCOUNT, EntityKind::Role, "r", &mine.arn)
        .await
        .unwrap();
    s.set_boundary(EntityKind::User, ACCOUNT, "u", Some(&mine.arn))
        .await
        .unwrap();
    s.set_boundary(EntityKind::Role, ACCOUNT, "r", Some(&admin.arn))
        .await
        .unwrap();
    // Another account's use is its own.
    s.attach_policy(OTHER_ACCOUNT, EntityKind::User, "u", &admin.arn)
        .await
        .unwrap();
    s.set_boundary(EntityKind::User, OTHER_ACCOUNT, "u", Some(&admin.arn))
        .await
        .unwrap();

    let usage = s.policy_usage(ACCOUNT).await.unwrap();
    assert_eq!(
        usage.into_iter().collect::<Vec<_>>(),
        vec![
            (
                mine.arn.clone(),
                PolicyUsage {
                    attachments: 1,
                    boundaries: 1
                }
            ),
            (
                admin.arn.clone(),
                PolicyUsage {
                    attachments: 2,
                    boundaries: 1
                }
            ),
        ]
    );
    let theirs = s.policy_usage(OTHER_ACCOUNT).await.unwrap();
    assert_eq!(
        theirs.get(&admin.arn),
        Some(&PolicyUsage {
            attachments: 1,
            boundaries: 1
        })
    );
    assert!(s.policy_usage("999999999999").await.unwrap().is_empty());
}
