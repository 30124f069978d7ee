//! Access keys: sealed secrets kept exactly as given, the two-key limit, ownership checks,
//! status and last use, and the account root's keys.

use rolecall_store::{EntityKind, MAX_ACCESS_KEYS_PER_USER, StoreError};

use crate::harness::{ACCOUNT, Db, OTHER_ACCOUNT, T0, access_key, assert_err, user};

/// Sealed text as the server produces it, plus every character that could be mangled on the
/// way in or out: quotes, a backslash, a NUL-free control character, non-ASCII, SQL syntax.
const SEALED: &str =
    "rc1.x2c.AbC+/=dEf_-.\u{7f}'\"\\;--DROP TABLE access_keys;\tnewline\nünïcødé🔑";

pub(crate) async fn access_key_keeps_sealed_secret_verbatim(db: Db) {
    let s = &db.store;
    s.create_entity(EntityKind::User, &user("Alice"))
        .await
        .unwrap();
    let key = access_key("AKIAALICE0000000001", Some("Alice"), SEALED, T0);
    s.create_access_key(&key).await.unwrap();

    let got = s
        .get_access_key("AKIAALICE0000000001")
        .await
        .unwrap()
        .expect("the key was stored");
    assert_eq!(got, key);
    assert_eq!(got.secret_sealed, SEALED);
    assert_eq!(got.user_lower.as_deref(), Some("alice"));
    assert_eq!(got.status, "Active");
    assert_eq!(
        (
            got.last_used_at,
            got.last_used_service.as_deref(),
            got.last_used_region.as_deref()
        ),
        (None, None, None)
    );
    // Debug never shows the sealed secret.
    let shown = format!("{got:?}");
    assert!(shown.contains("AKIAALICE0000000001"));
    assert!(!shown.contains("rc1.x2c"));

    assert_eq!(
        s.list_access_keys(ACCOUNT, Some("ALICE")).await.unwrap(),
        vec![key]
    );
    assert_eq!(s.get_access_key("AKIANOSUCHKEY").await.unwrap(), None);
}

