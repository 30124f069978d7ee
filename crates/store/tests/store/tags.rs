//! Tags: case-insensitive keys, replacement, removal, the fifty-tag limit.

use rolecall_store::{EntityKind, MAX_TAGS, StoreError, Tag};

use crate::harness::{
    ACCOUNT, Db, OTHER_ACCOUNT, T0, access_key, assert_err, doc, entity, mfa_device, policy,
};

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

pub(crate) async fn tags_roundtrip(db: Db) {
    let s = &db.store;
    assert!(s.tags(ACCOUNT, "user", "Alice").await.unwrap().is_empty());
    s.tag(
        ACCOUNT,
        "user",
        "Alice",
        &[
            tag("Team", "core"),
            tag("env", "prod"),
            tag("cost-centre", ""),
        ],
    )
    .await
    .unwrap();
    // Sorted by key, case-insensitively; the owner is found in any case.
    assert_eq!(
        s.tags(ACCOUNT, "user", "ALICE").await.unwrap(),
        vec![
            tag("cost-centre", ""),
            tag("env", "prod"),
            tag("Team", "core")
        ]
    );

    // A key in another case replaces the tag, key spelling included.
    s.tag(ACCOUNT, "user", "alice", &[tag("ENV", "dev")])
        .await
        .unwrap();
    assert_eq!(
        s.tags(ACCOUNT, "user", "Alice").await.unwrap(),
        vec![
            tag("cost-centre", ""),
            tag("ENV", "dev"),
            tag("Team", "core")
        ]
    );
    // Within one call the last of two spellings wins.
    s.tag(
        ACCOUNT,
        "user",
        "Alice",
        &[tag("team", "a"), tag("TEAM", "b")],
    )
    .await
    .unwrap();
    assert_eq!(
        s.tags(ACCOUNT, "user", "Alice").await.unwrap(),
        vec![tag("cost-centre", ""), tag("ENV", "dev"), tag("TEAM", "b")]
    );

    // Owners are told apart by kind and account.
    assert!(s.tags(ACCOUNT, "role", "Alice").await.unwrap().is_empty());
    assert!(
        s.tags(OTHER_ACCOUNT, "user", "Alice")
            .await
            .unwrap()
            .is_empty()
    );
    s.tag(ACCOUNT, "role", "Alice", &[tag("kind", "role")])
        .await
        .unwrap();

    // Removal by key in any case; unknown keys are ignored.
    s.untag(
        ACCOUNT,
        "user",
        "ALICE",
        &[
            "team".to_owned(),
            "no-such-key".to_owned(),
            "Cost-Centre".to_owned(),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        s.tags(ACCOUNT, "user", "Alice").await.unwrap(),
        vec![tag("ENV", "dev")]
    );
    s.untag(ACCOUNT, "user", "Alice", &[]).await.unwrap();
    s.untag(ACCOUNT, "user", "Alice", &["env".to_owned()])
        .await
        .unwrap();
    assert!(s.tags(ACCOUNT, "user", "Alice").await.unwrap().is_empty());
    assert_eq!(
        s.tags(ACCOUNT, "role", "alice").await.unwrap(),
        vec![tag("kind", "role")]
    );
}

pub(crate) async fn tag_limit_refusal_rolls_back_the_whole_batch(db: Db) {
    let s = &db.store;
    assert_eq!(MAX_TAGS, 50);
    let first: Vec<Tag> = (0..49)
        .map(|i| tag(&format!("k{i:02}"), &format!("v{i}")))
        .collect();
    s.tag(ACCOUNT, "role", "r", &first).await.unwrap();
    let before = s.tags(ACCOUNT, "role", "r").await.unwrap();
    assert_eq!(before, first);

    // A replacement and two new keys would make 51: nothing of the batch stays, not even the
    // replacement that ran before the count was checked.
    assert_err!(
        s.tag(
            ACCOUNT,
            "role",
            "r",
            &[tag("K00", "replaced"), tag("new1", "x"), tag("new2", "y")],
        )
        .await,
        StoreError::LimitExceeded
    );
    assert_eq!(s.tags(ACCOUNT, "role", "r").await.unwrap(), before);

    // Fifty is allowed; a replacement at fifty is allowed; the fifty-first is not.
    s.tag(ACCOUNT, "role", "r", &[tag("k49", "v49")])
        .await
        .unwrap();
    s.tag(ACCOUNT, "role", "r", &[tag("K00", "replaced")])
        .await
        .unwrap();
    let at_limit = s.tags(ACCOUNT, "role", "r").await.unwrap();
    assert_eq!(at_limit.len(), 50);
    assert_eq!(at_limit[0], tag("K00", "replaced"));
    assert_err!(
        s.tag(ACCOUNT, "role", "r", &[tag("one-more", "x")]).await,
        StoreError::LimitExceeded
    );
    assert_eq!(s.tags(ACCOUNT, "role", "r").await.unwrap(), at_limit);

    // Another owner has its own fifty.
    s.tag(ACCOUNT, "role", "other", &[tag("one-more", "x")])
        .await
        .unwrap();
}

/// Instance profiles, managed policies and virtual MFA devices keep tags under their own
/// keys, and lose them with the resource: a new resource under the same name starts bare.
pub(crate) async fn resource_tags_go_with_their_resource(db: Db) {
    let s = &db.store;
    let profile = entity(EntityKind::InstanceProfile, ACCOUNT, "web", "/");
    s.create_entity(EntityKind::InstanceProfile, &profile)
        .await
        .unwrap();
    let managed = policy("tagged");
    s.create_managed_policy(&managed, &doc("iam:GetUser"))
        .await
        .unwrap();
    let device = mfa_device(ACCOUNT, "phone", "sealed");
    s.create_mfa_device(&device).await.unwrap();
    let owners = [
        ("instance-profile", profile.name.as_str()),
        ("policy", managed.arn.as_str()),
        ("mfa", device.serial.as_str()),
    ];
    for (kind, key) in owners {
        s.tag(ACCOUNT, kind, key, &[tag("team", kind)])
            .await
            .unwrap();
        assert_eq!(
            s.tags(ACCOUNT, kind, &key.to_uppercase()).await.unwrap(),
            vec![tag("team", kind)]
        );
    }
    s.delete_entity(EntityKind::InstanceProfile, ACCOUNT, "web")
        .await
        .unwrap();
    s.delete_managed_policy(&managed.arn).await.unwrap();
    s.delete_mfa_device(&device.serial).await.unwrap();
    s.create_entity(EntityKind::InstanceProfile, &profile)
        .await
        .unwrap();
    s.create_managed_policy(&managed, &doc("iam:GetUser"))
        .await
        .unwrap();
    s.create_mfa_device(&device).await.unwrap();
    for (kind, key) in owners {
        assert!(
            s.tags(ACCOUNT, kind, key).await.unwrap().is_empty(),
            "{kind} {key} kept its tags"
        );
    }
}

/// Writes counted per owner take turns: of two tag writes that would each be the fiftieth
/// tag, and of two root access keys that would each be the second, one is refused (the
/// account's row is locked on PostgreSQL; SQLite writes one at a time).
pub(crate) async fn concurrent_writes_stop_at_the_limits(db: Db) {
    let s = &db.store;
    s.ensure_account(ACCOUNT, T0).await.unwrap();
    let first: Vec<Tag> = (1..MAX_TAGS).map(|i| tag(&format!("k{i}"), "v")).collect();
    s.tag(ACCOUNT, "role", "r", &first).await.unwrap();
    let (x, y) = ([tag("x", "1")], [tag("y", "1")]);
    let (a, b) = tokio::join!(
        s.tag(ACCOUNT, "role", "r", &x),
        s.tag(ACCOUNT, "role", "r", &y),
    );
    assert!(
        matches!(
            (&a, &b),
            (Ok(()), Err(StoreError::LimitExceeded)) | (Err(StoreError::LimitExceeded), Ok(()))
        ),
        "{a:?} {b:?}"
    );
    assert_eq!(s.tags(ACCOUNT, "role", "r").await.unwrap().len(), MAX_TAGS);

    s.create_access_key(&access_key("AKIAROOT1", None, "sealed", T0))
        .await
        .unwrap();
    let (second, third) = (
        access_key("AKIAROOT2", None, "sealed", T0),
        access_key("AKIAROOT3", None, "sealed", T0),
    );
    let (a, b) = tokio::join!(s.create_access_key(&second), s.create_access_key(&third));
    assert!(
        matches!(
            (&a, &b),
            (Ok(()), Err(StoreError::LimitExceeded)) | (Err(StoreError::LimitExceeded), Ok(()))
        ),
        "{a:?} {b:?}"
    );
}
