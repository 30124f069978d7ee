//! One request being handled: the caller, the parameters (validated against the model before
//! the handler runs), and helpers that read input, authorize, and shape the response, so that
//! handlers read as the operation's logic.

use rolecall_policy::Context;
use rolecall_wire::{AwsError, ErrorKind, Params, XmlWriter};
use time::OffsetDateTime;

use crate::app::App;
use crate::authz::{CallerPolicies, decide};
use crate::ops::Op;
use crate::principal::Principal;

/// A handler's answer: the content of the `…Result` element, or `None` for operations
/// without output.
pub(crate) type Reply = Result<Option<XmlWriter>, AwsError>;

/// The request being handled.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) app: &'a App,
    pub(crate) p: &'a Principal,
    pub(crate) params: &'a Params,
    pub(crate) op: Op,
    pub(crate) now: OffsetDateTime,
    pub(crate) ctx: Context,
    pub(crate) policies: CallerPolicies,
}

impl Call<'_> {
    /// The raw value of a parameter.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// A required string parameter (present once the input has been validated).
    pub(crate) fn req(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }

    /// An integer parameter (a number once the input has been validated).
    pub(crate) fn number(&self, name: &str) -> Option<i64> {
        self.get(name)?.trim().parse().ok()
    }

    /// A boolean parameter (`true`/`false` once the input has been validated).
    pub(crate) fn flag(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// `Marker`, decoded, and `MaxItems` (100 when absent).
    pub(crate) fn paging(&self) -> (Option<String>, i64) {
        let max = self.number("MaxItems").unwrap_or(100);
        let marker = self.get("Marker").map(|m| {
            data_encoding::BASE64URL_NOPAD
                .decode(m.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default()
        });
        (marker, max)
    }

    /// Tags given as `Tags.member.N.Key/Value` (validated against the model).
    ///
    /// # Errors
    /// `InvalidInput` for two keys that differ only in case: IAM's keys are case
    /// insensitive, which the model cannot say.
    pub(crate) fn tags(&self) -> Result<Vec<(String, String)>, AwsError> {
        let raw = self.params.struct_list("Tags", &["Key", "Value"])?;
        let mut out: Vec<(String, String)> = Vec::with_capacity(raw.len());
        for fields in raw {
            let mut fields = fields.into_iter();
            let (Some(key), value) = (fields.next().flatten(), fields.next().flatten()) else {
                continue;
            };
            if out.iter().any(|(k, _)| k.eq_ignore_ascii_case(&key)) {
                return Err(AwsError::new(
                    ErrorKind::InvalidInput,
                    "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
                ));
            }
            out.push((key, value.unwrap_or_default()));
        }
        Ok(out)
    }

    /// Authorizes `action` on `resource`, shown in a denial as `display`.
    pub(crate) fn authorize(
        &self,
        action: &str,
        resource: &str,
        display: &str,
    ) -> Result<(), AwsError> {
        self.decide_in(action, resource, display, &self.ctx)
    }

    /// Authorizes with extra context keys (request tags, `iam:PolicyARN`, …).
    pub(crate) fn authorize_with(
        &self,
        action: &str,
        resource: &str,
        display: &str,
        extra: impl FnOnce(&mut Context),
    ) -> Result<(), AwsError> {
        let mut ctx = self.ctx.clone();
        extra(&mut ctx);
        self.decide_in(action, resource, display, &ctx)
    }

    fn decide_in(
        &self,
        action: &str,
        resource: &str,
        display: &str,
        ctx: &Context,
    ) -> Result<(), AwsError> {
        decide(
            self.app,
            self.p,
            &self.policies,
            action,
            resource,
            display,
            ctx,
        )
    }

    /// The caller's account.
    pub(crate) fn account(&self) -> &str {
        self.p.account()
    }

    /// Forgets cached keys and policies after a write.
    pub(crate) fn wrote(&self) {
        self.app.invalidate_caches();
    }
}

/// Adds request tags to a context as `aws:RequestTag/*` and `aws:TagKeys`.
pub(crate) fn with_request_tags(ctx: &mut Context, tags: &[(String, String)]) {
    if tags.is_empty() {
        return;
    }
    for (k, v) in tags {
        ctx.set(&format!("aws:RequestTag/{k}"), v.clone());
    }
    ctx.set_multi("aws:TagKeys", tags.iter().map(|(k, _)| k.clone()).collect());
}

/// Adds a resource's tags to a context as `aws:ResourceTag/*` and `iam:ResourceTag/*`.
pub(crate) fn with_resource_tags(ctx: &mut Context, tags: &[(String, String)]) {
    for (k, v) in tags {
        ctx.set(&format!("aws:ResourceTag/{k}"), v.clone());
        ctx.set(&format!("iam:ResourceTag/{k}"), v.clone());
    }
}

/// Encodes a store marker for the wire.
pub(crate) fn marker(next: Option<&str>) -> Option<String> {
    next.map(|m| data_encoding::BASE64URL_NOPAD.encode(m.as_bytes()))
}

/// Pages a list that was loaded whole: the marker is the offset of the next item.
///
/// # Errors
/// `InvalidInput` for a marker this server did not hand out.
pub(crate) fn page_of<T>(
    items: Vec<T>,
    marker: Option<&str>,
    max: i64,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match marker {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|s| *s <= items.len())
            .ok_or_else(|| AwsError::new(ErrorKind::InvalidInput, "Invalid Marker."))?,
    };
    let max = usize::try_from(max).unwrap_or(100);
    let end = start.saturating_add(max).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((
        items.into_iter().skip(start).take(end - start).collect(),
        next,
    ))
}

/// Writes `IsTruncated` and `Marker`.
pub(crate) fn truncation(w: &mut XmlWriter, next: Option<&str>) {
    w.bool("IsTruncated", next.is_some());
    if let Some(m) = marker(next) {
        w.elem("Marker", &m);
    }
}

/// Epoch seconds as an ISO 8601 timestamp.
pub(crate) fn iso(epoch: i64) -> String {
    rolecall_wire::iso8601(
        OffsetDateTime::from_unix_timestamp(epoch).unwrap_or(OffsetDateTime::UNIX_EPOCH),
    )
}

/// Percent-encodes a policy document as IAM returns them.
pub(crate) fn url_encode(text: &str) -> String {
    rolecall_sigv4::uri_encode(text, false)
}
