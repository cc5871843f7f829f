//! The SMTP capture server's (maildev's) mail: the messages for an address,
//! waiting for them, and the tokens in their links.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::maildev_url;

/// Every message the capture server holds for `address`.
pub async fn emails_to(address: &str) -> Vec<Value> {
    let url = format!("{}/email", maildev_url());
    let r = reqwest::Client::new()
        .get(url)
        .query(&[("to.address", address)])
        .send()
        .await
        .expect("the SMTP capture server's API answers (start it, or run bash .ci/run)");
    r.json().await.unwrap()
}

/// The capture server's messages for each of `addresses` (one request).
pub async fn emails_by_recipient(
    addresses: &[String],
) -> std::collections::HashMap<String, Vec<Value>> {
    let all: Vec<Value> = reqwest::get(format!("{}/email", maildev_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut out: std::collections::HashMap<String, Vec<Value>> =
        addresses.iter().map(|a| (a.clone(), Vec::new())).collect();
    for m in all {
        if let Some(to) = m["to"][0]["address"].as_str() {
            if let Some(list) = out.get_mut(to) {
                list.push(m);
            }
        }
    }
    out
}

/// Waits until `n` messages for `address` have arrived and returns them.
pub async fn wait_for_emails(address: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let emails = emails_to(address).await;
        if emails.len() >= n {
            return emails;
        }
        assert!(
            Instant::now() < deadline,
            "expected {n} emails to {address}, got {}",
            emails.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The token in the first `…/subscriptions/{action}?token=…` link of a text.
pub fn link_token(text: &str, action: &str) -> String {
    let marker = format!("/subscriptions/{action}?token=");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no {action} link in {text}"))
        + marker.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// The confirmation token of the one email `address` received.
pub async fn confirm_token_for(address: &str) -> String {
    let emails = wait_for_emails(address, 1).await;
    link_token(emails[0]["text"].as_str().unwrap(), "confirm")
}
