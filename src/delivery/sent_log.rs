//! Group commit of successful deliveries: every message sent while the
//! previous write was in progress is recorded by the next single statement,
//! so a fast relay costs one database write per batch, not per message.
//! Each sender still waits for its own outcome to be committed.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::Store;

/// The most messages one statement records.
const MAX_BATCH: usize = 1024;

struct Entry {
    id: i64,
    digest_id: Option<i64>,
    sent_at: DateTime<Utc>,
    done: oneshot::Sender<Result<(), String>>,
}

/// A handle on a worker's sent log; cheap to clone. The log's task ends
/// once every handle is dropped and what they recorded is committed.
#[derive(Clone)]
pub struct SentLog {
    tx: mpsc::UnboundedSender<Entry>,
}

impl SentLog {
    pub fn start(store: Store, worker: String) -> (SentLog, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(flush_loop(store, worker, rx));
        (SentLog { tx }, task)
    }

    /// Records `id` as sent and waits until that is committed.
    pub async fn record(
        &self,
        id: i64,
        digest_id: Option<i64>,
        sent_at: DateTime<Utc>,
    ) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Entry {
                id,
                digest_id,
                sent_at,
                done,
            })
            .map_err(|_| "the sent log has stopped".to_string())?;
        wait.await
            .unwrap_or_else(|_| Err("the sent log has stopped".to_string()))
    }
}

async fn flush_loop(store: Store, worker: String, mut rx: mpsc::UnboundedReceiver<Entry>) {
    let mut batch: Vec<Entry> = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        let ids: Vec<i64> = batch.iter().map(|e| e.id).collect();
        // One timestamp for the batch: the latest, so none is early.
        let sent_at = batch
            .iter()
            .map(|e| e.sent_at)
            .max()
            .unwrap_or_else(Utc::now);
        let result = super::record_outcome(|| store.mark_sent_many(&ids, &worker, sent_at))
            .await
            .map_err(|e| e.to_string());
        let digests: BTreeSet<i64> = batch.iter().filter_map(|e| e.digest_id).collect();
        for e in batch.drain(..) {
            let _ = e.done.send(result.clone());
        }
        if result.is_ok() {
            for d in digests {
                if let Err(e) = store.finish_digest_if_done(d, Utc::now()).await {
                    tracing::warn!(digest = d, error = %e, "updating the digest's status failed");
                }
            }
        }
    }
}
