//! A newsletter's subscribers as CSV, one page of rows at a time, so an
//! export of millions never holds them all.

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::Stream;

use super::status_filter;
use crate::app::{App, Error, Result};
use crate::domain::cells;
use crate::store::{Newsletter, SubscriberRow};

/// Rows per page of an export (the list route's maximum).
pub const EXPORT_PAGE: u32 = 1000;

const EXPORT_HEADER: [&str; 6] = [
    "email",
    "name",
    "status",
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
];

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// One page of rows as CSV (with the header first when `header`).
fn csv_page(rows: &[SubscriberRow], header: bool) -> Result<Bytes> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 96 + 64));
    let mut write = || -> csv::Result<()> {
        if header {
            w.write_record(EXPORT_HEADER)?;
        }
        for r in rows {
            w.write_record([
                &*cells::inert(r.email.as_str()),
                &*cells::inert(r.name.as_deref().unwrap_or_default()),
                r.status.as_str(),
                &time(Some(r.created_at)),
                &time(r.confirmed_at),
                &time(r.unsubscribed_at),
            ])?;
        }
        Ok(())
    };
    write().map_err(anyhow::Error::from)?;
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Bytes::from(bytes))
}

/// The newsletter and its subscribers (with `status`, if given) as a stream
/// of CSV pages. Refusals come before the first page; a database failure
/// later ends the stream with an error (and is logged).
pub async fn export(
    app: &App,
    slug: &str,
    status: Option<&str>,
) -> Result<(
    Newsletter,
    impl Stream<Item = Result<Bytes, Error>> + 'static,
)> {
    let status = status_filter(status)?;
    let newsletter = app.store.newsletter_by_slug(slug).await?;
    let (store, newsletter_id) = (app.store.clone(), newsletter.id);
    // State: the cursor, or None once the last page went out.
    let pages = futures_util::stream::try_unfold(Some(0i64), move |after| {
        let store = store.clone();
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let rows = store
                .export_page(newsletter_id, status, after, EXPORT_PAGE)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "export failed part-way");
                    Error::from(e)
                })?;
            let bytes = csv_page(&rows, after == 0)?;
            // A short page is the last one.
            let next = match rows.last() {
                Some(last) if rows.len() == EXPORT_PAGE as usize => Some(last.id),
                _ => None,
            };
            Ok::<_, Error>(Some((bytes, next)))
        }
    });
    Ok((newsletter, pages))
}
