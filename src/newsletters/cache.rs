//! Newsletters looked up by slug, kept for a quarter of a second: a signup
//! burst then costs one query per slug per 250 ms instead of one per
//! request. This process's admin changes clear it at once; another
//! process's show within the 250 ms.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::store::{Newsletter, Result, Store};

#[derive(Default)]
pub struct NewsletterCache {
    by_slug: Mutex<HashMap<String, (Instant, Newsletter)>>,
}

impl NewsletterCache {
    const TTL: Duration = Duration::from_millis(250);

    pub async fn get(&self, store: &Store, slug: &str) -> Result<Newsletter> {
        if let Some((at, n)) = self.by_slug.lock().expect("not poisoned").get(slug) {
            if at.elapsed() < Self::TTL {
                return Ok(n.clone());
            }
        }
        let n = store.newsletter_by_slug(slug).await?;
        let mut cache = self.by_slug.lock().expect("not poisoned");
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(slug.to_string(), (Instant::now(), n.clone()));
        Ok(n)
    }

    pub fn clear(&self) {
        self.by_slug.lock().expect("not poisoned").clear();
    }
}
