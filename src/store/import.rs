//! The SQL of a bulk import. A batch of rows is written in one write
//! transaction with a fixed handful of multi-row statements (on PostgreSQL,
//! one statement for the subscribers, subscriptions and consent), so a large
//! file costs round trips per batch rather than per row (on PostgreSQL the
//! difference between seconds and minutes).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::queue::NewMessage;
use super::{both, erased_hash, BeginWrite, Result, Store, SubscriberRow};
use crate::domain::{SubscriberEmail, SubscriberName};

/// The most rows [`Store::import_batch`] takes at once on SQLite: big
/// enough that per-transaction costs vanish, small enough that a batch holds
/// SQLite's single write lock for only milliseconds, so signups are not kept
/// waiting.
pub const IMPORT_BATCH: usize = 1000;

/// The most rows a batch takes on PostgreSQL, where writers don't queue on
/// one lock: five times SQLite's, as each batch's fixed costs (a commit's
/// WAL flush, planning, round trips) are then a few percent of its time.
pub const IMPORT_BATCH_PG: usize = 5000;

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

/// A confirmation to queue for one imported address.
#[derive(Debug)]
pub struct Confirmation {
    /// Hash of the token that the message's link carries.
    pub token_hash: String,
    pub message: NewMessage,
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

/// A batch's distinct rows, and what they become.
struct Fresh<'a> {
    newsletter_id: i64,
    rows: &'a [&'a ImportRow],
    /// [`erased_hash`] of each row's address, in the same order.
    hashes: &'a [String],
    state: &'a str,
    action: &'a str,
    note: Option<&'a str>,
    now: DateTime<Utc>,
    confirmed_at: Option<DateTime<Utc>>,
    /// Whether the caller needs the imported subscribers themselves (a
    /// pending import mails them), or only how many there were.
    want_subscribers: bool,
}

/// What [`ImportConn::write_rows`] wrote.
struct Written {
    /// Subscriptions added.
    imported: u64,
    /// (id, email, confirm_sent_at) of each subscriber whose subscription
    /// was added; filled only when asked for.
    subscribers: Vec<(i64, String, Option<DateTime<Utc>>)>,
}

