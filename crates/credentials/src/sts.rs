//! The STS calls credential resolution makes (AssumeRole, GetSessionToken), through the
//! shared transport.

use rolecall_transport::query::Leaves;
use rolecall_transport::{Client, HttpOptions};

use crate::{Credentials, CredentialsError};

/// An STS answer: its leaves, and the response metadata botocore keeps in cache entries.
#[derive(Debug, Clone)]
pub(crate) struct StsAnswer {
    pub(crate) leaves: Leaves,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) status: u16,
}

impl StsAnswer {
    /// A field by path (`Credentials/AccessKeyId`).
    pub(crate) fn get(&self, path: &str) -> Option<&str> {
        self.leaves.get(path)
    }

    /// The `Credentials` block.
    pub(crate) fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let get = |k: &str| {
            self.get(&format!("Credentials/{k}"))
                .map(str::to_owned)
                .ok_or_else(|| {
                    CredentialsError::Transport(format!("the STS response has no Credentials/{k}"))
                })
        };
        Ok(Credentials {
            access_key_id: get("AccessKeyId")?,
            secret_access_key: get("SecretAccessKey")?,
            session_token: Some(get("SessionToken")?),
            expiration: Some(
                rolecall_wire::timestamp::parse(&get("Expiration")?).ok_or_else(|| {
                    CredentialsError::Transport(
                        "the STS response has a malformed Expiration".into(),
                    )
                })?,
            ),
        })
    }
}

/// Calls an STS action at `endpoint`, signed for `region` with `credentials`.
pub(crate) fn call(
    endpoint: &str,
    region: &str,
    http: &HttpOptions,
    action: &str,
    params: &[(&str, String)],
    credentials: &Credentials,
) -> Result<StsAnswer, CredentialsError> {
    let client = Client::new(endpoint, region, "sts", "2011-06-15", http)?;
    let raw = client.call_query(action, params, credentials)?;
    let leaves = Leaves::read(&raw.body)
        .map_err(|e| CredentialsError::Transport(format!("the response is not XML: {e}")))?;
    Ok(StsAnswer {
        leaves,
        headers: raw.headers,
        status: raw.status,
    })
}
