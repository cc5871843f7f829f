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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> anyhow::Result<BounceSettings> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        BounceSettings::parse(|k| map.get(k).cloned())
    }

    #[test]
    fn bounce_settings_are_checked_and_the_password_hidden() {
        let s = parse(&[
            ("bounce_domain", "@Bounces.Example.com"),
            ("bounce_listen", "127.0.0.1:2525"),
            ("webhook_user", "pm"),
            ("webhook_password", "hunter2-secret"),
            ("sns_topic_arns", "arn:a, arn:b ,"),
        ])
        .unwrap();
        assert_eq!(s.domain.as_deref(), Some("bounces.example.com"));
        assert_eq!(s.sns_topics, ["arn:a", "arn:b"]);
        assert!(!format!("{s:?}").contains("hunter2"));
        for bad in [
            vec![("bounce_domain", "not a domain")],
            vec![("bounce_domain", "localhost")],
            vec![("bounce_listen", "127.0.0.1:2525")],
            vec![("bounce_domain", "b.example"), ("bounce_listen", "nowhere")],
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
        assert!(parse(&[]).unwrap().domain.is_none());
    }
}
