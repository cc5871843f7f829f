//! The SQL of a bulk import. A batch of rows is written in one write
//! transaction with a fixed handful of multi-row statements, so a large file
//! costs round trips per batch rather than per row (on PostgreSQL the
//! difference between seconds and minutes).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::queue::NewMessage;
use super::{both, BeginWrite, Result, Store, SubscriberRow};
use crate::domain::erasure::ErasureKey;
use crate::domain::SubscriptionStatus;
use crate::domain::{SubscriberEmail, SubscriberName};

/// The most rows [`Store::import_batch`] takes at once: big enough that
/// per-transaction costs vanish, small enough that a batch holds SQLite's
/// single write lock for only milliseconds, so signups are not kept waiting.
pub const IMPORT_BATCH: usize = 1000;

/// One parsed row of an import file.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Its line in the file, for error reports.
    pub line: u64,
    pub email: SubscriberEmail,
    pub name: Option<SubscriberName>,
}

/// What the imported subscriptions become.
#[derive(Debug, Clone)]
pub enum ImportStatus<'a> {
    /// Pending, with a confirmation email as for a signup (at most one per
    /// address per `cooldown`).
    Pending {
        cooldown: chrono::Duration,
        confirm_ttl: chrono::Duration,
    },
    /// Confirmed at once: they agreed elsewhere, as `note` records.
    Confirmed { note: &'a str },
}

/// A confirmation to queue for one imported address, rendered before the
/// write for the newsletters in `expected`.
#[derive(Debug)]
pub struct Confirmation {
    /// Hash of the token that the message's link carries.
    pub token_hash: String,
    pub message: NewMessage,
    /// The names of the pending newsletters the message names, in id order.
    pub expected: Vec<String>,
}

/// What became of an import batch.
#[derive(Debug)]
pub enum ImportBatch {
    Written(BatchOutcome),
    /// Nothing written: these rows' addresses have other newsletters
    /// pending than their confirmations name (row index, the names).
    Stale(Vec<(usize, Vec<String>)>),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub imported: u64,
    /// Erased addresses and ones already subscribed (in any status).
    pub skipped: u64,
    /// Confirmation emails queued.
    pub queued: u64,
}

/// A JSON array bound as parameter `$n`, as a table with one `value`
/// column per element: each row of a batch is an element, so a statement
/// has a fixed text and a few parameters whatever the batch's size. (A
/// `VALUES` list of a parameter per field costs SQLite time quadratic in
/// the number of parameters, and changes the statement text per size.)
/// `texts` gives plain text elements; otherwise elements are arrays,
/// read with `value->>0`, `value->>1`.
fn json_rows(store: &Store, n: u8, texts: bool) -> String {
    match (store, texts) {
        (Store::Sqlite(_), _) => format!("json_each(${n})"),
        (Store::Postgres(_), true) => format!("jsonb_array_elements_text(${n}::jsonb)"),
        (Store::Postgres(_), false) => format!("jsonb_array_elements(${n}::jsonb)"),
    }
}

fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string(value)?)
}

