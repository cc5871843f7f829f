//! Bulk import of subscribers from CSV, shared by the admin API and
//! `herald import`.
//!
//! The file is never held whole: [`super::csv_rows`] parses it on a
//! blocking thread and hands batches of rows to the async side, which
//! writes each batch in one transaction. Memory stays flat whatever the
//! file's size; duplicates across batches need no in-memory set, since the
//! second occurrence finds the first already subscribed.

use std::collections::HashSet;
use std::io::Read;

use chrono::Utc;
use serde::Serialize;
use tokio::sync::mpsc;

use super::csv_rows::{parse, Batch, InvalidRow, ParseError};
use crate::app::{App, Error};
use crate::domain::{token, ConsentNote};
use crate::email::confirmation_message;
use crate::store::{Confirmation, ImportBatch, ImportRow, ImportStatus, Newsletter};

/// At most this many invalid rows are listed in a summary; the rest are
/// only counted (`invalid_total`), so a garbage file can't bloat the answer.
pub const MAX_INVALID_LISTED: usize = 1000;

/// Imports of at least this many rows refresh the database's planner
/// statistics when they finish (see [`Store::analyze_after_import`]).
const ANALYZE_AFTER: u64 = 10_000;

/// Whether imported rows are pending or already confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Each address gets a confirmation email, as for a signup.
    Pending,
    /// They agreed elsewhere; `note` records how (GDPR art. 7 evidence).
    Confirmed { note: String },
}

impl Mode {
    /// Confirmed imports need a consent note; without `confirmed` the note
    /// is not used.
    pub fn new(confirmed: bool, consent: Option<&str>) -> Result<Self, Error> {
        if !confirmed {
            return Ok(Mode::Pending);
        }
        let note = ConsentNote::parse(
            consent,
            "say how these people consented (`consent`) to import them as confirmed",
        )?;
        Ok(Mode::Confirmed {
            note: note.as_str().to_string(),
        })
    }
}

/// The answer to an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub imported: u64,
    /// Repeats within the file, addresses already subscribed (in any
    /// status) and erased addresses.
    pub skipped: u64,
    /// The first [`MAX_INVALID_LISTED`] invalid rows.
    pub invalid: Vec<InvalidRow>,
    pub invalid_total: u64,
    /// Addresses left out because they are suppressed (they bounced or
    /// complained)…
    pub suppressed: u64,
    /// …the first [`MAX_INVALID_LISTED`] of them.
    pub suppressed_addresses: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file isn't one we can import (no header, no `email` column, a
    /// record too long); batches before it stay imported.
    #[error("{0}")]
    Csv(String),
    /// Reading the input failed; batches before it stay imported.
    #[error("reading the file failed after {imported} rows were imported: {source}")]
    Read {
        source: std::io::Error,
        imported: u64,
    },
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Everything an import needs besides its input.
pub struct Importer<'a> {
    pub app: &'a App,
    pub newsletter: &'a Newsletter,
    pub mode: Mode,
}

/// Rounds of rendering confirmations again before a batch gives up.
const MAX_RENDERS: usize = 4;

