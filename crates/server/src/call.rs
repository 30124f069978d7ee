//! One request being handled: the caller, the parameters, and helpers that validate input,
//! authorize, and shape the response, so that handlers read as the operation's logic.

use rolecall_policy::Context;
use rolecall_wire::{AwsError, Constraint, ErrorKind, Params, Validator, XmlWriter};
use time::OffsetDateTime;

use crate::app::App;
use crate::authz::{CallerPolicies, decide};
use crate::ops::Op;
use crate::principal::Principal;

/// A handler's answer: the content of the `…Result` element, or `None` for operations
/// without output.
pub(crate) type Reply = Result<Option<XmlWriter>, AwsError>;

/// Model patterns used by several operations.
pub(crate) mod patterns {
    pub(crate) const NAME: &str = r"[\w+=,.@-]+";
    pub(crate) const PATH: &str = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)";
    pub(crate) const PATH_PREFIX: &str = r"\u002F[\u0021-\u007F]*";
    pub(crate) const POLICY_PATH: &str = r"((/[A-Za-z0-9\.,\+@=_-]+)*)/";
    pub(crate) const DOCUMENT: &str = r"[\u0009\u000A\u000D\u0020-\u00FF]+";
    pub(crate) const TAG_KEY: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
    pub(crate) const TAG_VALUE: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";
    pub(crate) const ACCESS_KEY_ID: &str = r"[\w]+";
    pub(crate) const SERIAL: &str = r"[\w+=/:,.@-]+";
    pub(crate) const DESCRIPTION: &str = r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*";
}

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

fn camel(param: &str) -> String {
    let mut c = param.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

impl Call<'_> {
    /// The raw value of a parameter.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// Validates one string parameter with the model's constraints.
    pub(crate) fn check(
        &self,
        v: &mut Validator,
        name: &str,
        required: bool,
        min: usize,
        max: usize,
        pattern: Option<&'static str>,
    ) {
        let mut cs = vec![Constraint::MinLen(min), Constraint::MaxLen(max)];
        if let Some(p) = pattern {
            cs.push(Constraint::Pattern(p));
        }
        v.string(&camel(name), self.get(name), required, &cs);
    }

    /// A required string parameter that was already validated.
    pub(crate) fn req(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }

    /// An integer parameter.
    pub(crate) fn int(&self, v: &mut Validator, name: &str, min: i64, max: i64) -> Option<i64> {
        let raw = self.get(name)?;
        if let Ok(n) = raw.trim().parse::<i64>() {
            v.int_range(&camel(name), Some(n), min, max);
            Some(n)
        } else {
            v.custom(format!(
                "Value '{raw}' at '{}' failed to satisfy constraint: Member must be a number",
                camel(name)
            ));
            None
        }
    }

    /// A boolean parameter (`true`/`false`).
    pub(crate) fn boolean(&self, v: &mut Validator, name: &str) -> Option<bool> {
        match self.get(name)? {
            "true" => Some(true),
            "false" => Some(false),
            other => {
                v.custom(format!("Value '{other}' at '{}' failed to satisfy constraint: Member must be a boolean", camel(name)));
                None
            }
        }
    }

    /// `Marker` and `MaxItems` (1..1000, default 100).
    pub(crate) fn paging(&self, v: &mut Validator) -> (Option<String>, i64) {
        self.check(v, "Marker", false, 1, 320, Some(r"[\u0020-\u00FF]+"));
        let max = self.int(v, "MaxItems", 1, 1000).unwrap_or(100);
        let marker = self.get("Marker").map(|m| {
            data_encoding::BASE64URL_NOPAD
                .decode(m.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default()
        });
        (marker, max)
    }

    /// Tags given as `Tags.member.N.Key/Value`, validated.
    pub(crate) fn tags(&self, v: &mut Validator) -> Result<Vec<(String, String)>, AwsError> {
        let raw = self.params.struct_list("Tags", &["Key", "Value"])?;
        if raw.len() > rolecall_store::MAX_TAGS {
            v.custom(format!("Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to {}", rolecall_store::MAX_TAGS));
        }
        let mut out = Vec::with_capacity(raw.len());
        for (i, fields) in raw.into_iter().enumerate() {
            let n = i + 1;
            let key = fields[0].clone();
            let value = fields[1].clone().unwrap_or_default();
            v.string(
                &format!("tags.{n}.member.key"),
                key.as_deref(),
                true,
                &[
                    Constraint::MinLen(1),
                    Constraint::MaxLen(128),
                    Constraint::Pattern(patterns::TAG_KEY),
                ],
            );
            v.string(
                &format!("tags.{n}.member.value"),
                Some(&value),
                false,
                &[
                    Constraint::MaxLen(256),
                    Constraint::Pattern(patterns::TAG_VALUE),
                ],
            );
            if let Some(k) = key {
                if out
                    .iter()
                    .any(|(ek, _): &(String, String)| ek.eq_ignore_ascii_case(&k))
                {
                    return Err(AwsError::new(
                        ErrorKind::InvalidInput,
                        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
                    ));
                }
                out.push((k, value));
            }
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
