//! The HTTP face: one endpoint for IAM and STS (the Query protocol: POST forms and GET query
//! strings, XML answers) and CloudTrail (the AWS JSON 1.1 protocol, the operation named by
//! `X-Amz-Target`), a bounded body, and every failure rendered as AWS's error for the
//! protocol. Every response, success or error, leaves [`handle`] through one exit, with its
//! [`Outcome`], where the audit trail records it.

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
use rolecall_wire::{AwsError, ErrorKind, Params, Service, Tape};
use time::OffsetDateTime;

use crate::app::App;
use crate::audit;
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

/// The router serving the federation endpoint and the console (`/federation`, `/console`),
/// and IAM and STS at every other path.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(crate::console::routes())
        .fallback(handle)
        .with_state(app)
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
    /// Whether the request spoke the AWS JSON protocol (its answer is JSON).
    pub(crate) json: bool,
    /// The request's parameters (Query protocol), kept for the audit trail when it records.
    pub(crate) params: Option<Params>,
    /// The request's JSON body (JSON protocol), kept for the audit trail when it records.
    pub(crate) json_request: Option<serde_json::Value>,
    /// The caller's address.
    pub(crate) source_ip: String,
    /// `User-Agent`.
    pub(crate) user_agent: Option<String>,
    /// The region the request was signed for.
    pub(crate) region: String,
    /// Counts the request among those the trail's writer may wait for, from when its body
    /// is in until its event is queued.
    pub(crate) arrival: Option<audit::Arrival>,
    /// Where in the body the Query protocol result's contents are, and their tape, kept for
    /// the audit trail when it records: it reads the answer from them instead of parsing it.
    pub(crate) answer: Option<(std::ops::Range<usize>, Tape)>,
}

impl Outcome {
    fn new(peer: SocketAddr) -> Self {
        Self {
            request_id: uuid::Uuid::new_v4().to_string(),
            service: Service::Sts,
            op: None,
            principal: None,
            error: None,
            json: false,
            params: None,
            json_request: None,
            source_ip: peer.ip().to_string(),
            user_agent: None,
            region: String::new(),
            arrival: None,
            answer: None,
        }
    }

    /// Renders `e` as the response's body in the request's protocol, and keeps it as the
    /// request's error.
    fn fail(&mut self, e: AwsError) -> String {
        let body = if self.json {
            serde_json::json!({"__type": e.kind.json_code(), "message": e.message}).to_string()
        } else {
            e.to_xml(self.service, &self.request_id)
        };
        self.error = Some(e);
        body
    }

    /// The HTTP status of the response.
    pub(crate) fn status(&self) -> StatusCode {
        self.error.as_ref().map_or(StatusCode::OK, |e| {
            StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST)
        })
    }
}

fn response(status: StatusCode, body: String, request_id: &str, json: bool) -> Response {
    let mut r = (status, body).into_response();
    let content_type = if json {
        "application/x-amz-json-1.1"
    } else {
        "text/xml"
    };
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
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
    let mut outcome = Outcome::new(peer);
    let mut body = match run(&app, req, &mut outcome).await {
        Ok(body) => body,
        Err(e) => outcome.fail(e),
    };
    // The single exit: every response, success or error, passes here with its outcome.
    let arrival = outcome.arrival.take();
    if !record(&app, &outcome, &body, arrival).await {
        // What was done stands, but the client is not told it succeeded: credentials or a
        // change without their event in the trail are what the trail exists to prevent.
        body = outcome.fail(AwsError::internal());
    }
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
    response(outcome.status(), body, &outcome.request_id, outcome.json)
}

/// Records the answered call in the audit trail; a request that failed before its caller was
/// known is counted instead. Calls that change IAM or issue credentials wait until their
/// event is committed; false when it could not be.
async fn record(app: &App, o: &Outcome, body: &str, arrival: Option<audit::Arrival>) -> bool {
    let trail = app.trail();
    if !trail.is_recording() {
        return true;
    }
    let (Some(p), Some(op)) = (&o.principal, o.op) else {
        if let Some(e) = &o.error {
            trail.unattributed(e.kind.code());
        }
        return true;
    };
    let alias = audit::account_alias(app, p).await;
    let answered = audit::Answered {
        request_id: &o.request_id,
        service: o.service,
        op,
        principal: p,
        error: o.error.as_ref(),
        params: o.params.as_ref(),
        json_request: o.json_request.as_ref(),
        json: o.json,
        body,
        answer: o
            .answer
            .as_ref()
            .filter(|_| o.error.is_none())
            .and_then(|(at, tape)| Some((body.get(at.clone())?, tape))),
        source_ip: &o.source_ip,
        user_agent: o.user_agent.as_deref(),
        region: &o.region,
        now: OffsetDateTime::now_utc(),
        account_alias: alias.as_deref(),
    };
    trail
        .record(
            audit::records(&answered, &mut audit::Uuids),
            answered.durable(),
            arrival,
        )
        .await
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
async fn run(app: &App, req: Request, outcome: &mut Outcome) -> Result<String, AwsError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body).await?;
    outcome.arrival = app.trail().arrival();
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
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    outcome.user_agent = header("user-agent");
    if let Some(target) = header("x-amz-target") {
        return run_json(app, &parts, &headers, &bytes, &target, outcome).await;
    }
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
    let Some(op) = op.filter(|op| op.service() != Service::CloudTrail) else {
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
    let result = authorized_call(app, &raw, &params, op, now, outcome).await;
    // Kept for the trail once the handler is done with them, whether the caller was refused
    // or answered: moved, not copied.
    if app.trail().is_recording() {
        outcome.params = Some(params);
    }
    let result = result?;
    let name = op.name();
    let mut body = format!("<{name}Response xmlns=\"{}\">", service.namespace());
    if let Some(inner) = result {
        let (inner, tape) = inner.finish_with_tape();
        body.push_str(&format!("<{name}Result>"));
        let start = body.len();
        body.push_str(&inner);
        if app.trail().is_recording() {
            outcome.answer = Some((start..body.len(), tape));
        }
        body.push_str(&format!("</{name}Result>"));
    }
    body.push_str(&format!(
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{name}Response>",
        outcome.request_id
    ));
    Ok(body)
}

