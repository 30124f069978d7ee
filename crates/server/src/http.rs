//! The HTTP face: one endpoint for IAM and STS, POST forms and GET query strings, a bounded
//! body, and every failure rendered as AWS's XML error envelope.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rolecall_wire::{AwsError, ErrorKind, Params, Service};
use time::OffsetDateTime;

use crate::app::App;
use crate::auth::{RawRequest, authenticate};
use crate::authz::{Network, base_context, caller_policies};
use crate::call::Call;
use crate::ops::Op;

/// Larger bodies are refused: the largest legitimate request (a 131,072-character policy
/// document, percent-encoded) stays well below it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A client that has not sent its whole body by then is cut off.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The router serving IAM and STS at every path.
pub fn router(app: App) -> Router {
    Router::new().fallback(handle).with_state(app)
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-RequestId", v);
    }
    r
}

fn error_response(e: &AwsError, service: Service, request_id: &str) -> Response {
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
    xml_response(status, e.to_xml(service, request_id), request_id)
}

async fn handle(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            let e = AwsError::new(
                ErrorKind::RequestEntityTooLarge,
                format!("Request body must be no larger than {MAX_BODY_BYTES} bytes"),
            );
            return error_response(&e, Service::Sts, &request_id);
        }
        Err(_) => {
            let e = AwsError::new(
                ErrorKind::MalformedQueryString,
                "Timed out reading the request body",
            );
            return error_response(&e, Service::Sts, &request_id);
        }
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let query = parts.uri.query().unwrap_or("");
    let method = parts.method.as_str();
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| {
            ct.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });

    let mut params = Params::default();
    let parsed = params.extend_from_form(query.as_bytes()).and_then(|()| {
        if method == "POST" && is_form {
            params.extend_from_form(&bytes)
        } else {
            Ok(())
        }
    });
    let op = params.get("Action").and_then(Op::from_action);
    let service = op.map_or_else(|| scope_service(&headers, query), Op::service);
    if let Err(e) = parsed {
        return error_response(&e, service, &request_id);
    }
    if method != "POST" && method != "GET" {
        let e = AwsError::new(
            ErrorKind::InvalidAction,
            format!("Method {method} is not supported"),
        );
        return error_response(&e, service, &request_id);
    }
    let Some(op) = op else {
        let e = match params.get("Action") {
            None => AwsError::new(ErrorKind::MissingAction, "Missing Action"),
            Some(a) => AwsError::new(
                ErrorKind::InvalidAction,
                format!(
                    "Could not find operation {a} for version {}",
                    service.api_version()
                ),
            ),
        };
        return error_response(&e, service, &request_id);
    };
    if let Some(v) = params.get("Version")
        && v != service.api_version()
    {
        let e = AwsError::new(
            ErrorKind::InvalidAction,
            format!("Could not find operation {} for version {v}", op.name()),
        );
        return error_response(&e, service, &request_id);
    }
    let now = OffsetDateTime::now_utc();
    let raw = RawRequest {
        method,
        path: parts.uri.path(),
        query,
        headers: &headers,
        body: &bytes,
    };
    let (principal, region) = match authenticate(&app, &raw, service, now).await {
        Ok(p) => p,
        Err(e) => return error_response(&e, service, &request_id),
    };
    if let Err(e) = crate::auth::check_session_scope(&principal, op) {
        return error_response(&e, service, &request_id);
    }
    if rolecall_arn::access_key_kind(&principal.access_key_id)
        == Some(rolecall_arn::IdKind::AccessKey)
    {
        app.note_key_use(
            &principal.access_key_id,
            service.signing_name(),
            &region,
            now.unix_timestamp(),
        )
        .await;
    }
    let user_agent = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("user-agent"))
        .map(|(_, v)| v.clone());
    let net = Network {
        source_ip: peer.ip().to_string(),
        user_agent,
        region,
    };
    let result = async {
        let policies = caller_policies(&app, &principal).await?;
        let ctx = base_context(&principal, &policies.tags, &net, now);
        let call = Call {
            app: &app,
            p: &principal,
            params: &params,
            op,
            now,
            ctx,
            policies,
        };
        crate::dispatch::dispatch(&call).await
    }
    .await;
    match result {
        Ok(result) => {
            let name = op.name();
            let mut body = format!("<{name}Response xmlns=\"{}\">", service.namespace());
            if let Some(inner) = result {
                body.push_str(&format!("<{name}Result>{}</{name}Result>", inner.finish()));
            }
            body.push_str(&format!("<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{name}Response>"));
            xml_response(StatusCode::OK, body, &request_id)
        }
        Err(e) => {
            tracing::debug!(op = op.name(), code = e.kind.code(), message = %e.message, "request refused");
            error_response(&e, service, &request_id)
        }
    }
}

/// The service named by the signature's scope, for errors before an operation is known.
fn scope_service(headers: &[(String, String)], query: &str) -> Service {
    let auth = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str())
        .unwrap_or(query);
    if auth.contains("/iam/aws4_request") || auth.contains("%2Fiam%2Faws4_request") {
        Service::Iam
    } else {
        Service::Sts
    }
}

/// Serves until `shutdown` resolves.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
