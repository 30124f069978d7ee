//! A local credential endpoint for other programs: the shape of the ECS container
//! credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`)
//! or of the EC2 instance metadata service's IMDSv2 flow (`AWS_EC2_METADATA_SERVICE_ENDPOINT`).
//! Every answer comes from a fetch function, called per request, which hands out the cached
//! role session and re-assumes it ahead of expiry, so the SDKs in the clients refresh by
//! themselves. Nothing is served without the token: the random authorization token for the
//! ECS shape, a session token from `PUT /latest/api/token` for the IMDS shape.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::{Credentials, CredentialsError};

pub mod tls;

/// Where the credentials come from: called for every request, on a blocking thread.
pub type Fetch = Arc<dyn Fn() -> Result<Credentials, CredentialsError> + Send + Sync>;

/// Which endpoint to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The ECS / EKS container credentials endpoint.
    Container,
    /// EC2's instance metadata service, IMDSv2 only.
    InstanceMetadata,
}

/// The role name the IMDS shape lists under `/latest/meta-data/iam/security-credentials/`.
const IMDS_ROLE: &str = "rolecall";
/// IMDSv2 session tokens live at most six hours, as EC2's do.
const MAX_TOKEN_TTL: u64 = 21_600;

#[derive(Clone)]
struct Shared {
    shape: Shape,
    token: String,
    fetch: Fetch,
    imds_tokens: Arc<Mutex<HashMap<String, Instant>>>,
}

/// A random token (hex), for the ECS shape's `Authorization` and IMDS sessions.
#[must_use]
pub fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rolecall_arn::random_bytes(&mut bytes);
    data_encoding::HEXLOWER.encode(&bytes)
}

/// Serves `shape` on `listener` until `shutdown` completes. `token` is what clients of the
/// ECS shape must send as `Authorization`.
///
/// # Errors
/// When the listener cannot be used.
pub async fn serve(
    listener: std::net::TcpListener,
    shape: Shape,
    token: String,
    fetch: Fetch,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    axum::serve(listener, router(shape, token, fetch))
        .with_graceful_shutdown(shutdown)
        .await
}

/// [`serve`] over HTTPS with `certificate` (see [`tls`]).
///
/// # Errors
/// When the listener cannot be used.
pub async fn serve_tls(
    listener: std::net::TcpListener,
    certificate: &tls::Certificate,
    shape: Shape,
    token: String,
    fetch: Fetch,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener =
        tls::TlsListener::new(tokio::net::TcpListener::from_std(listener)?, certificate)?;
    axum::serve(listener, router(shape, token, fetch))
        .with_graceful_shutdown(shutdown)
        .await
}

fn router(shape: Shape, token: String, fetch: Fetch) -> Router {
    let shared = Shared {
        shape,
        token,
        fetch,
        imds_tokens: Arc::new(Mutex::new(HashMap::new())),
    };
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(s): State<Shared>, req: Request) -> Response {
    let (method, path, headers) = (
        req.method().clone(),
        req.uri().path().to_owned(),
        req.headers().clone(),
    );
    match s.shape {
        Shape::Container => container(&s, &method, &headers).await,
        Shape::InstanceMetadata => instance_metadata(&s, &method, &path, &headers).await,
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "Message": text }).to_string(),
    )
        .into_response()
}