impl Store {
    /// Imports up to [`IMPORT_BATCH`] rows into newsletter `newsletter_id` in
    /// one transaction. Repeated addresses after the first, erased ones and
    /// ones already subscribed there (even unsubscribed: an import never
    /// resurrects a reader who left) are skipped and left untouched. A
    /// pending import queues `confirmations[i]` for row `i`, unless the
    /// address has other newsletters pending than it names: then nothing is
    /// written, and the answer says which rows to render again.
    pub async fn import_batch(
        &self,
        newsletter_id: i64,
        rows: &[ImportRow],
        status: &ImportStatus<'_>,
        erasure: &ErasureKey,
        now: DateTime<Utc>,
        confirmations: &[Confirmation],
    ) -> anyhow::Result<ImportBatch> {
        anyhow::ensure!(
            rows.len() <= IMPORT_BATCH,
            "an import batch is at most {IMPORT_BATCH} rows"
        );
        anyhow::ensure!(
            matches!(status, ImportStatus::Confirmed { .. }) || confirmations.len() == rows.len(),
            "a pending import needs a confirmation per row"
        );
        let total = rows.len() as u64;
        if rows.is_empty() {
            return Ok(ImportBatch::Written(BatchOutcome::default()));
        }
        // Each address's first row, by index.
        let mut first: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            first.entry(r.email.as_str()).or_insert(i);
        }
        let mut firsts: Vec<usize> = first.values().copied().collect();
        firsts.sort_unstable();
        let rows: Vec<&ImportRow> = firsts.iter().map(|&i| &rows[i]).collect();
        let (state, action, note, confirmed_at) = match status {
            ImportStatus::Pending { .. } => ("pending", "requested", None, None),
            ImportStatus::Confirmed { note } => ("confirmed", "confirmed", Some(*note), Some(now)),
        };
        // Both forms of each address, side by side: row i has 2i and 2i+1.
        let hashes: Vec<String> = rows
            .iter()
            .flat_map(|r| erasure.forms(r.email.as_str()))
            .collect();
        let emails: Vec<&str> = rows.iter().map(|r| r.email.as_str()).collect();
        let (hashes_json, emails_json) = (json(&hashes)?, json(&emails)?);
        let texts = |n| json_rows(self, n, true);
        let arrays = |n| json_rows(self, n, false);
        let erased_sql = format!(
            "SELECT email_hash FROM erased WHERE email_hash IN (SELECT value FROM {})",
            texts(1)
        );
        // Driven by the batch's addresses (the email index), never by the
        // newsletter's subscriptions, which may be millions.
        let subscribed_sql = format!(
            "SELECT sub.email FROM subscribers sub \
             WHERE sub.email IN (SELECT value FROM {}) AND EXISTS \
             (SELECT 1 FROM subscriptions s WHERE s.subscriber_id = sub.id AND s.newsletter_id = $1)",
            texts(2)
        );
        // `WHERE true` keeps SQLite from reading ON CONFLICT as a join's ON.
        let subscribers_sql = format!(
            "INSERT INTO subscribers (email, name, created_at) \
             SELECT value->>0, value->>1, $1 FROM {} WHERE true \
             ON CONFLICT (email) DO UPDATE SET name = COALESCE(subscribers.name, excluded.name) \
             RETURNING id, email, confirm_sent_at",
            arrays(2)
        );
        let subscriptions_sql = format!(
            "INSERT INTO subscriptions \
             (subscriber_id, newsletter_id, status, created_at, updated_at, confirmed_at) \
             SELECT CAST(value AS BIGINT), $1, $2, $3, $3, $4 FROM {} WHERE true \
             ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING RETURNING subscriber_id",
            texts(5)
        );
        let consent_sql = format!(
            "INSERT INTO consent_log (subscriber_id, newsletter_id, action, at, form, note) \
             SELECT CAST(value AS BIGINT), $1, $2, $3, 'import', $4 FROM {}",
            texts(5)
        );
        let pending_sql = format!(
            "SELECT s.subscriber_id, s.status, n.name FROM subscriptions s \
             JOIN newsletters n ON n.id = s.newsletter_id \
             WHERE n.archived_at IS NULL AND s.subscriber_id IN (SELECT CAST(value AS BIGINT) FROM {}) \
             ORDER BY s.subscriber_id, n.id",
            texts(1)
        );
        let tokens_sql = format!(
            "INSERT INTO tokens (token_hash, purpose, subscriber_id, created_at, expires_at) \
             SELECT value->>0, 'confirm', CAST(value->>1 AS BIGINT), $1, $2 FROM {}",
            arrays(3)
        );
        let sent_sql = format!(
            "UPDATE subscribers SET confirm_sent_at = $1 \
             WHERE id IN (SELECT CAST(value AS BIGINT) FROM {})",
            texts(2)
        );
        // Every statement is planned afresh (`persistent(false)`): a cached
        // PostgreSQL statement switches to a generic plan after five runs,
        // and one made while the tables were small (a seq scan) stays while
        // the import grows them to millions of rows. Planning costs well
        // under a millisecond a batch.
        both!(self, p => {
            let mut tx = p.begin_write().await?;

            let erased: HashSet<String> = sqlx::query_scalar(AssertSqlSafe(erased_sql))
                .persistent(false)
                .bind(&hashes_json)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
            let subscribed: HashSet<String> = sqlx::query_scalar(AssertSqlSafe(subscribed_sql))
                .persistent(false)
                .bind(newsletter_id)
                .bind(&emails_json)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
            let fresh: Vec<(&str, Option<&str>)> = rows
                .iter()
                .zip(hashes.chunks(2))
                .filter(|(r, h)| !h.iter().any(|h| erased.contains(h)) && !subscribed.contains(r.email.as_str()))
                .map(|(r, _)| (r.email.as_str(), r.name.as_ref().map(SubscriberName::as_str)))
                .collect();
            if fresh.is_empty() {
                tx.commit().await?;
                return Ok(ImportBatch::Written(BatchOutcome { skipped: total, ..Default::default() }));
            }

            // The subscribers, new or known from other newsletters (whose
            // name is kept, as a signup keeps it).
            let subscribers: Vec<(i64, String, Option<DateTime<Utc>>)> =
                sqlx::query_as(AssertSqlSafe(subscribers_sql))
                    .persistent(false)
                    .bind(now)
                    .bind(json(&fresh)?)
                    .fetch_all(&mut *tx)
                    .await?;
            let ids: Vec<i64> = subscribers.iter().map(|s| s.0).collect();

            // A subscription that appeared meanwhile (a signup racing the
            // import) wins: DO NOTHING, and the row counts as skipped.
            let imported: HashSet<i64> = sqlx::query_scalar(AssertSqlSafe(subscriptions_sql))
                .persistent(false)
                .bind(newsletter_id)
                .bind(state)
                .bind(now)
                .bind(confirmed_at)
                .bind(json(&ids)?)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
            let skipped = total - imported.len() as u64;
            if imported.is_empty() {
                tx.commit().await?;
                return Ok(ImportBatch::Written(BatchOutcome { skipped, ..Default::default() }));
            }
            let imported_ids: Vec<i64> = ids.iter().copied().filter(|id| imported.contains(id)).collect();
            sqlx::query(AssertSqlSafe(consent_sql))
                .persistent(false)
                .bind(newsletter_id)
                .bind(action)
                .bind(now)
                .bind(note)
                .bind(json(&imported_ids)?)
                .execute(&mut *tx)
                .await?;

            let mut queued = 0;
            if let ImportStatus::Pending { cooldown, confirm_ttl } = status {
                let due: Vec<(i64, &str)> = subscribers
                    .iter()
                    .filter(|(id, _, sent)| {
                        imported.contains(id) && sent.is_none_or(|t| t + *cooldown <= now)
        })
                            .map(|(id, email, _)| (*id, email.as_str()))
                            .collect();
                        if !due.is_empty() {
                            let due_ids: Vec<i64> = due.iter().map(|d| d.0).collect();
                            let due_json = json(&due_ids)?;
                            let mut pending: HashMap<i64, Vec<String>> = HashMap::new();
                            let names: Vec<(i64, SubscriptionStatus, String)> = sqlx::query_as(AssertSqlSafe(pending_sql))
        .persistent(false)
                                .bind(&due_json)
                                .fetch_all(&mut *tx)
                                .await?;
                            for (id, status, name) in names {
                                if status == SubscriptionStatus::Pending {
                                    pending.entry(id).or_default().push(name);
                                }
                            }
                            let mut stale = Vec::new();
                            let mut chosen = Vec::with_capacity(due.len());
                            for (id, email) in &due {
                                let names = pending.remove(id).unwrap_or_default();
                                let i = first[email];
                                if names != confirmations[i].expected {
                                    stale.push((i, names));
                                }
                                chosen.push((*id, &confirmations[i]));
                            }
                            if !stale.is_empty() {
                                return Ok(ImportBatch::Stale(stale));
                            }
                            let confirmations = chosen;
                            let tokens: Vec<(&str, i64)> = confirmations
                                .iter()
                                .map(|(id, c)| (c.token_hash.as_str(), *id))
                                .collect();
                            sqlx::query(AssertSqlSafe(tokens_sql))
        .persistent(false)
                                .bind(now)
                                .bind(now + *confirm_ttl)
                                .bind(json(&tokens)?)
                                .execute(&mut *tx)
                                .await?;
                            for (id, c) in &confirmations {
                                c.message.insert(&mut *tx, Some(*id), now).await?;
                            }
                            sqlx::query(AssertSqlSafe(sent_sql))
        .persistent(false)
                                .bind(now)
                                .bind(&due_json)
                                .execute(&mut *tx)
                                .await?;
                            queued = confirmations.len() as u64;
                        }
                    }
                    tx.commit().await?;
                    Ok(ImportBatch::Written(BatchOutcome { imported: imported.len() as u64, skipped, queued }))
                })
    }
}

