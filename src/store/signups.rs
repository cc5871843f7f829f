//! Signups, coalesced: the signups that arrive while one is being written
//! wait in a queue, and the next writer takes them all into one transaction
//! of a few multi-row statements. Under a burst that turns hundreds of
//! small transactions a second into a few dozen larger ones; a signup on
//! its own is written at once, as a batch of one.
//!
//! Each signup keeps its meaning: the subscriber, a pending subscription
//! per newsletter (unsubscribed ones become pending again, confirmed ones
//! stay), the consent log and — unless the address had a confirmation
//! within the cooldown — one token and one queued email, built by the
//! signup's `render` from the names of every newsletter still pending.
//! One address never appears twice in a batch, so two signups of one
//! address see each other's cooldown as before: concurrent batches
//! serialise on the subscriber row (taken in address order, so two batches
//! can't deadlock), SQLite's single writer runs them in turn. A batch that
//! fails is rolled back and its signups written one at a time, so one bad
//! signup never takes others with it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use tokio::sync::oneshot;

use super::queue::{NewMessage, QueueConn};
use super::subscriptions::{ConsentContext, SignupOutcome};
use super::{both, BeginWrite, Store};

/// Builds the confirmation email from the names of the newsletters still
/// pending; may be called again if the batch is retried.
pub type Render = Box<dyn Fn(&[String]) -> anyhow::Result<NewMessage> + Send + Sync>;

/// One signup, owned so that a writer task can carry it.
pub struct SignupJob {
    /// The parsed, normalised address.
    pub email: String,
    pub name: Option<String>,
    /// Distinct newsletter ids (at least one).
    pub newsletter_ids: Vec<i64>,
    pub cooldown: chrono::Duration,
    pub confirm_ttl: chrono::Duration,
    /// Hash of the confirmation token that goes into the email, if one is sent.
    pub token_hash: String,
    pub consent: ConsentContext,
    pub render: Render,
    /// The names of the newsletters asked for, in id order: what a new
    /// address will have pending. Its email is rendered before the signup
    /// queues, outside the write; the batch renders again only if the
    /// address turns out to have other newsletters pending.
    pub expected: Vec<String>,
}

/// A job with its email rendered in advance.
struct Prepared {
    job: SignupJob,
    email: NewMessage,
}

/// At most this many signups, and this many subscription rows, per batch
/// (well under either database's bind-parameter limit).
const MAX_BATCH: usize = 64;
const MAX_ROWS: usize = 1024;

/// The signup queue; cheap to clone.
#[derive(Clone)]
pub struct Signups {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    queue: Mutex<Queue>,
    /// Writers at once: SQLite has one writer anyway; PostgreSQL overlaps
    /// a few batches' round trips.
    max_writers: usize,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Waiting>,
    writers: usize,
}

struct Waiting {
    job: Prepared,
    reply: oneshot::Sender<anyhow::Result<SignupOutcome>>,
}

impl Signups {
    pub fn new(store: Store) -> Self {
        let max_writers = match store {
            Store::Sqlite(_) => 1,
            Store::Postgres(_) => 4,
        };
        Signups {
            inner: Arc::new(Inner {
                store,
                queue: Mutex::default(),
                max_writers,
            }),
        }
    }

    /// Records the signup and answers once its batch has committed. The
    /// write runs in its own task: a caller that goes away doesn't cancel
    /// it, nor anyone else's signup in the same batch.
    pub async fn submit(&self, mut job: SignupJob) -> anyhow::Result<SignupOutcome> {
        let mut seen = HashSet::new();
        job.newsletter_ids.retain(|id| seen.insert(*id));
        anyhow::ensure!(
            !job.newsletter_ids.is_empty(),
            "a signup names a newsletter"
        );
        let email = (job.render)(&job.expected)?;
        let job = Prepared { job, email };
        let (reply, answer) = oneshot::channel();
        let start_writer = {
            let mut q = self.inner.queue.lock().expect("not poisoned");
            q.waiting.push_back(Waiting { job, reply });
            let start = q.writers < self.inner.max_writers;
            if start {
                q.writers += 1;
            }
            start
        };
        if start_writer {
            let inner = self.inner.clone();
            tokio::spawn(async move { inner.drain().await });
        }
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the signup writer stopped"))?
    }
}

/// A writer's place in the count. Given back under the queue's lock when
/// the writer finds the queue empty, or, if its task ends any other way (a
/// panic, a runtime shutting down), when dropped: the next signup then
/// starts another writer instead of waiting for one that is gone.
struct WriterSlot<'a> {
    inner: &'a Inner,
    held: bool,
}

impl Drop for WriterSlot<'_> {
    fn drop(&mut self) {
        if self.held {
            if let Ok(mut q) = self.inner.queue.lock() {
                q.writers -= 1;
            }
        }
    }
}

impl Inner {
    /// Writes batches until the queue is empty.
    async fn drain(self: Arc<Self>) {
        let mut slot = WriterSlot {
            inner: &self,
            held: true,
        };
        loop {
            let batch = {
                let mut q = self.queue.lock().expect("not poisoned");
                let batch = take_batch(&mut q.waiting);
                if batch.is_empty() {
                    q.writers -= 1;
                    slot.held = false;
                    return;
                }
                batch
            };
            self.write(batch).await;
        }
    }

