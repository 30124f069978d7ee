//! The HTTP face: one endpoint for IAM and STS, POST forms and GET query strings, a bounded
//! body, and every failure rendered as AWS's XML error envelope. Every response, success or
//! error, leaves [`handle`] through one exit, with its [`Outcome`].

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody, to_bytes};
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
use crate::principal::Principal;

/// Larger bodies are refused: the largest legitimate request (a 131,072-character policy
/// document, percent-encoded) stays well below it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A client that has not sent its whole body by then is cut off.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long, and how much, of a refused body is read and dropped.
const DISCARD_TIME: Duration = Duration::from_secs(5);
const DISCARD_BYTES: usize = 4 * MAX_BODY_BYTES;

/// The router serving IAM and STS at every path.
pub fn router(app: App) -> Router {
    Router::new().fallback(handle).with_state(app)
}

/// What became of one request: filled in as the pipeline learns each part, and complete at
/// the single exit of [`handle`], where every response is rendered.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The request id, sent as `x-amzn-RequestId` and in the body.
    pub(crate) request_id: String,
    /// The service that answers: the operation's, or else the one the signature names.
    pub(crate) service: Service,
    /// The operation `Action` names, once known.
    pub(crate) op: Option<Op>,
    /// The authenticated caller, once known.
    pub(crate) principal: Option<Arc<Principal>>,
    /// Why the request failed, if it did.
    pub(crate) error: Option<AwsError>,
}

impl Outcome {
    fn new() -> Self {
        Self {
            request_id: uuid::Uuid::new_v4().to_string(),
            service: Service::Sts,
            op: None,
            principal: None,
            error: None,
        }
    }

    /// The HTTP status of the response.
    pub(crate) fn status(&self) -> StatusCode {
        self.error.as_ref().map_or(StatusCode::OK, |e| {
            StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST)
        })
    }
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

/// Serves one request. Its one exit renders every response, success or error, from the
/// request's [`Outcome`].
async fn handle(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let mut outcome = Outcome::new();
    let body = match run(&app, peer, req, &mut outcome).await {
        Ok(body) => body,
        Err(e) => {
            let body = e.to_xml(outcome.service, &outcome.request_id);
            outcome.error = Some(e);
            body
        }
    };
    // The single exit: every response, success or error, passes here with its outcome.
    let error = outcome.error.as_ref();
    tracing::debug!(
        request_id = %outcome.request_id,
        op = outcome.op.map(Op::name),
        caller = outcome.principal.as_ref().map(|p| p.caller.arn.as_str()),
        status = outcome.status().as_u16(),
        code = error.map(|e| e.kind.code()),
        message = error.map(|e| e.message.as_str()),
        "request finished"
    );
    xml_response(outcome.status(), body, &outcome.request_id)
}

/// Reads the body, bounded in size and time. A body whose declared length (`Content-Length`)
/// is over the limit is refused at once, without waiting for it.
async fn read_body(body: Body) -> Result<Bytes, AwsError> {
    let too_large = || {
        AwsError::new(
            ErrorKind::RequestEntityTooLarge,
            format!("Request body must be no larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = usize::try_from(HttpBody::size_hint(&body).lower()).unwrap_or(usize::MAX);
    if declared > MAX_BODY_BYTES {
        discard(body);
        return Err(too_large());
    }
    match tokio::time::timeout(BODY_TIMEOUT, to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(_)) => Err(too_large()),
        Err(_) => Err(AwsError::new(
            ErrorKind::MalformedQueryString,
            "Timed out reading the request body",
        )),
    }
}

/// Reads and drops a refused body for a while, in the background, so that a client still
/// sending it reads the answer instead of a reset connection.
fn discard(mut body: Body) {
    let mut left = DISCARD_BYTES;
    let drain = std::future::poll_fn(move |cx| {
        loop {
            match Pin::new(&mut body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let n = frame.data_ref().map_or(0, Bytes::len);
                    if n >= left {
                        return Poll::Ready(());
                    }
                    left -= n;
                }
                Poll::Ready(_) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
    });
    tokio::spawn(tokio::time::timeout(DISCARD_TIME, drain));
}

/// The pipeline of one request: parameters and operation, authentication, the caller's
/// policies, the handler. Records in `outcome` what it learns on the way; returns the body of
/// the successful response.
async fn run(
    app: &App,
    peer: SocketAddr,
    req: Request,
    outcome: &mut Outcome,
) -> Result<String, AwsError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body).await?;
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
    outcome.service = service;
    outcome.op = op;
    parsed?;
    if method != "POST" && method != "GET" {
        return Err(AwsError::new(
            ErrorKind::InvalidAction,
            format!("Method {method} is not supported"),
        ));
    }
    let Some(op) = op else {
        return Err(match params.get("Action") {
            None => AwsError::new(ErrorKind::MissingAction, "Missing Action"),
            Some(a) => AwsError::new(
                ErrorKind::InvalidAction,
                format!(
                    "Could not find operation {a} for version {}",
                    service.api_version()
                ),
            ),
        });
    };
    if let Some(v) = params.get("Version")
        && v != service.api_version()
    {
        return Err(AwsError::new(
            ErrorKind::InvalidAction,
            format!("Could not find operation {} for version {v}", op.name()),
        ));
    }
    let now = OffsetDateTime::now_utc();
    let raw = RawRequest {
        method,
        path: parts.uri.path(),
        query,
        headers: &headers,
        body: &bytes,
    };
    let (principal, region) = authenticate(app, &raw, service, now).await?;
    let principal = Arc::new(principal);
    outcome.principal = Some(Arc::clone(&principal));
    crate::auth::check_session_scope(&principal, op)?;
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
    let policies = caller_policies(app, &principal).await?;
    let ctx = base_context(&principal, &policies.tags, &net, now);
    let call = Call {
        app,
        p: &principal,
        params: &params,
        op,
        now,
        ctx,
        policies,
    };
    let result = crate::dispatch::dispatch(&call).await?;
    let name = op.name();
    let mut body = format!("<{name}Response xmlns=\"{}\">", service.namespace());
    if let Some(inner) = result {
        body.push_str(&format!("<{name}Result>{}</{name}Result>", inner.finish()));
    }
    body.push_str(&format!(
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{name}Response>",
        outcome.request_id
    ));
    Ok(body)
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

mod connections;

pub use connections::{ConnectionLimits, serve};

#[cfg(test)]
mod tests;
