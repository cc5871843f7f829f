//! The SQL of a batch of signups (see `signup::Signups`, which gathers
//! them): one transaction of a few multi-row statements whatever the
//! batch's size.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::queue::{NewMessage, QueueConn};
use super::subscriptions::{ConsentContext, SignupOutcome};
use super::{both, BeginWrite, Store};
use crate::domain::SubscriptionStatus;

/// One signup to write, its confirmation email already rendered.
pub struct SignupWrite<'a> {
    /// The parsed, normalised address.
    pub email: &'a str,
    pub name: Option<&'a str>,
    /// Distinct newsletter ids (at least one).
    pub newsletter_ids: &'a [i64],
    pub cooldown: chrono::Duration,
    pub confirm_ttl: chrono::Duration,
    /// Hash of the confirmation token that `message` carries.
    pub token_hash: &'a str,
    pub consent: &'a ConsentContext,
    /// The names of the newsletters `message` names, in id order.
    pub expected: &'a [String],
    pub message: &'a NewMessage,
}

/// What became of a batch.
#[derive(Debug)]
pub enum SignupBatch {
    /// Committed; the outcomes in the order of the writes.
    Written(Vec<SignupOutcome>),
    /// Nothing written: these writes' addresses have other newsletters
    /// pending than their emails name (index, the names to render for).
    Stale(Vec<(usize, Vec<String>)>),
}

