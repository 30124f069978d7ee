//! Accounts, their aliases, and the server's token-sealing keys.

use rolecall_store::{ServerKey, StoreError};

use crate::harness::{ACCOUNT, Db, OTHER_ACCOUNT, T0, assert_err};

pub(crate) async fn accounts_are_created_once_and_listed_in_order(db: Db) {
    let s = &db.store;
    assert_eq!(s.list_accounts().await.unwrap(), Vec::<String>::new());
    assert!(!s.account_exists(ACCOUNT).await.unwrap());

    assert!(s.ensure_account(OTHER_ACCOUNT, T0).await.unwrap());
    assert!(!s.ensure_account(OTHER_ACCOUNT, T0 + 1).await.unwrap());
    assert!(s.ensure_account(ACCOUNT, T0 + 2).await.unwrap());
    assert!(!s.ensure_account(ACCOUNT, T0 + 3).await.unwrap());

    assert_eq!(
        s.list_accounts().await.unwrap(),
        vec![ACCOUNT.to_owned(), OTHER_ACCOUNT.to_owned()]
    );
    assert!(s.account_exists(ACCOUNT).await.unwrap());
    assert!(s.account_exists(OTHER_ACCOUNT).await.unwrap());
    assert!(!s.account_exists("999999999999").await.unwrap());
}

pub(crate) async fn account_alias_roundtrip_and_uniqueness(db: Db) {
    let s = &db.store;
    s.ensure_account(ACCOUNT, T0).await.unwrap();
    s.ensure_account(OTHER_ACCOUNT, T0).await.unwrap();
    assert_eq!(s.account_alias(ACCOUNT).await.unwrap(), None);
    assert_eq!(s.account_alias("999999999999").await.unwrap(), None);
    assert_eq!(s.account_by_alias("example-corp").await.unwrap(), None);

    s.set_account_alias(ACCOUNT, Some("example-corp"))
        .await
        .unwrap();
    assert_eq!(
        s.account_alias(ACCOUNT).await.unwrap().as_deref(),
        Some("example-corp")
    );
    assert_eq!(
        s.account_by_alias("example-corp").await.unwrap().as_deref(),
        Some(ACCOUNT)
    );
    // Setting the same alias again is not a conflict with itself.
    s.set_account_alias(ACCOUNT, Some("example-corp"))
        .await
        .unwrap();

    // Aliases are unique across accounts; the refusal changes nothing.
    assert_err!(
        s.set_account_alias(OTHER_ACCOUNT, Some("example-corp"))
            .await,
        StoreError::AlreadyExists
    );
    assert_eq!(s.account_alias(OTHER_ACCOUNT).await.unwrap(), None);
    assert_eq!(
        s.account_by_alias("example-corp").await.unwrap().as_deref(),
        Some(ACCOUNT)
    );

    // An unknown account has nothing to update.
    assert_err!(
        s.set_account_alias("999999999999", Some("nobody")).await,
        StoreError::NotFound
    );
    assert_eq!(s.account_by_alias("nobody").await.unwrap(), None);

    // A new alias frees the old one for another account.
    s.set_account_alias(ACCOUNT, Some("renamed")).await.unwrap();
    assert_eq!(s.account_by_alias("example-corp").await.unwrap(), None);
    s.set_account_alias(OTHER_ACCOUNT, Some("example-corp"))
        .await
        .unwrap();
    assert_eq!(
        s.account_by_alias("example-corp").await.unwrap().as_deref(),
        Some(OTHER_ACCOUNT)
    );

    // Clearing.
    s.set_account_alias(ACCOUNT, None).await.unwrap();
    assert_eq!(s.account_alias(ACCOUNT).await.unwrap(), None);
    assert_eq!(s.account_by_alias("renamed").await.unwrap(), None);
    assert_eq!(
        s.account_alias(OTHER_ACCOUNT).await.unwrap().as_deref(),
        Some("example-corp")
    );
}

pub(crate) async fn server_keys_are_added_once_and_listed_in_order(db: Db) {
    let s = &db.store;
    assert!(s.server_keys().await.unwrap().is_empty());
    let key = |key_id: i64, wrapped: &str| ServerKey {
        key_id,
        wrapped_key: wrapped.to_owned(),
    };
    assert!(s.add_server_key(&key(2, "wrapped-two"), T0).await.unwrap());
    assert!(s.add_server_key(&key(1, "wrapped-one"), T0).await.unwrap());
    // Another process got there first: its key stands.
    assert!(
        !s.add_server_key(&key(1, "a-different-key"), T0)
            .await
            .unwrap()
    );

    let keys = s.server_keys().await.unwrap();
    let got: Vec<(i64, &str)> = keys
        .iter()
        .map(|k| (k.key_id, k.wrapped_key.as_str()))
        .collect();
    assert_eq!(got, vec![(1, "wrapped-one"), (2, "wrapped-two")]);
    // Debug never shows the wrapped key.
    assert!(!format!("{keys:?}").contains("wrapped-"));
}
