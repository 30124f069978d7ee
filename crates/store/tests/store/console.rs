//! Console sign-in: a used sign-in token or a signed-out session is spent once, stays spent
//! until it would have expired anyway, and is then forgotten.

use crate::harness::{Db, T0};

pub(crate) async fn console_ids_are_spent_once_until_they_expire(db: Db) {
    let s = &db.store;
    assert!(!s.console_id_spent("token-1").await.unwrap());
    assert!(s.spend_console_id("token-1", T0 + 900, T0).await.unwrap());
    assert!(s.console_id_spent("token-1").await.unwrap());
    // A second use is told apart: it was already spent.
    assert!(
        !s.spend_console_id("token-1", T0 + 900, T0 + 1)
            .await
            .unwrap()
    );
    assert!(
        s.spend_console_id("session-1", T0 + 3600, T0 + 2)
            .await
            .unwrap()
    );
    // Once past its expiry a row is dropped (the token is refused by its own expiry then).
    assert!(
        s.spend_console_id("token-2", T0 + 5000, T0 + 901)
            .await
            .unwrap()
    );
    assert!(!s.console_id_spent("token-1").await.unwrap());
    assert!(s.console_id_spent("session-1").await.unwrap());
}

pub(crate) async fn concurrent_uses_of_one_sign_in_token_spend_it_once(db: Db) {
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = db.store.clone();
        tasks.push(tokio::spawn(async move {
            s.spend_console_id("raced", T0 + 900, T0).await.unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        if t.await.unwrap() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
}
