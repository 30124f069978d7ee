//! Virtual MFA devices: sealed seeds kept as given, enabling and deactivating, single-use
//! TOTP steps, listings and deletion.

use rolecall_store::{Conflict, EntityKind, StoreError};

use crate::harness::{ACCOUNT, Db, OTHER_ACCOUNT, T0, assert_err, mfa_device, user};

const SEED: &str = "rc1.seal.JBSWY3DPEHPK3PXP+/==\u{e9}'\"\\";

pub(crate) async fn mfa_device_lifecycle(db: Db) {
    let s = &db.store;
    s.create_entity(EntityKind::User, &user("Alice"))
        .await
        .unwrap();
    let device = mfa_device(ACCOUNT, "alice-phone", SEED);
    s.create_mfa_device(&device).await.unwrap();
    assert_eq!(
        s.get_mfa_device(&device.serial).await.unwrap(),
        Some(device.clone())
    );
    let shown = format!("{device:?}");
    assert!(shown.contains("alice-phone"));
    assert!(!shown.contains("JBSWY3DP"), "Debug shows no seed");
    assert_err!(
        s.create_mfa_device(&mfa_device(ACCOUNT, "alice-phone", "other-seed"))
            .await,
        StoreError::AlreadyExists
    );
    assert_eq!(
        s.get_mfa_device(&device.serial)
            .await
            .unwrap()
            .unwrap()
            .seed_sealed,
        SEED
    );
    assert_eq!(
        s.get_mfa_device("arn:aws:iam::111122223333:mfa/none")
            .await
            .unwrap(),
        None
    );

    s.enable_mfa_device(&device.serial, "ALICE", T0 + 5, 1234)
        .await
        .unwrap();
    let enabled = s.get_mfa_device(&device.serial).await.unwrap().unwrap();
    assert_eq!(enabled.user_lower.as_deref(), Some("alice"));
    assert_eq!(enabled.enabled_at, Some(T0 + 5));
    assert_eq!(enabled.last_step, Some(1234));
    assert_eq!(enabled.seed_sealed, SEED);
    assert_eq!(enabled.created_at, T0);

    assert_err!(
        s.enable_mfa_device(&device.serial, "bob", T0 + 6, 1300)
            .await,
        StoreError::AlreadyExists
    );
    assert_err!(
        s.enable_mfa_device("arn:aws:iam::111122223333:mfa/none", "alice", T0, 1)
            .await,
        StoreError::NotFound
    );
    assert_eq!(
        s.get_mfa_device(&device.serial)
            .await
            .unwrap()
            .unwrap()
            .user_lower
            .as_deref(),
        Some("alice")
    );

    assert_err!(
        s.delete_mfa_device(&device.serial).await,
        StoreError::Conflict(Conflict::MfaDevices)
    );
    assert_err!(
        s.deactivate_mfa_device(&device.serial, "bob").await,
        StoreError::NotFound
    );
    s.deactivate_mfa_device(&device.serial, "Alice")
        .await
        .unwrap();
    let off = s.get_mfa_device(&device.serial).await.unwrap().unwrap();
    assert_eq!((off.user_lower, off.enabled_at), (None, None));
    assert_err!(
        s.deactivate_mfa_device(&device.serial, "alice").await,
        StoreError::NotFound
    );

    s.delete_mfa_device(&device.serial).await.unwrap();
    assert_eq!(s.get_mfa_device(&device.serial).await.unwrap(), None);
    assert_err!(
        s.delete_mfa_device(&device.serial).await,
        StoreError::NotFound
    );
    // The serial is free again.
    s.create_mfa_device(&device).await.unwrap();
}

pub(crate) async fn mfa_steps_are_single_use(db: Db) {
    let s = &db.store;
    let device = mfa_device(ACCOUNT, "token", SEED);
    s.create_mfa_device(&device).await.unwrap();

    // No step accepted yet: any step is new.
    assert!(s.claim_mfa_step(&device.serial, 100).await.unwrap());
    assert!(!s.claim_mfa_step(&device.serial, 100).await.unwrap());
    assert!(!s.claim_mfa_step(&device.serial, 99).await.unwrap());
    assert!(s.claim_mfa_step(&device.serial, 101).await.unwrap());
    assert_eq!(
        s.get_mfa_device(&device.serial)
            .await
            .unwrap()
            .unwrap()
            .last_step,
        Some(101)
    );

    // Resynchronisation may move the step back.
    s.set_mfa_step(&device.serial, 50).await.unwrap();
    assert!(s.claim_mfa_step(&device.serial, 51).await.unwrap());
    assert!(!s.claim_mfa_step(&device.serial, 51).await.unwrap());

    // An unknown device accepts nothing.
    assert!(
        !s.claim_mfa_step("arn:aws:iam::111122223333:mfa/none", 1)
            .await
            .unwrap()
    );

    // Concurrent claims of one code: exactly one wins.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = s.clone();
            let serial = device.serial.clone();
            tokio::spawn(async move { store.claim_mfa_step(&serial, 200).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        if t.await.expect("task").expect("claim") {
            won += 1;
        }
    }
    assert_eq!(won, 1);
}

pub(crate) async fn mfa_devices_list_by_account_and_user(db: Db) {
    let s = &db.store;
    for name in ["zeta", "alpha", "mid"] {
        s.create_mfa_device(&mfa_device(ACCOUNT, name, SEED))
            .await
            .unwrap();
    }
    s.create_mfa_device(&mfa_device(OTHER_ACCOUNT, "theirs", SEED))
        .await
        .unwrap();
    s.enable_mfa_device(&format!("arn:aws:iam::{ACCOUNT}:mfa/zeta"), "Kim", T0, 1)
        .await
        .unwrap();
    s.enable_mfa_device(&format!("arn:aws:iam::{ACCOUNT}:mfa/alpha"), "kim", T0, 1)
        .await
        .unwrap();

    let serials = |list: Vec<rolecall_store::MfaDevice>| -> Vec<String> {
        list.into_iter().map(|d| d.name).collect()
    };
    assert_eq!(
        serials(s.list_mfa_devices(ACCOUNT, None).await.unwrap()),
        vec!["alpha", "mid", "zeta"]
    );
    assert_eq!(
        serials(s.list_mfa_devices(ACCOUNT, Some("KIM")).await.unwrap()),
        vec!["alpha", "zeta"]
    );
    assert!(
        s.list_mfa_devices(ACCOUNT, Some("nobody"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        serials(s.list_mfa_devices(OTHER_ACCOUNT, None).await.unwrap()),
        vec!["theirs"]
    );
    assert!(
        s.list_mfa_devices(OTHER_ACCOUNT, Some("kim"))
            .await
            .unwrap()
            .is_empty()
    );
}