    async fn write(&self, mut batch: Vec<Waiting>) {
        // Row locks in address order: two batches never wait on each other
        // in a circle.
        batch.sort_by(|a, b| a.job.job.email.cmp(&b.job.job.email));
        let jobs: Vec<&Prepared> = batch.iter().map(|w| &w.job).collect();
        match self.store.signup_batch(&jobs).await {
            Ok(outcomes) => {
                for (w, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = w.reply.send(Ok(outcome));
                }
            }
            Err(e) if batch.len() > 1 => {
                tracing::warn!(error = %format!("{e:#}"), signups = batch.len(),
                    "a batch of signups failed; writing them one at a time");
                for w in batch {
                    let result = self
                        .store
                        .signup_batch(&[&w.job])
                        .await
                        .map(|outcomes| outcomes[0]);
                    let _ = w.reply.send(result);
                }
            }
            Err(e) => {
                for w in batch {
                    let _ = w.reply.send(Err(anyhow::anyhow!("{e:#}")));
                }
            }
        }
    }
}

/// The next batch: waiting signups in order, each address once (a repeat
/// waits for the next batch, keeping its place), within the limits.
fn take_batch(waiting: &mut VecDeque<Waiting>) -> Vec<Waiting> {
    let mut batch = Vec::new();
    let mut repeats = Vec::new();
    let mut emails = HashSet::new();
    let mut rows = 0;
    while let Some(w) = waiting.pop_front() {
        let n = w.job.job.newsletter_ids.len();
        if batch.len() == MAX_BATCH || (!batch.is_empty() && rows + n > MAX_ROWS) {
            waiting.push_front(w);
            break;
        }
        if emails.insert(w.job.job.email.clone()) {
            rows += n;
            batch.push(w);
        } else {
            repeats.push(w);
        }
    }
    for w in repeats.into_iter().rev() {
        waiting.push_front(w);
    }
    batch
}

impl Store {
    /// Writes signups of distinct addresses in one transaction; the
    /// outcomes are in the order of `jobs`.
    async fn signup_batch(&self, prepared: &[&Prepared]) -> anyhow::Result<Vec<SignupOutcome>> {
        let now = Utc::now();
        let jobs: Vec<&SignupJob> = prepared.iter().map(|p| &p.job).collect();
        both!(self, p => {
            let mut tx = p.begin_write().await?;

            let mut qb = QueryBuilder::new("INSERT INTO subscribers (email, name, created_at) ");
            qb.push_values(&jobs, |mut b, j| {
                b.push_bind(j.email.as_str()).push_bind(j.name.as_deref()).push_bind(now);
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
                    by_email.get(&j.email).copied().ok_or_else(|| {
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
                   status = CASE WHEN subscriptions.status = 'unsubscribed' \
                            THEN 'pending' ELSE subscriptions.status END, \
                   updated_at = excluded.updated_at \
                 RETURNING subscriber_id, newsletter_id, status",
            );
            let statuses: HashMap<(i64, i64), String> = qb
                .build_query_as::<(i64, i64, String)>()
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|(sid, nid, status)| ((sid, nid), status))
                .collect();

            // The consent log, and who gets an email.
            let mut consents: Vec<(i64, i64, &ConsentContext)> = Vec::new();
            let mut emailed: Vec<usize> = Vec::new();
            for (i, (j, (sid, confirm_sent_at))) in jobs.iter().zip(&subscribers).enumerate() {
                let mut any_pending = false;
                for nid in &j.newsletter_ids {
                    if statuses.get(&(*sid, *nid)).map(String::as_str) == Some("pending") {
                        any_pending = true;
                        consents.push((*sid, *nid, &j.consent));
                    }
                }
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
                let rows: Vec<(i64, String, String)> =
                    qb.build_query_as().fetch_all(&mut *tx).await?;
                for (sid, status, name) in rows {
                    if status == "pending" {
                        names.entry(sid).or_default().push(name);
                    }
                }
                let rendered = emailed
                    .iter()
                    .zip(&ids)
                    .map(|(&i, sid)| {
                        let pending = names.get(sid).map(Vec::as_slice).unwrap_or_default();
                        Ok(if pending == jobs[i].expected.as_slice() {
                            None
                        } else {
                            Some((jobs[i].render)(pending)?)
                        })
                    })
                    .collect::<anyhow::Result<Vec<Option<NewMessage>>>>()?;
                let messages = emailed.iter().zip(&ids).zip(&rendered).map(|((&i, sid), r)| {
                    (r.as_ref().unwrap_or(&prepared[i].email), Some(*sid))
                });

                let mut qb = QueryBuilder::new(
                    "INSERT INTO tokens (token_hash, purpose, subscriber_id, created_at, expires_at) ",
                );
                qb.push_values(emailed.iter().zip(&ids), |mut b, (&i, sid)| {
                    b.push_bind(jobs[i].token_hash.as_str())
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
            Ok((0..jobs.len())
                .map(|i| SignupOutcome {
                    email_queued: emailed.contains(&i),
                })
                .collect())
        })
    }
}