impl Importer<'_> {
    /// Imports every row of `input`. Each batch is its own transaction, so a
    /// failure part-way keeps the batches before it; importing the same file
    /// again skips them.
    pub async fn run<R: Read + Send + 'static>(&self, input: R) -> Result<Summary, ImportError> {
        let (tx, mut rx) = mpsc::channel(2);
        let parser = tokio::task::spawn_blocking(move || parse(input, &tx));
        let status = match &self.mode {
            Mode::Pending => ImportStatus::Pending {
                cooldown: chrono::Duration::from_std(self.app.config.resend_cooldown)
                    .map_err(anyhow::Error::from)?,
                confirm_ttl: chrono::Duration::from_std(self.app.config.confirm_ttl)
                    .map_err(anyhow::Error::from)?,
            },
            Mode::Confirmed { note } => ImportStatus::Confirmed { note },
        };
        let mut summary = Summary::default();
        while let Some(batch) = rx.recv().await {
            let started = std::time::Instant::now();
            let Batch { rows, invalid } = batch;
            summary.invalid_total += invalid.len() as u64;
            let room = MAX_INVALID_LISTED.saturating_sub(summary.invalid.len());
            summary.invalid.extend(invalid.into_iter().take(room));
            let rows = self.without_suppressed(rows, &mut summary).await?;
            let outcome = self.write(&rows, &status).await?;
            summary.imported += outcome.imported;
            summary.skipped += outcome.skipped;
            tracing::debug!(
                rows = rows.len(),
                imported = outcome.imported,
                ms = started.elapsed().as_millis() as u64,
                "import batch written"
            );
            if outcome.queued > 0 {
                self.app.mail_queued();
            }
        }
        match parser.await {
            Ok(Ok(())) => {
                if summary.imported >= ANALYZE_AFTER {
                    if let Err(e) = self.app.store.analyze_after_import().await {
                        tracing::warn!(error = %e, "refreshing statistics after the import failed");
                    }
                }
                tracing::info!(
                    newsletter = %self.newsletter.slug,
                    imported = summary.imported,
                    skipped = summary.skipped,
                    invalid = summary.invalid_total,
                    "import finished"
                );
                Ok(summary)
            }
            Ok(Err(ParseError::Csv(message))) => Err(ImportError::Csv(match summary.imported {
                0 => message,
                n => format!("{message} ({n} rows before it were imported)"),
            })),
            Ok(Err(ParseError::Read(source))) => Err(ImportError::Read {
                source,
                imported: summary.imported,
            }),
            Err(e) => Err(ImportError::Store(anyhow::anyhow!(
                "the CSV parser failed: {e}"
            ))),
        }
    }

    /// The batch without its suppressed addresses, which the summary
    /// reports instead.
    async fn without_suppressed(
        &self,
        mut rows: Vec<ImportRow>,
        summary: &mut Summary,
    ) -> anyhow::Result<Vec<ImportRow>> {
        let emails: Vec<&str> = rows.iter().map(|r| r.email.as_str()).collect();
        let suppressed: HashSet<String> = self
            .app
            .store
            .suppressed_among(&emails)
            .await?
            .into_iter()
            .collect();
        if suppressed.is_empty() {
            return Ok(rows);
        }
        rows.retain(|r| {
            if !suppressed.contains(r.email.as_str()) {
                return true;
            }
            summary.suppressed += 1;
            if summary.suppressed_addresses.len() < MAX_INVALID_LISTED {
                summary.suppressed_addresses.push(r.email.as_str().to_string());
            }
            false
        });
        Ok(rows)
    }

    /// Writes one batch; a pending import's confirmations are rendered
    /// first, for this newsletter alone, and again for the rows whose
    /// addresses turn out to have others pending too.
    async fn write(
        &self,
        rows: &[ImportRow],
        status: &ImportStatus<'_>,
    ) -> anyhow::Result<crate::store::BatchOutcome> {
        let mut confirmations = match status {
            ImportStatus::Pending { .. } => {
                let expected = [self.newsletter.name.clone()];
                rows.iter()
                    .map(|r| self.confirmation(r.email.as_str(), &expected))
                    .collect::<anyhow::Result<Vec<_>>>()?
            }
            ImportStatus::Confirmed { .. } => Vec::new(),
        };
        for _ in 0..MAX_RENDERS {
            let batch = self
                .app
                .store
                .import_batch(
                    self.newsletter.id,
                    rows,
                    status,
                    &self.app.erasure,
                    Utc::now(),
                    &confirmations,
                )
                .await?;
            match batch {
                ImportBatch::Written(outcome) => return Ok(outcome),
                ImportBatch::Stale(stale) => {
                    for (i, names) in stale {
                        confirmations[i] = self.confirmation(rows[i].email.as_str(), &names)?;
                    }
                }
            }
        }
        anyhow::bail!("the addresses' pending newsletters kept changing during the import")
    }

    /// A fresh token and the confirmation that carries it, as a signup's.
    fn confirmation(&self, email: &str, pending: &[String]) -> anyhow::Result<Confirmation> {
        let raw = token::generate();
        let message = confirmation_message(
            &self.app.templates,
            &self.app.config,
            email,
            &self.app.links.confirm_url(&raw),
            pending,
            std::slice::from_ref(self.newsletter),
        )?;
        Ok(Confirmation {
            token_hash: token::hash(&raw),
            message,
            expected: pending.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_is_required_for_confirmed_imports() {
        assert_eq!(Mode::new(false, None).unwrap(), Mode::Pending);
        assert_eq!(
            Mode::new(true, Some("  ")).unwrap_err().code(),
            "consent_required"
        );
        assert_eq!(
            Mode::new(true, Some("a\u{0}")).unwrap_err().code(),
            "invalid_consent"
        );
        assert_eq!(
            Mode::new(true, Some(" fair ")).unwrap(),
            Mode::Confirmed {
                note: "fair".into()
            }
        );
    }
}