/// The Query request answered: its caller authenticated, its policies loaded, the operation
/// run.
async fn authorized_call(
    app: &App,
    raw: &RawRequest<'_>,
    params: &Params,
    op: Op,
    now: OffsetDateTime,
    outcome: &mut Outcome,
) -> crate::call::Reply {
    let principal = caller(app, raw, op, now, outcome).await?;
    let call = call_for(app, &principal, params, op, now, outcome).await?;
    crate::dispatch::dispatch(&call).await
}

/// Authenticates the request and checks what its session may reach; records the caller and
/// the signing region in `outcome`.
async fn caller(
    app: &App,
    raw: &RawRequest<'_>,
    op: Op,
    now: OffsetDateTime,
    outcome: &mut Outcome,
) -> Result<Arc<Principal>, AwsError> {
    let service = op.service();
    let (principal, region) = authenticate(app, raw, service, now).await?;
    let principal = Arc::new(principal);
    outcome.principal = Some(Arc::clone(&principal));
    outcome.region = region;
    crate::auth::check_session_scope(&principal, op)?;
    if rolecall_arn::access_key_kind(&principal.access_key_id)
        == Some(rolecall_arn::IdKind::AccessKey)
    {
        app.note_key_use(
            &principal.access_key_id,
            service.signing_name(),
            &outcome.region,
            now.unix_timestamp(),
        )
        .await;
    }
    Ok(principal)
}

/// The call a handler answers: the caller's policies and the request context.
async fn call_for<'a>(
    app: &'a App,
    principal: &'a Principal,
    params: &'a Params,
    op: Op,
    now: OffsetDateTime,
    outcome: &Outcome,
) -> Result<Call<'a>, AwsError> {
    let net = Network {
        source_ip: outcome.source_ip.clone(),
        user_agent: outcome.user_agent.clone(),
        region: outcome.region.clone(),
    };
    let policies = caller_policies(app, principal).await?;
    let ctx = base_context(principal, &policies.tags, &net, now);
    Ok(Call {
        app,
        p: principal,
        params,
        op,
        now,
        ctx,
        policies,
    })
}

/// The AWS JSON 1.1 protocol: the operation named by `X-Amz-Target`
/// (`com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`, or without the
/// namespace), the input in the body.
async fn run_json(
    app: &App,
    parts: &axum::http::request::Parts,
    headers: &[(String, String)],
    body: &[u8],
    target: &str,
    outcome: &mut Outcome,
) -> Result<String, AwsError> {
    outcome.json = true;
    outcome.service = Service::CloudTrail;
    let service = &rolecall_service_model::CLOUDTRAIL;
    let prefix = service.target_prefix.unwrap_or_default();
    let short = prefix.rsplit('.').next().unwrap_or(prefix);
    let name = target
        .strip_prefix(prefix)
        .or_else(|| target.strip_prefix(short))
        .and_then(|rest| rest.strip_prefix('.'));
    let op = name
        .and_then(Op::from_action)
        .filter(|op| op.service() == Service::CloudTrail);
    let Some(op) = op else {
        return Err(AwsError::new(
            ErrorKind::UnknownOperation,
            format!("The operation {target} is not supported."),
        ));
    };
    outcome.op = Some(op);
    if parts.method != axum::http::Method::POST {
        return Err(AwsError::new(
            ErrorKind::UnknownOperation,
            format!("Method {} is not supported", parts.method),
        ));
    }
    let now = OffsetDateTime::now_utc();
    let raw = RawRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers,
        body,
    };
    let principal = caller(app, &raw, op, now, outcome).await;
    // Kept for the trail once the caller is known, refused or not.
    if app.trail().is_recording() && outcome.principal.is_some() {
        outcome.json_request = serde_json::from_slice(body).ok();
    }
    let principal = principal?;
    let params = Params::default();
    let call = call_for(app, &principal, &params, op, now, outcome).await?;
    crate::audit::lookup::lookup_events(&call, body).await
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
