//! The Rust SDK (`aws-sdk-sts`) against the server.

use aws_sdk_sts::config::{BehaviorVersion, Region};
use rolecall_test_support::{Backend, Server};

use crate::bin;

fn client(endpoint: &str, id: &str, secret: &str, token: Option<String>) -> aws_sdk_sts::Client {
    let creds = aws_credential_types::Credentials::new(id, secret, token, None, "rolecall-test");
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

#[tokio::test]
async fn rust_sdk_assumes_a_role_and_sees_the_session() {
    let server = Server::start(bin(), Backend::Sqlite);
    let admin = server.bootstrap("333333333333", "admin");
    let sts = client(
        &server.endpoint,
        &admin.access_key_id,
        &admin.secret_access_key,
        None,
    );
    let me = sts
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(me.arn(), Some("arn:aws:iam::333333333333:user/admin"));
    assert_eq!(me.account(), Some("333333333333"));

    // No role yet: AccessDenied with AWS's message, parsed by the SDK.
    let err = sts
        .assume_role()
        .role_arn("arn:aws:iam::333333333333:role/Missing")
        .role_session_name("sdk")
        .send()
        .await
        .unwrap_err();
    let service = err.into_service_error();
    assert_eq!(
        aws_sdk_sts::error::ProvideErrorMetadata::code(&service),
        Some("AccessDenied")
    );
    assert_eq!(
        aws_sdk_sts::error::ProvideErrorMetadata::message(&service),
        Some(
            "User: arn:aws:iam::333333333333:user/admin is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/Missing"
        )
    );

    // Session tokens from GetSessionToken work with the SDK's signer.
    let session = sts
        .get_session_token()
        .duration_seconds(900)
        .send()
        .await
        .expect("GetSessionToken");
    let c = session.credentials().expect("credentials");
    let temp = client(
        &server.endpoint,
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
    );
    let me = temp
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity with a session token");
    assert_eq!(me.arn(), Some("arn:aws:iam::333333333333:user/admin"));
    let info = sts
        .get_access_key_info()
        .access_key_id(c.access_key_id())
        .send()
        .await
        .expect("GetAccessKeyInfo");
    assert_eq!(info.account(), Some("333333333333"));

    // A wrong secret is refused with SignatureDoesNotMatch.
    let bad = client(
        &server.endpoint,
        &admin.access_key_id,
        "wrong-secret-wrong-secret-wrong-secret00",
        None,
    );
    let err = bad
        .get_caller_identity()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_sts::error::ProvideErrorMetadata::code(&err),
        Some("SignatureDoesNotMatch")
    );
}