/// The credentials as JSON, `Expiration` written as the real endpoints write it (`Z`).
async fn credentials_json(s: &Shared, imds: bool) -> Response {
    let fetch = s.fetch.clone();
    let fetched = tokio::task::spawn_blocking(move || fetch()).await;
    let c = match fetched {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot get the credentials to serve");
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the credentials could not be had",
            );
        }
        Err(_) => {
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the credentials could not be had",
            );
        }
    };
    let (Some(token), Some(expiration)) = (&c.session_token, c.expiration) else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "only temporary credentials are served (a role profile, or a profile with mfa_serial)",
        );
    };
    let mut body = json!({
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "Token": token,
        "Expiration": rolecall_wire::iso8601(expiration),
    });
    if imds {
        body["Code"] = json!("Success");
        body["Type"] = json!("AWS-HMAC");
        body["LastUpdated"] = json!(rolecall_wire::iso8601(time::OffsetDateTime::now_utc()));
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn container(s: &Shared, method: &Method, headers: &HeaderMap) -> Response {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if sent != Some(s.token.as_str()) {
        return message(StatusCode::FORBIDDEN, "invalid Authorization token");
    }
    if method != Method::GET {
        return message(StatusCode::METHOD_NOT_ALLOWED, "only GET is served");
    }
    credentials_json(s, false).await
}

async fn instance_metadata(
    s: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Response {
    let text = |status: StatusCode, body: String| {
        (status, [(header::CONTENT_TYPE, "text/plain")], body).into_response()
    };
    if path == "/latest/api/token" {
        if method != Method::PUT {
            return text(StatusCode::METHOD_NOT_ALLOWED, String::new());
        }
        // EC2 refuses token requests that went through a proxy.
        if headers.contains_key("x-forwarded-for") {
            return text(StatusCode::FORBIDDEN, String::new());
        }
        let ttl = headers
            .get("x-aws-ec2-metadata-token-ttl-seconds")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|t| (1..=MAX_TOKEN_TTL).contains(t));
        let Some(ttl) = ttl else {
            return text(StatusCode::BAD_REQUEST, String::new());
        };
        let token = random_token();
        let mut tokens = s
            .imds_tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        tokens.retain(|_, until| *until > now);
        tokens.insert(token.clone(), now + Duration::from_secs(ttl));
        return text(StatusCode::OK, token);
    }
    let valid = headers
        .get("x-aws-ec2-metadata-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            let tokens = s
                .imds_tokens
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            tokens.get(t).is_some_and(|until| *until > Instant::now())
        });
    // IMDSv2 only: a request without a valid session token is 401, as EC2 answers it when
    // tokens are required.
    if !valid {
        return text(StatusCode::UNAUTHORIZED, String::new());
    }
    if method != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, String::new());
    }
    match path.trim_end_matches('/') {
        "/latest/meta-data/iam/security-credentials" => text(StatusCode::OK, IMDS_ROLE.to_owned()),
        p if p == format!("/latest/meta-data/iam/security-credentials/{IMDS_ROLE}") => {
            credentials_json(s, true).await
        }
        _ => text(StatusCode::NOT_FOUND, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(shape: Shape) -> Shared {
        let fetch: Fetch = Arc::new(|| {
            Ok(Credentials {
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: "secret".into(),
                session_token: Some("token".into()),
                // Sub-second digits, which the real endpoints never write.
                expiration: Some(time::macros::datetime!(2026-12-01 00:00:00.123456 UTC)),
            })
        });
        Shared {
            shape,
            token: "right".into(),
            fetch,
            imds_tokens: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    async fn call(s: &Shared, method: Method, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let request = request.body(axum::body::Body::empty()).unwrap();
        handle(State(s.clone()), request).await
    }

    async fn text(r: Response) -> String {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, as ECS and EC2 write it; the JavaScript SDK refuses `+00:00`.
    fn assert_real_endpoint_form(t: &str) {
        let b = t.as_bytes();
        assert_eq!(t.len(), 20, "{t}");
        for (i, c) in b.iter().enumerate() {
            let want = match i {
                4 | 7 => Some(b'-'),
                10 => Some(b'T'),
                13 | 16 => Some(b':'),
                19 => Some(b'Z'),
                _ => None,
            };
            match want {
                Some(w) => assert_eq!(*c, w, "{t}"),
                None => assert!(c.is_ascii_digit(), "{t}"),
            }
        }
    }

    #[tokio::test]
    async fn expiration_is_written_as_the_real_endpoints_write_it() {
        let ecs = shared(Shape::Container);
        let answer = call(&ecs, Method::GET, "/", &[("authorization", "right")]).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let body: serde_json::Value = serde_json::from_str(&text(answer).await).unwrap();
        assert_eq!(body["Expiration"], "2026-12-01T00:00:00Z");

        let imds = shared(Shape::InstanceMetadata);
        let ttl = [("x-aws-ec2-metadata-token-ttl-seconds", "60")];
        let token = text(call(&imds, Method::PUT, "/latest/api/token", &ttl).await).await;
        let path = format!("/latest/meta-data/iam/security-credentials/{IMDS_ROLE}");
        let with = [("x-aws-ec2-metadata-token", token.as_str())];
        let answer = call(&imds, Method::GET, &path, &with).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let body: serde_json::Value = serde_json::from_str(&text(answer).await).unwrap();
        assert_eq!(body["Expiration"], "2026-12-01T00:00:00Z");
        assert_real_endpoint_form(body["LastUpdated"].as_str().unwrap());
    }
}
