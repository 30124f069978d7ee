//! What one iteration of the load sends: a signed STS request, the container credentials
//! endpoint's GET, or the IMDSv2 flow an SDK goes through to fetch credentials.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::connection::{Connection, Target, timed_roundtrip};

/// One iteration of the load.
#[derive(Clone)]
pub(crate) enum Work {
    /// The same request every time (STS, signed once per run; the container endpoint's GET).
    Fixed(Arc<Vec<u8>>),
    /// IMDSv2 as the SDKs fetch credentials: `PUT /latest/api/token`, then with that token
    /// `GET /latest/meta-data/iam/security-credentials/` for the role name and `GET …/NAME`.
    Imds,
}

impl Work {
    /// HTTP requests per iteration.
    pub(crate) fn requests(&self) -> u64 {
        match self {
            Self::Fixed(_) => 1,
            Self::Imds => 3,
        }
    }
}

/// An STS Query request with the form `body`, signed with SigV4 for `target`.
pub(crate) fn signed_sts(
    target: &Target,
    access_key_id: &str,
    secret_access_key: &str,
    body: &str,
) -> Vec<u8> {
    let amz_date = rolecall_sigv4::format_amz_date(time::OffsetDateTime::now_utc());
    let headers = vec![
        (
            "content-type".to_owned(),
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        ),
        ("host".to_owned(), target.authority.clone()),
    ];
    let params = rolecall_sigv4::SigningParams {
        access_key_id,
        secret_access_key,
        session_token: None,
        region: "us-east-1",
        service: "sts",
        amz_date: &amz_date,
    };
    let added =
        rolecall_sigv4::sign_headers("POST", &target.path, "", &headers, body.as_bytes(), &params);
    let mut req = format!(
        "POST {} HTTP/1.1\r\nContent-Length: {}\r\n",
        target.path,
        body.len()
    );
    for (k, v) in headers.iter().chain(added.iter()) {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    req.into_bytes()
}

/// The container credentials endpoint's request, as the SDKs send it.
pub(crate) fn container_get(target: &Target, token: &str) -> Vec<u8> {
    format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAuthorization: {token}\r\nAccept: application/json\r\n\r\n",
        target.path, target.authority
    )
    .into_bytes()
}

/// Statuses seen, by code.
pub(crate) type Statuses = BTreeMap<u16, u64>;

/// One request of an iteration; reconnects when the server closes the connection after it.
async fn step(
    connection: &mut Connection,
    target: &Target,
    request: &[u8],
    statuses: &mut Statuses,
) -> anyhow::Result<(u16, Vec<u8>)> {
    let response = timed_roundtrip(connection, request).await?;
    *statuses.entry(response.status).or_default() += 1;
    if response.close {
        *connection = target.connect().await?;
    }
    Ok((response.status, response.body))
}

/// Runs one iteration of `work` on `connection`.
pub(crate) async fn iterate(
    work: &Work,
    connection: &mut Connection,
    target: &Target,
    statuses: &mut Statuses,
) -> anyhow::Result<()> {
    match work {
        Work::Fixed(request) => {
            step(connection, target, request, statuses).await?;
        }
        Work::Imds => {
            let host = &target.authority;
            let put = format!(
                "PUT /latest/api/token HTTP/1.1\r\nHost: {host}\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 0\r\n\r\n"
            );
            let (status, token) = step(connection, target, put.as_bytes(), statuses).await?;
            if status != 200 {
                return Ok(());
            }
            let token = String::from_utf8(token).context("the IMDS token is not text")?;
            let get = |path: &str| {
                format!(
                    "GET {path} HTTP/1.1\r\nHost: {host}\r\nX-aws-ec2-metadata-token: {token}\r\n\r\n"
                )
            };
            let listing = get("/latest/meta-data/iam/security-credentials/");
            let (status, role) = step(connection, target, listing.as_bytes(), statuses).await?;
            if status != 200 {
                return Ok(());
            }
            let role = String::from_utf8(role).context("the IMDS role name is not text")?;
            let Some(role) = role.lines().next().filter(|r| !r.is_empty()) else {
                bail!("the IMDS role listing is empty");
            };
            let credentials = get(&format!(
                "/latest/meta-data/iam/security-credentials/{role}"
            ));
            step(connection, target, credentials.as_bytes(), statuses).await?;
        }
    }
    Ok(())
}
