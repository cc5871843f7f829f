//! Bounce and complaint settings: the VERP domain and its SMTP listener,
//! and the provider webhooks' credentials.

use std::path::PathBuf;

use anyhow::{bail, Context};
use secrecy::SecretString;

#[derive(Debug, Clone, Default)]
pub struct BounceSettings {
    /// `bounce_domain`: envelope senders become `bounces+TOKEN@domain`.
    pub domain: Option<String>,
    /// `bounce_listen`: where the bounce SMTP listener accepts reports.
    pub listen: Option<String>,
    /// `webhook_user` / `webhook_password`: HTTP Basic credentials of
    /// `POST /webhooks/postmark`; without both, it answers 401.
    pub webhook_user: Option<String>,
    pub webhook_password: Option<SecretString>,
    /// `sns_test_cert_file`: FOR TESTS ONLY. The SNS signing certificate is
    /// read from this PEM file instead of fetched from `SigningCertURL`
    /// (whose host is still checked first).
    pub sns_test_cert_file: Option<PathBuf>,
    /// `sns_topic_arns`: when set, `POST /webhooks/ses` takes notifications
    /// of these topics only (comma-separated ARNs).
    pub sns_topics: Vec<String>,
}

impl BounceSettings {
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let domain = get("bounce_domain")
            .map(|d| {
                let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
                let valid = !d.is_empty()
                    && d.contains('.')
                    && d.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
                if !valid {
                    bail!("invalid `bounce_domain`: a domain name like bounces.example.com");
                }
                Ok(d)
            })
            .transpose()?;
        let listen = get("bounce_listen");
        if let Some(addr) = &listen {
            addr.parse::<std::net::SocketAddr>()
                .context("invalid `bounce_listen`: an address and port like 0.0.0.0:25")?;
            if domain.is_none() {
                bail!("`bounce_listen` needs `bounce_domain`: the domain it accepts mail for");
            }
        }
        Ok(Self {
            domain,
            listen,
            webhook_user: get("webhook_user"),
            webhook_password: get("webhook_password").map(SecretString::from),
            sns_test_cert_file: get("sns_test_cert_file").map(PathBuf::from),
            sns_topics: get("sns_topic_arns")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}
