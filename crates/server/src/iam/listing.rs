//! The account-wide listings (ListUsers, ListGroups, ListRoles, ListInstanceProfiles,
//! ListPolicies): a path prefix and the operation's own filters, `Marker`/`MaxItems` paging,
//! authorization on the account's resource type, one page from the store, and its members.

use std::pin::Pin;

use rolecall_store::{Page, StoreError};
use rolecall_wire::{AwsError, XmlWriter};

use crate::call::{Call, Reply, truncation};
use crate::errors::store_failure;

/// Writing one member of a listing (boxed so that the handler's future stays `Send`).
pub(crate) type Written<'a> = Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>>;

/// One validated request for a page of an account-wide listing.
#[derive(Debug)]
pub(crate) struct PageRequest<F> {
    /// `PathPrefix` (`/` when absent).
    pub(crate) prefix: String,
    /// Where the page starts, decoded from `Marker`.
    pub(crate) marker: Option<String>,
    /// `MaxItems`.
    pub(crate) max: i64,
    /// The operation's own filters.
    pub(crate) filters: F,
}

/// Runs an account-wide listing under `PathPrefix` with the operation's own `filters`. The
/// caller is authorized for the operation on `arn:aws:iam::ACCOUNT:{resource_type}/`,
/// `fetch` reads the page, and `member` writes each item inside `<element><member>`.
///
/// # Errors
/// Validation, authorization, the store, or `member`.
pub(crate) async fn list_by_path<F, T>(
    call: &Call<'_>,
    resource_type: &str,
    element: &str,
    filters: F,
    fetch: impl AsyncFnOnce(PageRequest<F>) -> Result<Page<T>, StoreError>,
    mut member: impl for<'a> FnMut(&'a Call<'a>, &'a mut XmlWriter, &'a T) -> Written<'a>,
) -> Reply {
    let prefix = super::path_prefix(call);
    let (marker, max) = call.paging();
    let resource = rolecall_arn::Arn::iam(call.account(), resource_type, "/", "").to_string();
    call.authorize(call.op.iam_action(), &resource, &resource)?;
    let page = fetch(PageRequest {
        prefix,
        marker,
        max,
        filters,
    })
    .await
    .map_err(store_failure)?;
    let mut w = XmlWriter::new();
    w.open(element);
    for item in &page.items {
        w.open("member");
        member(call, &mut w, item).await?;
        w.close("member");
    }
    w.close(element);
    truncation(&mut w, page.next.as_deref());
    Ok(Some(w))
}