pub(crate) async fn access_keys_limit_order_and_ownership(db: Db) {
    let s = &db.store;
    s.create_entity(EntityKind::User, &user("bob"))
        .await
        .unwrap();
    s.create_entity(EntityKind::User, &user("carol"))
        .await
        .unwrap();

    // Listed by creation time, then id.
    let newer = access_key("AKIAAAAAAAAAAAAAAAA1", Some("bob"), "s-newer", T0 + 10);
    let older = access_key("AKIAZZZZZZZZZZZZZZZ1", Some("bob"), "s-older", T0);
    s.create_access_key(&newer).await.unwrap();
    s.create_access_key(&older).await.unwrap();
    assert_eq!(
        s.list_access_keys(ACCOUNT, Some("Bob")).await.unwrap(),
        vec![older.clone(), newer.clone()]
    );

    // A third key is refused and nothing is stored.
    assert_eq!(MAX_ACCESS_KEYS_PER_USER, 2);
    let third = access_key("AKIATHIRD0000000001", Some("bob"), "s-third", T0 + 20);
    assert_err!(s.create_access_key(&third).await, StoreError::LimitExceeded);
    assert_eq!(s.get_access_key(&third.access_key_id).await.unwrap(), None);
    assert_eq!(
        s.list_access_keys(ACCOUNT, Some("bob"))
            .await
            .unwrap()
            .len(),
        2
    );

    // A user that does not exist gets no key.
    let orphan = access_key("AKIAORPHAN000000001", Some("nobody"), "s", T0);
    assert_err!(s.create_access_key(&orphan).await, StoreError::NotFound);
    assert_eq!(s.get_access_key(&orphan.access_key_id).await.unwrap(), None);

    // Key ids are unique across users.
    let stolen = access_key(&older.access_key_id, Some("carol"), "s-carol", T0);
    assert_err!(
        s.create_access_key(&stolen).await,
        StoreError::AlreadyExists
    );
    assert!(
        s.list_access_keys(ACCOUNT, Some("carol"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.get_access_key(&older.access_key_id)
            .await
            .unwrap()
            .unwrap()
            .secret_sealed,
        "s-older"
    );

    // Ties on the creation time fall back to the id.
    let b = access_key("AKIATIEB", Some("carol"), "b", T0);
    let a = access_key("AKIATIEA", Some("carol"), "a", T0);
    s.create_access_key(&b).await.unwrap();
    s.create_access_key(&a).await.unwrap();
    let ids: Vec<String> = s
        .list_access_keys(ACCOUNT, Some("carol"))
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.access_key_id)
        .collect();
    assert_eq!(ids, vec!["AKIATIEA", "AKIATIEB"]);

    // Another account's user of the same name has no keys.
    assert!(
        s.list_access_keys(OTHER_ACCOUNT, Some("bob"))
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn access_key_status_use_and_deletion(db: Db) {
    let s = &db.store;
    s.create_entity(EntityKind::User, &user("Erin"))
        .await
        .unwrap();
    s.create_entity(EntityKind::User, &user("Frank"))
        .await
        .unwrap();
    let key = access_key("AKIAERIN", Some("Erin"), "sealed", T0);
    s.create_access_key(&key).await.unwrap();

    s.update_access_key_status(ACCOUNT, Some("ERIN"), "AKIAERIN", "Inactive")
        .await
        .unwrap();
    assert_eq!(
        s.get_access_key("AKIAERIN").await.unwrap().unwrap().status,
        "Inactive"
    );
    // Only the owner's name (in its account) reaches the key.
    assert_err!(
        s.update_access_key_status(ACCOUNT, Some("Frank"), "AKIAERIN", "Active")
            .await,
        StoreError::NotFound
    );
    assert_err!(
        s.update_access_key_status(OTHER_ACCOUNT, Some("Erin"), "AKIAERIN", "Active")
            .await,
        StoreError::NotFound
    );
    assert_err!(
        s.update_access_key_status(ACCOUNT, None, "AKIAERIN", "Active")
            .await,
        StoreError::NotFound
    );
    assert_eq!(
        s.get_access_key("AKIAERIN").await.unwrap().unwrap().status,
        "Inactive"
    );

    s.touch_access_key("AKIAERIN", T0 + 99, "sts", "eu-west-1")
        .await
        .unwrap();
    let got = s.get_access_key("AKIAERIN").await.unwrap().unwrap();
    assert_eq!(got.last_used_at, Some(T0 + 99));
    assert_eq!(got.last_used_service.as_deref(), Some("sts"));
    assert_eq!(got.last_used_region.as_deref(), Some("eu-west-1"));
    assert_eq!(got.secret_sealed, "sealed");
    assert_eq!(got.created_at, T0);

    assert_err!(
        s.delete_access_key(ACCOUNT, Some("Frank"), "AKIAERIN")
            .await,
        StoreError::NotFound
    );
    assert!(s.get_access_key("AKIAERIN").await.unwrap().is_some());
    s.delete_access_key(ACCOUNT, Some("erin"), "AKIAERIN")
        .await
        .unwrap();
    assert_eq!(s.get_access_key("AKIAERIN").await.unwrap(), None);
    assert_err!(
        s.delete_access_key(ACCOUNT, Some("Erin"), "AKIAERIN").await,
        StoreError::NotFound
    );
    assert!(
        s.list_access_keys(ACCOUNT, Some("Erin"))
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn root_access_keys(db: Db) {
    let s = &db.store;
    s.ensure_account(ACCOUNT, T0).await.unwrap();
    s.create_entity(EntityKind::User, &user("someone"))
        .await
        .unwrap();
    s.create_access_key(&access_key("AKIAUSER", Some("someone"), "u", T0))
        .await
        .unwrap();

    let root = access_key("AKIAROOT1", None, "root-sealed", T0);
    s.create_access_key(&root).await.unwrap();
    let got = s.get_access_key("AKIAROOT1").await.unwrap().unwrap();
    assert_eq!(got, root);
    assert_eq!(got.user_lower, None);

    // The root's keys are its own listing, apart from any user's.
    assert_eq!(s.list_access_keys(ACCOUNT, None).await.unwrap(), vec![root]);
    assert_eq!(
        s.list_access_keys(ACCOUNT, Some("someone"))
            .await
            .unwrap()
            .len(),
        1
    );

    s.create_access_key(&access_key("AKIAROOT2", None, "r2", T0 + 1))
        .await
        .unwrap();
    assert_err!(
        s.create_access_key(&access_key("AKIAROOT3", None, "r3", T0 + 2))
            .await,
        StoreError::LimitExceeded
    );

    s.update_access_key_status(ACCOUNT, None, "AKIAROOT1", "Inactive")
        .await
        .unwrap();
    assert_err!(
        s.update_access_key_status(ACCOUNT, Some("someone"), "AKIAROOT1", "Active")
            .await,
        StoreError::NotFound
    );
    s.delete_access_key(ACCOUNT, None, "AKIAROOT1")
        .await
        .unwrap();
    let left: Vec<String> = s
        .list_access_keys(ACCOUNT, None)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.access_key_id)
        .collect();
    assert_eq!(left, vec!["AKIAROOT2"]);
}

pub(crate) async fn concurrent_key_creation_respects_the_limit(db: Db) {
    let s = &db.store;
    s.create_entity(EntityKind::User, &user("racer"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = s.clone();
            tokio::spawn(async move {
                store
                    .create_access_key(&access_key(
                        &format!("AKIARACE{i:012}"),
                        Some("racer"),
                        &format!("sealed-{i}"),
                        T0 + i,
                    ))
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => created += 1,
            Err(StoreError::LimitExceeded) => {}
            Err(e) => panic!("a concurrent creation failed: {e:?}"),
        }
    }
    assert_eq!(created, 2);
    let keys = s.list_access_keys(ACCOUNT, Some("racer")).await.unwrap();
    assert_eq!(keys.len(), 2);
    for k in keys {
        let i = k.access_key_id.trim_start_matches("AKIARACE");
        assert_eq!(
            k.secret_sealed,
            format!("sealed-{}", i.parse::<i64>().unwrap())
        );
    }
}
