//! The use-case floor's shared context: what every action works with (the
//! store, templates, configuration, subscriber links, the delivery worker's
//! wake signal, the signup writer), built once per process by the HTTP
//! server and by each CLI command alike, and the one error actions return.

mod error;

pub use error::{Error, Result};

use std::sync::Arc;

use tokio::sync::Notify;

use crate::config::Config;
use crate::domain::erasure::ErasureKey;
use crate::domain::token::{self, LinkSigner};
use crate::domain::SubscriberLinks;
use crate::email::{Look, Templates};
use crate::newsletters::NewsletterCache;
use crate::signup::Signups;
use crate::store::Store;
use crate::suppressions::Suppressor;

/// Everything an action needs; cheap to share behind an `Arc` or `web::Data`.
pub struct App {
    pub store: Store,
    pub templates: Templates,
    pub config: Arc<Config>,
    pub links: SubscriberLinks,
    /// Wakes this process's delivery worker when mail is queued.
    pub wake: Arc<Notify>,
    /// Newsletters by slug for the public signup path, briefly.
    pub newsletters: NewsletterCache,
    /// Signups wait here to be written together.
    pub signups: Signups,
    /// The key erased addresses are remembered under.
    pub erasure: ErasureKey,
}

impl App {
    pub async fn new(config: Arc<Config>, store: Store, wake: Arc<Notify>) -> anyhow::Result<App> {
        Ok(App {
            templates: Templates::new(Look::from_config(&config))?,
            links: SubscriberLinks::new(&config.base_url, link_signer(&store).await?),
            signups: Signups::new(store.clone()),
            erasure: erasure_key(&store).await?,
            newsletters: NewsletterCache::default(),
            store,
            config,
            wake,
        })
    }

    /// Suppresses addresses that bounce or complain.
    pub fn suppressor(&self) -> Suppressor {
        Suppressor::new(self.store.clone(), self.erasure.clone())
    }

    /// Lets the delivery worker know that mail was queued.
    pub fn mail_queued(&self) {
        self.wake.notify_one();
    }
}

/// The key erased and suppressed addresses are hashed under, shared by
/// every process through the database.
pub async fn erasure_key(store: &Store) -> anyhow::Result<ErasureKey> {
    let key = store
        .secret("erasure_key", token::generate().into_bytes())
        .await?;
    Ok(ErasureKey::new(key))
}

/// The key that signs unsubscribe links, shared by every process through
/// the database.
pub async fn link_signer(store: &Store) -> anyhow::Result<LinkSigner> {
    let key = store
        .secret("link_key", token::generate().into_bytes())
        .await?;
    Ok(LinkSigner::new(key))
}
