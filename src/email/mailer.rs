//! Where messages go: an SMTP relay (pooled lettre transport), `.eml` files
//! in an outbox folder when no SMTP URL is set, or memory for unit tests.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::Message;

use super::errors::SendError;
use super::{Dkim, SendRate};

pub enum Mailer {
    Smtp(super::smtp::SmtpPool),
    Outbox(PathBuf),
    Memory(Arc<Mutex<Vec<Message>>>),
    /// Signs each message with DKIM, then hands it to the inner mailer:
    /// one place, so SMTP and outbox mail alike is signed, and last, after
    /// every header is set.
    Signed(Box<Mailer>, Arc<Dkim>),
}

impl Mailer {
    /// An SMTP mailer for URLs like `smtp://user:pass@host:587?tls=required`.
    /// `ca_file` adds certificate authorities to trust beside the system's.
    pub fn smtp(
        url: &str,
        pool: u32,
        timeout: Duration,
        ca_file: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        Ok(Mailer::Smtp(super::smtp::SmtpPool::new(
            url, pool, timeout, ca_file,
        )?))
    }

    pub fn outbox(dir: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create outbox {}: {e}", dir.display()))?;
        Ok(Mailer::Outbox(dir))
    }

    /// Wraps this mailer so that everything it sends is DKIM-signed.
    pub fn signed(self, dkim: Dkim) -> Self {
        Mailer::Signed(Box::new(self), Arc::new(dkim))
    }

    pub async fn send(&self, message: &Message) -> Result<(), SendError> {
        self.send_limited(message, None).await
    }

    /// Sends, taking a slot from `rate` as late as possible (just before
    /// the SMTP transaction starts), so the server sees the limit kept.
    pub async fn send_limited(
        &self,
        message: &Message,
        rate: Option<&SendRate>,
    ) -> Result<(), SendError> {
        match self {
            Mailer::Signed(inner, dkim) => {
                // An RSA signature costs a millisecond or more of CPU: off the
                // async threads, so the SMTP conversations keep moving.
                let (dkim, mut signed) = (dkim.clone(), message.clone());
                let signed = tokio::task::spawn_blocking(move || {
                    dkim.sign(&mut signed);
                    signed
                })
                .await
                .map_err(|e| SendError {
                    code: None,
                    transient: false,
                    message: format!("DKIM signing failed: {e}"),
                })?;
                Box::pin(inner.send_limited(&signed, rate)).await
            }
            Mailer::Smtp(relay) => relay.send(message, rate).await,
            Mailer::Outbox(dir) => {
                if let Some(rate) = rate {
                    rate.acquire().await;
                }
                write_eml(dir, message).await.map_err(|e| SendError {
                    code: None,
                    transient: true,
                    message: format!("writing to the outbox failed: {e}"),
                })
            }
            Mailer::Memory(sent) => {
                sent.lock().expect("not poisoned").push(message.clone());
                Ok(())
            }
        }
    }
}

/// Writes `<outbox>/<time>-<message-id>.eml` through a temporary file, so a
/// reader never sees half a message.
/// Writes a file only its owner can read (mode 0600 on Unix): an `.eml`
/// holds an address and its personal links.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

async fn write_eml(dir: &std::path::Path, message: &Message) -> std::io::Result<()> {
    let id = message
        .headers()
        .get_raw("Message-ID")
        .unwrap_or("message")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect::<String>();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
    let name = format!("{stamp}-{id}.eml");
    let tmp = dir.join(format!(".{name}.tmp"));
    let dest = dir.join(name);
    let dir = dir.to_path_buf();
    let bytes = message.formatted();
    // One trip to the blocking pool, not one per file operation.
    tokio::task::spawn_blocking(move || {
        if let Err(e) = write_private(&tmp, &bytes) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(e);
            }
            // The folder went away since start-up: make it again.
            std::fs::create_dir_all(&dir)?;
            write_private(&tmp, &bytes)?;
        }
        std::fs::rename(&tmp, dest)
    })
    .await
    .map_err(std::io::Error::other)?
}
