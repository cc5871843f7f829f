//! Building and running the application: the database, the mailer, the HTTP
//! server, the delivery worker and the feed poller, side by side in one process.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpServer};
use secrecy::ExposeSecret;
use tokio::sync::{watch, Notify};

use crate::app::{erasure_key, link_signer, App};
use crate::config::Config;
use crate::delivery::{SendRate, Worker, WorkerConfig};
use crate::domain::{token, SubscriberLinks};
use crate::email::{Dkim, Mailer};
use crate::feeds::{Poller, PollerConfig};
use crate::routes::{self, AppState};
use crate::store::Store;
use crate::suppressions::Suppressor;

/// Connects to the configured database and applies pending migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(config.database_url.expose_secret()).await?;
    store.migrate().await?;
    tracing::info!(database = %config.database_url_redacted(), "database ready");
    Ok(store)
}

/// The mailer the configuration asks for: SMTP, or `.eml` files; signing
/// with DKIM when a key is configured (a key that can't be used stops the
/// start, rather than sending unsigned mail).
pub fn mailer(config: &Config) -> anyhow::Result<Mailer> {
    let mailer = match &config.smtp_url {
        Some(url) => {
            tracing::info!(smtp = %crate::config::redact_url(url.expose_secret()), "sending over SMTP");
            Mailer::smtp(
                url.expose_secret(),
                config.smtp_pool,
                config.smtp_timeout,
                config.smtp_ca_file.as_deref(),
            )
        }
        None => {
            tracing::info!(outbox = %config.outbox_dir.display(), "no SMTP URL: writing emails to the outbox folder");
            Mailer::outbox(config.outbox_dir.clone())
        }
    }?;
    let Some(settings) = &config.dkim else {
        return Ok(mailer);
    };
    let dkim = Dkim::load(settings)?;
    tracing::info!(
        domain = dkim.domain(),
        selector = dkim.selector(),
        algorithm = dkim.algorithm(),
        "signing every message with DKIM"
    );
    Ok(mailer.signed(dkim))
}

/// A delivery worker for this process, with a unique id for its leases.
pub async fn worker(config: &Config, store: Store, wake: Arc<Notify>) -> anyhow::Result<Worker> {
    let links = SubscriberLinks::new(&config.base_url, link_signer(&store).await?);
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "herald".to_string());
    Ok(Worker {
        id: format!("{host}-{}-{}", std::process::id(), &token::generate()[..8]),
        store: store.clone(),
        mailer: Arc::new(mailer(config)?),
        config: WorkerConfig {
            from: config.from.clone(),
            // Claimed messages wait for their turn while others are on the
            // wire or being recorded: more than the pool keeps it busy.
            batch: config.smtp_pool.max(1) * 2,
            lease: config.lease,
            breaker_threshold: config.breaker_threshold.max(1),
            breaker_cooloff: config.breaker_cooloff,
            send_timeout: config.smtp_timeout * 3,
            site_name: config.site.name.clone(),
            retry_base: config.retry_base,
            retry_max: config.retry_max,
            retry_for: config.retry_for,
            poll: config.worker_poll,
            bounce: crate::bounces::verp(config, &store).await?,
        },
        wake,
        links,
        suppressor: Suppressor::new(store.clone(), erasure_key(&store).await?),
        digests: Default::default(),
        transient_run: Default::default(),
        rate: None,
        marked: Default::default(),
    })
}

/// Starts `config.workers` delivery workers sharing the queue, and (with
/// any) the webhook dispatcher; they stop when `stop` turns true, after
/// finishing what they have in flight.
pub async fn spawn_workers(
    config: &Config,
    store: &Store,
    wake: &Arc<Notify>,
    stop: &watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut handles = Vec::new();
    let rate = config.send_rate.map(|r| Arc::new(SendRate::new(r)));
    for _ in 0..config.workers {
        let mut w = worker(config, store.clone(), wake.clone()).await?;
        w.rate = rate.clone();
        handles.push(tokio::spawn(w.run(stop.clone())));
    }
    if config.workers > 0 {
        let dispatcher = crate::webhooks::Dispatcher::new(store.clone(), config)?;
        handles.push(tokio::spawn(dispatcher.run(stop.clone())));
    }
    Ok(handles)
}

