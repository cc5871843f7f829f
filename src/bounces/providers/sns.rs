//! Amazon SNS message signatures: the canonical string of the message's
//! fields (in the order the SNS documentation gives for its type), signed
//! with RSA (PKCS #1 v1.5) over SHA1 (`SignatureVersion` 1) or SHA256 (2)
//! by the key of the certificate at `SigningCertURL`.
//!
//! The certificate is fetched only from `https://sns.<region>.amazonaws.com`
//! (anything else is refused before any request), and cached by URL.
//! `sns_test_cert_file` (for tests only) reads it from a file instead,
//! after the same URL check. The key is only used to verify, never to
//! decrypt, so `rsa`'s timing advisory (RUSTSEC-2023-0071) does not apply;
//! verification is done by ring.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use serde::Deserialize;
use x509_cert::der::{Decode, DecodePem};
use x509_cert::Certificate;

use super::WebhookError;
use crate::config::BounceSettings;

/// The largest certificate read.
const MAX_CERT: usize = 64 * 1024;

/// The fields of an SNS HTTP(S) message that matter here.
#[derive(Debug, Deserialize)]
pub struct SnsMessage {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "MessageId")]
    pub message_id: String,
    #[serde(rename = "TopicArn")]
    pub topic_arn: String,
    #[serde(rename = "Subject", default)]
    pub subject: Option<String>,
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "Timestamp")]
    pub timestamp: String,
    #[serde(rename = "SignatureVersion")]
    pub signature_version: String,
    #[serde(rename = "Signature")]
    pub signature: String,
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
    #[serde(rename = "SubscribeURL", default)]
    pub subscribe_url: Option<String>,
    #[serde(rename = "Token", default)]
    pub token: Option<String>,
}

fn unauthorized(why: &str) -> WebhookError {
    WebhookError::Unauthorized(format!("SNS signature refused: {why}"))
}

/// The string SNS signs: `Name\nvalue\n` for each field of the type's list.
pub fn canonical(m: &SnsMessage) -> Result<String, WebhookError> {
    let mut fields: Vec<(&str, Option<&str>)> = vec![
        ("Message", Some(&m.message)),
        ("MessageId", Some(&m.message_id)),
    ];
    match m.kind.as_str() {
        "Notification" => {
            fields.push(("Subject", m.subject.as_deref()));
            fields.push(("Timestamp", Some(&m.timestamp)));
        }
        "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
            fields.push(("SubscribeURL", m.subscribe_url.as_deref()));
            fields.push(("Timestamp", Some(&m.timestamp)));
            let token = m
                .token
                .as_deref()
                .ok_or_else(|| WebhookError::Invalid("a confirmation without Token".into()))?;
            fields.push(("Token", Some(token)));
        }
        other => return Err(WebhookError::Invalid(format!("unknown SNS Type {other}"))),
    }
    fields.push(("TopicArn", Some(&m.topic_arn)));
    fields.push(("Type", Some(&m.kind)));
    Ok(fields
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}\n{v}\n")))
        .collect())
}

/// Whether `url` is an SNS signing certificate's: https on
/// `sns.<region>.amazonaws.com` (or `.amazonaws.com.cn`), default port.
pub fn is_sns_cert_url(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    let region = host
        .strip_prefix("sns.")
        .and_then(|h| {
            h.strip_suffix(".amazonaws.com")
                .or_else(|| h.strip_suffix(".amazonaws.com.cn"))
        })
        .unwrap_or("");
    u.scheme() == "https"
        && u.port().is_none()
        && u.username().is_empty()
        && !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && u.path().ends_with(".pem")
}

/// Checks `m`'s signature, its certificate URL and (when configured) its
/// topic.
pub async fn verify(settings: &BounceSettings, m: &SnsMessage) -> Result<(), WebhookError> {
    if !settings.sns_topics.is_empty() && !settings.sns_topics.contains(&m.topic_arn) {
        return Err(unauthorized("the topic is not one of sns_topic_arns"));
    }
    let algorithm: &'static ring::signature::RsaParameters = match m.signature_version.as_str() {
        "1" => &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        "2" => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        _ => return Err(unauthorized("unknown SignatureVersion")),
    };
    if !is_sns_cert_url(&m.signing_cert_url) {
        return Err(unauthorized("the certificate URL is not an SNS one"));
    }
    let signature = base64::engine::general_purpose::STANDARD
        .decode(m.signature.trim())
        .map_err(|_| unauthorized("the signature is not base64"))?;
    let text = canonical(m)?;
    let key = public_key(settings, &m.signing_cert_url).await?;
    ring::signature::UnparsedPublicKey::new(algorithm, &key)
        .verify(text.as_bytes(), &signature)
        .map_err(|_| unauthorized("the signature does not match"))
}

/// Certificates' RSA keys (PKCS #1 DER) by URL.
fn cache() -> &'static Mutex<HashMap<String, Vec<u8>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

async fn public_key(settings: &BounceSettings, url: &str) -> Result<Vec<u8>, WebhookError> {
    let pem = match &settings.sns_test_cert_file {
        Some(path) => tokio::fs::read(path)
            .await
            .map_err(|e| anyhow::anyhow!("reading sns_test_cert_file: {e}"))?,
        None => {
            if let Some(key) = cache().lock().expect("not poisoned").get(url) {
                return Ok(key.clone());
            }
            fetch(url).await?
        }
    };
    let cert = Certificate::from_pem(&pem)
        .or_else(|_| Certificate::from_der(&pem))
        .map_err(|_| unauthorized("the signing certificate does not parse"))?;
    let key = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| unauthorized("the certificate's key does not parse"))?
        .to_vec();
    if settings.sns_test_cert_file.is_none() {
        let mut cache = cache().lock().expect("not poisoned");
        if cache.len() > 32 {
            cache.clear();
        }
        cache.insert(url.to_string(), key.clone());
    }
    Ok(key)
}

async fn fetch(url: &str) -> Result<Vec<u8>, WebhookError> {
    let failed = |e: &dyn std::fmt::Display| {
        tracing::warn!(error = %e, "fetching the SNS signing certificate failed");
        unauthorized("the signing certificate could not be fetched")
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .https_only(true)
        .build()
        .map_err(|e| failed(&e))?;
    let response = client
        .get(url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| failed(&e))?;
    if response
        .content_length()
        .is_some_and(|n| n > MAX_CERT as u64)
    {
        return Err(failed(&"too large"));
    }
    let body = response.bytes().await.map_err(|e| failed(&e))?;
    if body.len() > MAX_CERT {
        return Err(failed(&"too large"));
    }
    Ok(body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sns_hosts_over_https() {
        for good in [
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/x.pem",
        ] {
            assert!(is_sns_cert_url(good), "{good}");
        }
        for bad in [
            "http://sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.amazonaws.com/x.pem",
            "https://sns.a.b.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com:8443/x.pem",
            "https://u@sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com/x.txt",
            "not a url",
        ] {
            assert!(!is_sns_cert_url(bad), "{bad}");
        }
    }
}