/// The dialect-specific heart of a batch, run inside its transaction: skips
/// erased addresses and ones already subscribed to the newsletter, then
/// writes each remaining row's subscriber (new, or known from another
/// newsletter, whose name is kept as a signup keeps it), its subscription
/// and its consent_log row. A subscription that appeared meanwhile (a signup
/// racing the import) wins: DO NOTHING, and the row counts as skipped.
trait ImportConn {
    async fn write_rows(self, batch: &Fresh<'_>) -> anyhow::Result<Written>;
}

/// SQLite: a few statements reading the batch as JSON (see [`json_rows`]);
/// round trips are function calls here, so splitting costs nothing.
impl ImportConn for &mut sqlx::SqliteConnection {
    async fn write_rows(self, b: &Fresh<'_>) -> anyhow::Result<Written> {
        let emails: Vec<&str> = b.rows.iter().map(|r| r.email.as_str()).collect();
        let erased: HashSet<String> = sqlx::query_scalar(
            "SELECT email_hash FROM erased WHERE email_hash IN (SELECT value FROM json_each($1))",
        )
        .persistent(false)
        .bind(json(&b.hashes)?)
        .fetch_all(&mut *self)
        .await?
        .into_iter()
        .collect();
        // Driven by the batch's addresses (the email index), never by the
        // newsletter's subscriptions, which may be millions.
        let subscribed: HashSet<String> = sqlx::query_scalar(
            "SELECT sub.email FROM subscribers sub \
             WHERE sub.email IN (SELECT value FROM json_each($2)) AND EXISTS \
             (SELECT 1 FROM subscriptions s WHERE s.subscriber_id = sub.id AND s.newsletter_id = $1)",
        )
        .persistent(false)
        .bind(b.newsletter_id)
        .bind(json(&emails)?)
        .fetch_all(&mut *self)
        .await?
        .into_iter()
        .collect();
        let fresh: Vec<(&str, Option<&str>)> = b
            .rows
            .iter()
            .zip(b.hashes)
            .filter(|(r, h)| !erased.contains(*h) && !subscribed.contains(r.email.as_str()))
            .map(|(r, _)| {
                (
                    r.email.as_str(),
                    r.name.as_ref().map(SubscriberName::as_str),
                )
            })
            .collect();
        if fresh.is_empty() {
            return Ok(Written {
                imported: 0,
                subscribers: Vec::new(),
            });
        }
        // `WHERE true` keeps SQLite from reading ON CONFLICT as a join's ON.
        let subscribers: Vec<(i64, String, Option<DateTime<Utc>>)> = sqlx::query_as(
            "INSERT INTO subscribers (email, name, created_at) \
             SELECT value->>0, value->>1, $1 FROM json_each($2) WHERE true \
             ON CONFLICT (email) DO UPDATE SET name = COALESCE(subscribers.name, excluded.name) \
             RETURNING id, email, confirm_sent_at",
        )
        .persistent(false)
        .bind(b.now)
        .bind(json(&fresh)?)
        .fetch_all(&mut *self)
        .await?;
        let ids: Vec<i64> = subscribers.iter().map(|s| s.0).collect();
        let imported: HashSet<i64> = sqlx::query_scalar(
            "INSERT INTO subscriptions \
             (subscriber_id, newsletter_id, status, created_at, updated_at, confirmed_at) \
             SELECT CAST(value AS BIGINT), $1, $2, $3, $3, $4 FROM json_each($5) WHERE true \
             ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING RETURNING subscriber_id",
        )
        .persistent(false)
        .bind(b.newsletter_id)
        .bind(b.state)
        .bind(b.now)
        .bind(b.confirmed_at)
        .bind(json(&ids)?)
        .fetch_all(&mut *self)
        .await?
        .into_iter()
        .collect();
        if imported.is_empty() {
            return Ok(Written {
                imported: 0,
                subscribers: Vec::new(),
            });
        }
        let imported_ids: Vec<i64> = ids.into_iter().filter(|id| imported.contains(id)).collect();
        sqlx::query(
            "INSERT INTO consent_log (subscriber_id, newsletter_id, action, at, form, note) \
             SELECT CAST(value AS BIGINT), $1, $2, $3, 'import', $4 FROM json_each($5)",
        )
        .persistent(false)
        .bind(b.newsletter_id)
        .bind(b.action)
        .bind(b.now)
        .bind(b.note)
        .bind(json(&imported_ids)?)
        .execute(&mut *self)
        .await?;
        Ok(Written {
            imported: imported.len() as u64,
            subscribers: subscribers
                .into_iter()
                .filter(|s| b.want_subscribers && imported.contains(&s.0))
                .collect(),
        })
    }
}

/// The batch as a table on PostgreSQL: its columns bound as three arrays
/// (sent in binary, so nothing is escaped or parsed as JSON) and spread
/// back into rows by `unnest`.
const PG_BATCH: &str =
    "SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS b (email, name, email_hash)";

/// PostgreSQL: the whole batch in one statement, whose data-modifying CTEs
/// feed each other's `RETURNING` rows: one round trip and one plan for
/// every table, where each extra round trip would cost a context switch on
/// each side. The checks, as on SQLite, are driven by the batch's
/// addresses (the email and erased indexes), never by the newsletter's
/// subscriptions, which may be millions: each check is a `LATERAL`
/// subquery on the row's own values, which can only be probed row by row
/// through the indexes. (As `NOT EXISTS`, the planner was free to make it
/// an anti join, and until the tables were big it picked a hash of every
/// subscription of the newsletter, built afresh for each batch: a
/// million-row import got slower batch by batch, 0.2 s to 0.7 s, until
/// the plan flipped half-way. `NOT EXISTS (… OFFSET 0)` kept the probes
/// but cost half as much again as the whole batch.)
impl ImportConn for &mut sqlx::PgConnection {
    async fn write_rows(self, b: &Fresh<'_>) -> anyhow::Result<Written> {
        let result = if b.want_subscribers {
            "SELECT sub.id, sub.email, sub.confirm_sent_at FROM sub JOIN added ON added.subscriber_id = sub.id"
        } else {
            "SELECT count(*) FROM added"
        };
        let sql = format!(
            "WITH batch AS ({PG_BATCH}), \
             fresh AS (SELECT b.email, b.name FROM batch b \
               LEFT JOIN LATERAL (SELECT true AS hit FROM erased e \
                 WHERE e.email_hash = b.email_hash LIMIT 1) erased ON true \
               LEFT JOIN LATERAL (SELECT true AS hit FROM subscribers sub JOIN subscriptions s \
                 ON s.subscriber_id = sub.id AND s.newsletter_id = $4 \
                 WHERE sub.email = b.email LIMIT 1) subscribed ON true \
               WHERE erased.hit IS NULL AND subscribed.hit IS NULL), \
             sub AS (INSERT INTO subscribers (email, name, created_at) \
               SELECT email, name, $5 FROM fresh \
               ON CONFLICT (email) DO UPDATE SET name = COALESCE(subscribers.name, excluded.name) \
               RETURNING id, email, confirm_sent_at), \
             added AS (INSERT INTO subscriptions \
               (subscriber_id, newsletter_id, status, created_at, updated_at, confirmed_at) \
               SELECT id, $4, $6, $5, $5, $7 FROM sub \
               ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING RETURNING subscriber_id), \
             consent AS (INSERT INTO consent_log (subscriber_id, newsletter_id, action, at, form, note) \
               SELECT subscriber_id, $4, $8, $5, 'import', $9 FROM added) \
             {result}"
        );
        let emails: Vec<&str> = b.rows.iter().map(|r| r.email.as_str()).collect();
        let names: Vec<Option<&str>> = b
            .rows
            .iter()
            .map(|r| r.name.as_ref().map(SubscriberName::as_str))
            .collect();
        let query = sqlx::query(&sql)
            .persistent(false)
            .bind(&emails)
            .bind(&names)
            .bind(b.hashes)
            .bind(b.newsletter_id)
            .bind(b.now)
            .bind(b.state)
            .bind(b.confirmed_at)
            .bind(b.action)
            .bind(b.note);
        if b.want_subscribers {
            let subscribers: Vec<(i64, String, Option<DateTime<Utc>>)> = query
                .try_map(|row| sqlx::FromRow::from_row(&row))
                .fetch_all(&mut *self)
                .await?;
            Ok(Written {
                imported: subscribers.len() as u64,
                subscribers,
            })
        } else {
            let imported: i64 = query
                .try_map(|row: sqlx::postgres::PgRow| sqlx::Row::try_get(&row, 0))
                .fetch_one(&mut *self)
                .await?;
            Ok(Written {
                imported: imported as u64,
                subscribers: Vec::new(),
            })
        }
    }
}

impl Store {
    /// The most rows [`Store::import_batch`] takes at once here:
    /// [`IMPORT_BATCH`] on SQLite, [`IMPORT_BATCH_PG`] on PostgreSQL.
    pub fn import_batch_rows(&self) -> usize {
        match self {
            Store::Sqlite(_) => IMPORT_BATCH,
            Store::Postgres(_) => IMPORT_BATCH_PG,
        }
    }

