//! Signups, coalesced: the signups that arrive while one is being written
//! wait in a queue, and the next writer takes them all into one transaction
//! of a few multi-row statements ([`Store::signup_batch`]). Under a burst that turns hundreds of
//! small transactions a second into a few dozen larger ones; a signup on
//! its own is written at once, as a batch of one.
//!
//! Each signup keeps its meaning: the subscriber, a pending subscription
//! per newsletter (unsubscribed ones become pending again, confirmed ones
//! stay), the consent log and — unless the address had a confirmation
//! within the cooldown — one token and one queued email, rendered by the
//! signup's `render` before the write, for the newsletters it expects to be
//! pending. Should the address have others pending too, the store writes
//! nothing and says so; the email is rendered again for those names and
//! the batch written again.
//! One address never appears twice in a batch, so two signups of one
//! address see each other's cooldown as before: concurrent batches
//! serialise on the subscriber row (taken in address order, so two batches
//! can't deadlock), SQLite's single writer runs them in turn. A batch that
//! fails is rolled back and its signups written one at a time, so one bad
//! signup never takes others with it.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::store::{ConsentContext, NewMessage, SignupBatch, SignupOutcome, SignupWrite, Store};

/// Builds the confirmation email from the names of the newsletters still
/// pending; called before the signup queues, and again should those names
/// turn out otherwise.
pub type Render = Box<dyn Fn(&[String]) -> anyhow::Result<NewMessage> + Send + Sync>;

/// Rounds of rendering again before a batch gives up (each round means
/// another signup changed the address's pending newsletters meanwhile).
const MAX_RENDERS: usize = 4;

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
    /// address will have pending, and what its email is first rendered for.
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
        let mut jobs: Vec<Prepared> = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        for w in batch {
            jobs.push(w.job);
            replies.push(w.reply);
        }
        match write_batch(&self.store, &mut jobs).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(e) if jobs.len() > 1 => {
                tracing::warn!(error = %format!("{e:#}"), signups = jobs.len(),
                    "a batch of signups failed; writing them one at a time");
                for (job, reply) in jobs.into_iter().zip(replies) {
                    let mut one = [job];
                    let result = write_batch(&self.store, &mut one)
                        .await
                        .map(|outcomes| outcomes[0]);
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(anyhow::anyhow!("{e:#}")));
                }
            }
        }
    }
}

/// Writes one batch, rendering again the emails of addresses whose pending
/// newsletters differ from what was expected.
async fn write_batch(store: &Store, jobs: &mut [Prepared]) -> anyhow::Result<Vec<SignupOutcome>> {
    for _ in 0..MAX_RENDERS {
        let writes: Vec<SignupWrite<'_>> = jobs
            .iter()
            .map(|p| SignupWrite {
                email: &p.job.email,
                name: p.job.name.as_deref(),
                newsletter_ids: &p.job.newsletter_ids,
                cooldown: p.job.cooldown,
                confirm_ttl: p.job.confirm_ttl,
                token_hash: &p.job.token_hash,
                consent: &p.job.consent,
                expected: &p.job.expected,
                message: &p.email,
            })
            .collect();
        match store.signup_batch(&writes).await? {
            SignupBatch::Written(outcomes) => return Ok(outcomes),
            SignupBatch::Stale(stale) => {
                for (i, names) in stale {
                    let p = &mut jobs[i];
                    p.email = (p.job.render)(&names)?;
                    p.job.expected = names;
                }
            }
        }
    }
    anyhow::bail!("the addresses' pending newsletters kept changing while the signups were written")
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