impl Store {
    /// A page of an export: up to `limit` of the newsletter's subscriptions
    /// (with `status`, if given) after subscription id `after`, in id order.
    ///
    /// Unlike a listing, an export walks every page, so each must cost the
    /// same however deep it is. With a status the (newsletter, status, id)
    /// index serves the range directly. Without one, SQLite's planner would
    /// take that index for the newsletter and sort all its rows for every
    /// page (quadratic over an export); the unary `+` steers it to the
    /// primary key's range instead, so the whole export is one pass over
    /// the table. PostgreSQL's planner weighs this itself, given statistics
    /// (see [`Store::analyze_after_import`]) and a plan made for each page's
    /// own values rather than a cached generic one.
    pub async fn export_page(
        &self,
        newsletter_id: i64,
        status: Option<SubscriptionStatus>,
        after: i64,
        limit: u32,
    ) -> Result<Vec<SubscriberRow>> {
        let filter = match (self, status) {
            (_, Some(_)) => "s.newsletter_id = $1 AND s.status = $2",
            (Store::Sqlite(_), None) => "+s.newsletter_id = $1 AND $2 IS NULL",
            (Store::Postgres(_), None) => "s.newsletter_id = $1 AND $2::text IS NULL",
        };
        let sql = format!(
            "SELECT s.id, sub.email, sub.name, s.status, s.created_at, s.confirmed_at, s.unsubscribed_at \
             FROM subscriptions s JOIN subscribers sub ON sub.id = s.subscriber_id \
             WHERE {filter} AND s.id > $3 ORDER BY s.id LIMIT $4"
        );
        Ok(both!(self, p => sqlx::query_as(AssertSqlSafe(sql))
            .persistent(false)
            .bind(newsletter_id)
            .bind(status)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)?)
    }
}

impl Store {
    /// Refreshes PostgreSQL's planner statistics after a bulk load, as its
    /// manual advises: until autovacuum gets round to it (if it runs at
    /// all), tables that grew from thousands to millions of rows keep the
    /// estimates of the small ones, and an export or a digest may pick a
    /// plan that reads everything per page. SQLite's planner uses no
    /// statistics here, so nothing is done there.
    pub async fn analyze_after_import(&self) -> Result<()> {
        if let Store::Postgres(p) = self {
            sqlx::query("ANALYZE subscribers, subscriptions, consent_log")
                .execute(p)
                .await?;
        }
        Ok(())
    }
}