    /// Imports up to [`Store::import_batch_rows`] rows into newsletter
    /// `newsletter_id` in one transaction. Repeated addresses after the
    /// first, erased ones and ones already subscribed there (even
    /// unsubscribed: an import never resurrects a reader who left) are
    /// skipped and left untouched. For a pending import `render` builds each
    /// confirmation from the address and the names of every newsletter it
    /// has pending, exactly as a signup's.
    pub async fn import_batch(
        &self,
        newsletter_id: i64,
        rows: &[ImportRow],
        status: &ImportStatus<'_>,
        now: DateTime<Utc>,
        mut render: impl FnMut(&str, &[String]) -> anyhow::Result<Confirmation>,
    ) -> anyhow::Result<BatchOutcome> {
        let most = self.import_batch_rows();
        anyhow::ensure!(rows.len() <= most, "an import batch is at most {most} rows");
        let total = rows.len() as u64;
        let mut seen = HashSet::with_capacity(rows.len());
        let rows: Vec<&ImportRow> = rows
            .iter()
            .filter(|r| seen.insert(r.email.as_str()))
            .collect();
        if rows.is_empty() {
            return Ok(BatchOutcome {
                skipped: total,
                ..Default::default()
            });
        }
        let (state, action, note, confirmed_at) = match status {
            ImportStatus::Pending { .. } => ("pending", "requested", None, None),
            ImportStatus::Confirmed { note } => ("confirmed", "confirmed", Some(*note), Some(now)),
        };
        let hashes: Vec<String> = rows.iter().map(|r| erased_hash(r.email.as_str())).collect();
        let fresh = Fresh {
            newsletter_id,
            rows: &rows,
            hashes: &hashes,
            state,
            action,
            note,
            now,
            confirmed_at,
            want_subscribers: matches!(status, ImportStatus::Pending { .. }),
        };
        let texts = |n| json_rows(self, n, true);
        let arrays = |n| json_rows(self, n, false);
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
            let written = (&mut *tx).write_rows(&fresh).await?;
            let skipped = total - written.imported;
            if written.imported == 0 {
                tx.commit().await?;
                return Ok(BatchOutcome { skipped, ..Default::default() });
            }

            let mut queued = 0;
            if let ImportStatus::Pending { cooldown, confirm_ttl } = status {
                let due: Vec<(i64, &str)> = written
                    .subscribers
                    .iter()
                    .filter(|(_, _, sent)| sent.is_none_or(|t| t + *cooldown <= now))
                    .map(|(id, email, _)| (*id, email.as_str()))
                    .collect();
                if !due.is_empty() {
                    let due_ids: Vec<i64> = due.iter().map(|d| d.0).collect();
                    let due_json = json(&due_ids)?;
                    let mut pending: HashMap<i64, Vec<String>> = HashMap::new();
                    let names: Vec<(i64, String, String)> = sqlx::query_as(&pending_sql)
                        .persistent(false)
                        .bind(&due_json)
                        .fetch_all(&mut *tx)
                        .await?;
                    for (id, status, name) in names {
                        if status == "pending" {
                            pending.entry(id).or_default().push(name);
                        }
                    }
                    let mut confirmations = Vec::with_capacity(due.len());
                    for (id, email) in &due {
                        let names = pending.get(id).map(Vec::as_slice).unwrap_or_default();
                        confirmations.push((*id, render(email, names)?));
                    }
                    let tokens: Vec<(&str, i64)> = confirmations
                        .iter()
                        .map(|(id, c)| (c.token_hash.as_str(), *id))
                        .collect();
                    sqlx::query(&tokens_sql)
                        .persistent(false)
                        .bind(now)
                        .bind(now + *confirm_ttl)
                        .bind(json(&tokens)?)
                        .execute(&mut *tx)
                        .await?;
                    for (id, c) in &confirmations {
                        c.message.insert(&mut *tx, Some(*id), now).await?;
                    }
                    sqlx::query(&sent_sql)
                        .persistent(false)
                        .bind(now)
                        .bind(&due_json)
                        .execute(&mut *tx)
                        .await?;
                    queued = confirmations.len() as u64;
                }
            }
            tx.commit().await?;
            Ok(BatchOutcome { imported: written.imported, skipped, queued })
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
        status: Option<&str>,
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
        Ok(both!(self, p => sqlx::query_as(&sql)
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
