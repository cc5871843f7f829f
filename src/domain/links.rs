//! The links a reader follows from an email, built in one place: confirm
//! (a random token, stored hashed) and unsubscribe (signed, never stored).

use super::token::LinkSigner;

/// Builds and checks subscriber links under one absolute base URL.
#[derive(Clone)]
pub struct SubscriberLinks {
    base_url: String,
    signer: LinkSigner,
}

impl SubscriberLinks {
    pub fn new(base_url: &str, signer: LinkSigner) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            signer,
        }
    }

    /// The confirm page for a confirmation token.
    pub fn confirm_url(&self, raw_token: &str) -> String {
        format!("{}/subscriptions/confirm?token={raw_token}", self.base_url)
    }

    /// The signed token of one subscription's unsubscribe link.
    pub fn unsubscribe_token(&self, subscription_id: i64) -> String {
        self.signer.unsubscribe_token(subscription_id)
    }

    /// One subscription's unsubscribe page (also its one-click POST target).
    pub fn unsubscribe_url(&self, subscription_id: i64) -> String {
        self.unsubscribe_with(&self.unsubscribe_token(subscription_id))
    }

    /// What a preview shows where a reader's unsubscribe link will be.
    pub fn sample_unsubscribe_url(&self) -> String {
        self.unsubscribe_with("preview")
    }

    fn unsubscribe_with(&self, token: &str) -> String {
        format!("{}/subscriptions/unsubscribe?token={token}", self.base_url)
    }

    /// The signed token of a subscriber's preference page.
    pub fn manage_token(&self, subscriber_id: i64) -> String {
        self.signer.manage_token(subscriber_id)
    }

    /// A subscriber's preference page (never expires).
    pub fn manage_url(&self, subscriber_id: i64) -> String {
        format!(
            "{}/subscriptions/manage?token={}",
            self.base_url,
            self.manage_token(subscriber_id)
        )
    }

    /// What a preview shows where a reader's manage link will be.
    pub fn sample_manage_url(&self) -> String {
        format!("{}/subscriptions/manage?token=preview", self.base_url)
    }

    /// The subscriber a manage token names, if its signature holds.
    pub fn verify_manage(&self, token: &str) -> Option<i64> {
        self.signer.verify_manage(token)
    }

    /// The subscription an unsubscribe token names, if its signature holds.
    pub fn verify_unsubscribe(&self, token: &str) -> Option<i64> {
        self.signer.verify_unsubscribe(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_absolute_and_verify() {
        let l = SubscriberLinks::new("https://h.example/", LinkSigner::new(b"k".to_vec()));
        assert_eq!(
            l.confirm_url("abc"),
            "https://h.example/subscriptions/confirm?token=abc"
        );
        let url = l.unsubscribe_url(7);
        let token = url.split_once("token=").unwrap().1;
        assert_eq!(l.verify_unsubscribe(token), Some(7));
        assert!(l
            .sample_unsubscribe_url()
            .ends_with("/subscriptions/unsubscribe?token=preview"));
    }
}