impl Store {
    /// Writes signups of distinct addresses in one transaction, unless an
    /// email to queue names other newsletters than the address has pending.
    pub async fn signup_batch(&self, jobs: &[SignupWrite<'_>]) -> anyhow::Result<SignupBatch> {
        let now = Utc::now();
        both!(self, p => {
            let mut tx = p.begin_write().await?;

            let mut qb = QueryBuilder::new("INSERT INTO subscribers (email, name, created_at) ");
            qb.push_values(jobs, |mut b, j| {
                b.push_bind(j.email).push_bind(j.name).push_bind(now);
            });
            qb.push(
                " ON CONFLICT (email) DO UPDATE SET name = COALESCE(subscribers.name, excluded.name) \
                 RETURNING email, id, confirm_sent_at",
            );
            let rows: Vec<(String, i64, Option<DateTime<Utc>>)> =
                qb.build_query_as().fetch_all(&mut *tx).await?;
            let by_email: HashMap<String, (i64, Option<DateTime<Utc>>)> =
                rows.into_iter().map(|(e, id, sent)| (e, (id, sent))).collect();
            let subscribers = jobs
                .iter()
                .map(|j| {
                    by_email.get(j.email).copied().ok_or_else(|| {
                        anyhow::anyhow!("the subscriber upsert returned no row for an address")
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;

            let pairs: Vec<(i64, i64)> = jobs
                .iter()
                .zip(&subscribers)
                .flat_map(|(j, (sid, _))| j.newsletter_ids.iter().map(move |nid| (*sid, *nid)))
                .collect();
            let mut qb = QueryBuilder::new(
                "INSERT INTO subscriptions (subscriber_id, newsletter_id, status, created_at, updated_at) ",
            );
            qb.push_values(&pairs, |mut b, (sid, nid)| {
                b.push_bind(*sid)
                    .push_bind(*nid)
                    .push("'pending'")
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (subscriber_id, newsletter_id) DO UPDATE SET \
                   status = CASE WHEN subscriptions.status IN ('unsubscribed', 'bounced', 'complained') \
                            THEN 'pending' ELSE subscriptions.status END, \
                   updated_at = excluded.updated_at \
                 RETURNING subscriber_id, newsletter_id, status",
            );
            let statuses: HashMap<(i64, i64), SubscriptionStatus> = qb
                .build_query_as::<(i64, i64, SubscriptionStatus)>()
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|(sid, nid, status)| ((sid, nid), status))
                .collect();

            // The consent log, and who gets an email.
            let mut consents: Vec<(i64, i64, &ConsentContext)> = Vec::new();
            let mut emailed: Vec<usize> = Vec::new();
            let mut pending: Vec<bool> = Vec::with_capacity(jobs.len());
            for (i, (j, (sid, confirm_sent_at))) in jobs.iter().zip(&subscribers).enumerate() {
                let mut any_pending = false;
                for nid in j.newsletter_ids {
                    if statuses.get(&(*sid, *nid)) == Some(&SubscriptionStatus::Pending) {
                        any_pending = true;
                        consents.push((*sid, *nid, j.consent));
                    }
                }
                pending.push(any_pending);
                let cooled = confirm_sent_at.is_none_or(|t| t + j.cooldown <= now);
                if any_pending && cooled {
                    emailed.push(i);
                }
            }
            if !consents.is_empty() {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO consent_log \
                     (subscriber_id, newsletter_id, action, at, ip, user_agent, form, note) ",
                );
                qb.push_values(&consents, |mut b, (sid, nid, c)| {
                    b.push_bind(*sid)
                        .push_bind(*nid)
                        .push("'requested'")
                        .push_bind(now)
                        .push_bind(c.ip.as_deref())
                        .push_bind(c.user_agent.as_deref())
                        .push_bind(c.form.as_deref())
                        .push_bind(c.note.as_deref());
                });
                qb.build().execute(&mut *tx).await?;
            }

            if !emailed.is_empty() {
                let ids: Vec<i64> = emailed.iter().map(|&i| subscribers[i].0).collect();
                // The status is checked here, not in SQL: with an IN list
                // SQLite's planner would pick the (status, updated_at) index
                // and walk every pending subscription.
                let mut qb = QueryBuilder::new(
                    "SELECT s.subscriber_id, s.status, n.name FROM subscriptions s \
                     JOIN newsletters n ON n.id = s.newsletter_id \
                     WHERE n.archived_at IS NULL AND s.subscriber_id IN (",
                );
                let mut list = qb.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                list.push_unseparated(") ORDER BY s.subscriber_id, n.id");
                let mut names: HashMap<i64, Vec<String>> = HashMap::new();
                let rows: Vec<(i64, SubscriptionStatus, String)> =
                    qb.build_query_as().fetch_all(&mut *tx).await?;
                for (sid, status, name) in rows {
                    if status == SubscriptionStatus::Pending {
                        names.entry(sid).or_default().push(name);
                    }
                }
                let stale: Vec<(usize, Vec<String>)> = emailed
                    .iter()
                    .zip(&ids)
                    .filter_map(|(&i, sid)| {
                        let pending = names.remove(sid).unwrap_or_default();
                        (pending.as_slice() != jobs[i].expected).then_some((i, pending))
                    })
                    .collect();
                if !stale.is_empty() {
                    return Ok(SignupBatch::Stale(stale));
                }
                let messages = emailed
                    .iter()
                    .zip(&ids)
                    .map(|(&i, sid)| (jobs[i].message, Some(*sid)));

                let mut qb = QueryBuilder::new(
                    "INSERT INTO tokens (token_hash, purpose, subscriber_id, created_at, expires_at) ",
                );
                qb.push_values(emailed.iter().zip(&ids), |mut b, (&i, sid)| {
                    b.push_bind(jobs[i].token_hash)
                        .push("'confirm'")
                        .push_bind(*sid)
                        .push_bind(now)
                        .push_bind(now + jobs[i].confirm_ttl);
                });
                qb.build().execute(&mut *tx).await?;
                (&mut *tx).insert_messages(messages, now).await?;
                let mut qb = QueryBuilder::new("UPDATE subscribers SET confirm_sent_at = ");
                qb.push_bind(now).push(" WHERE id IN (");
                let mut list = qb.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                list.push_unseparated(")");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(SignupBatch::Written((0..jobs.len())
                .map(|i| SignupOutcome {
                    email_queued: emailed.contains(&i),
                    pending: pending[i],
                })
                .collect()))
        })
    }
}
