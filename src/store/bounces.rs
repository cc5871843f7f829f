//! What a VERP token names: the queued message a bounce report returns.

use super::{both, Result, Store};

/// The message a report is about: who it went to, and what it was.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReturnedMessage {
    pub recipient: String,
    pub kind: String,
}

impl Store {
    pub async fn returned_message(&self, id: i64) -> Result<Option<ReturnedMessage>> {
        Ok(both!(self, p => sqlx::query_as::<_, ReturnedMessage>(
            "SELECT recipient, kind FROM messages WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(p)
        .await)?)
    }
}