/// Creates the first admin token when there is none and none is configured,
/// and prints it once to standard error (whatever `RUST_LOG` says; as a
/// JSON object with `HERALD_LOG_FORMAT=json`).
pub async fn ensure_admin_token(store: &Store, config: &Config) -> anyhow::Result<()> {
    if let Some(raw) = crate::admins::first_token(store, config)
        .await
        .map_err(crate::app::Error::into_anyhow)?
    {
        crate::telemetry::notice(tracing::Level::WARN, &format!("admin token: {raw}"));
    }
    Ok(())
}

/// Every `interval`, removes pending subscriptions whose link expired more
/// than `purge_after` ago, so spam signups don't pile up, and idempotency
/// keys past their day.
async fn purge_loop(store: Store, config: Arc<Config>, mut stop: watch::Receiver<bool>) {
    loop {
        let now = chrono::Utc::now();
        let age = config.confirm_ttl + config.purge_after;
        if let Ok(age) = chrono::Duration::from_std(age) {
            match store.purge_pending(now - age, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "purged stale pending subscriptions"),
                Err(e) => tracing::warn!(error = %e, "purge failed"),
            }
        }
        match crate::idempotency::purge(&store).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "purged expired idempotency keys"),
            Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(config.purge_interval) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The bounce listener, when `bounce_listen` is set (bound here, so a
/// port in use stops the start).
async fn bounce_listener(app: &App) -> anyhow::Result<Option<crate::bounces::Listener>> {
    let Some(addr) = &app.config.bounce.listen else {
        return Ok(None);
    };
    let verp = crate::bounces::verp(&app.config, &app.store)
        .await?
        .ok_or_else(|| anyhow::anyhow!("`bounce_listen` needs `bounce_domain`"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("bounce listener: cannot listen on {addr}: {e}"))?;
    Ok(Some(crate::bounces::Listener {
        listener,
        inbound: crate::bounces::Inbound {
            store: app.store.clone(),
            suppressor: app.suppressor(),
            verp,
        },
    }))
}

pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    store: Store,
    workers: Vec<tokio::task::JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl Application {
    /// Binds the listener and starts the worker; serving begins with
    /// [`Application::run_until_stopped`].
    pub async fn build(config: Config, store: Store) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&config.listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        Self::build_with_listener(config, store, listener).await
    }

    /// As [`Application::build`], on a listener bound already (tests bind
    /// port 0 first, to know the base URL).
    pub async fn build_with_listener(
        config: Config,
        store: Store,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let wake = Arc::new(Notify::new());
        let (stop, stop_rx) = watch::channel(false);
        let workers = spawn_workers(&config, &store, &wake, &stop_rx).await?;
        let config = Arc::new(config);
        let poller = Poller::new(store.clone(), PollerConfig::from_config(&config))?;
        tokio::spawn(poller.run(stop_rx.clone()));
        tokio::spawn(purge_loop(store.clone(), config.clone(), stop_rx.clone()));
        let headers_config = config.clone();
        let app = Arc::new(App::new(config, store.clone(), wake).await?);
        tokio::spawn(crate::schedule::run(app.clone(), stop_rx.clone()));
        if let Some(listener) = bounce_listener(&app).await? {
            tokio::spawn(crate::bounces::serve(listener, stop_rx.clone()));
        }
        let state = web::Data::new(AppState::new(app)?);
        let origins = state.config.allowed_origins.clone();
        let server = HttpServer::new(move || {
            actix_web::App::new()
                .app_data(state.clone())
                .wrap(routes::default_headers(&headers_config))
                .wrap(routes::access::AccessLog)
                .configure(|cfg| routes::configure(cfg, &origins))
        })
        .shutdown_timeout(30)
        // A request's head must arrive within 10 s, an idle keep-alive
        // connection is closed after 15 s (bodies: `HERALD_BODY_TIMEOUT`).
        .client_request_timeout(std::time::Duration::from_secs(10))
        .keep_alive(std::time::Duration::from_secs(15))
        .listen(listener)?
        .run();
        tracing::info!(port, "listening");
        Ok(Self {
            port,
            server,
            store,
            workers,
            stop,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server stops (SIGINT/SIGTERM), then lets the worker
    /// finish the messages in flight.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let result = self.server.await;
        let _ = self.stop.send(true);
        let all = futures_util::future::join_all(self.workers);
        if tokio::time::timeout(Duration::from_secs(30), all)
            .await
            .is_err()
        {
            tracing::warn!("delivery worker did not stop in time; its leases will expire");
        }
        self.store.close().await;
        Ok(result?)
    }
}
