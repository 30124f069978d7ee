//! Malformed requests get a clear AWS error of the right kind, never a panic or a hang.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use rolecall_test_support::{Backend, Server};

use crate::bin;

/// Sends raw bytes and returns (status, body).
fn raw(endpoint: &str, request: &[u8]) -> (u16, String) {
    let addr = endpoint.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn post(endpoint: &str, body: &[u8]) -> (u16, String) {
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        endpoint.trim_start_matches("http://"),
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    raw(endpoint, &req)
}

fn code(body: &str) -> &str {
    body.split("<Code>")
        .nth(1)
        .and_then(|r| r.split("</Code>").next())
        .unwrap_or("")
}

#[test]
fn malformed_requests_get_aws_errors() {
    let server = Server::start(bin(), Backend::Sqlite);
    let e = &server.endpoint;
    let (status, body) = post(e, b"Action=GetCallerIdentity&Version=2011-06-15&A=%ff");
    assert_eq!(
        (status, code(&body)),
        (404, "MalformedQueryString"),
        "{body}"
    );
    let (status, body) = post(e, b"Action=GetCallerIdentity&Action=AssumeRole");
    assert_eq!(
        (status, code(&body)),
        (404, "MalformedQueryString"),
        "{body}"
    );
    let (status, body) = post(e, b"Action=CreateUser&Version=2010-05-08&UserName=x");
    assert_eq!(
        (status, code(&body)),
        (403, "MissingAuthenticationToken"),
        "{body}"
    );
    assert!(
        body.starts_with("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"),
        "{body}"
    );
    let (status, body) = post(e, b"Action=GetCallerIdentity&Version=1999-01-01");
    assert_eq!((status, code(&body)), (400, "InvalidAction"), "{body}");
    let (status, body) = post(
        e,
        b"Action=GetCallerIdentity&Version=2011-06-15&Tags.member.x.Key=1",
    );
    assert_eq!(status, 403, "{body}");
    // Garbage authorization headers.
    for header in [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AKIA/2015",
        "Basic Zm9vOmJhcg==",
        "AWS4-HMAC-SHA256 Credential=ሴ/20150830/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00",
    ] {
        let body = b"Action=GetCallerIdentity&Version=2011-06-15";
        let req = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: {header}\r\nX-Amz-Date: 20150830T123600Z\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15",
            body.len()
        );
        let (status, resp) = raw(e, req.as_bytes());
        assert!(
            matches!(code(&resp), "IncompleteSignature" | "SignatureDoesNotMatch"),
            "{header}: {status} {resp}"
        );
    }
    // A body over the limit is refused, and the server keeps serving.
    let big = vec![b'a'; rolecall_server::MAX_BODY_BYTES + 10];
    let (status, body) = post(e, &big);
    assert_eq!(
        (status, code(&body)),
        (413, "RequestEntityTooLarge"),
        "{body}"
    );
    let (status, _) = post(e, b"Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(status, 403);
}
