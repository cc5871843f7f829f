//! Who may administer Herald: API bearer tokens (stored hashed, shown once)
//! and the web console's users (argon2 passwords).

pub mod password;
pub mod sign_in;

use chrono::Utc;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::app::{App, Error, Result};
use crate::config::Config;
use crate::domain::{token, SubscriberEmail};
use crate::store::{self, AdminToken, AdminUpsert, Store};

/// Whether a bearer token is the configured one or a stored, unrevoked one
/// (whose last use is then recorded).
pub async fn check_bearer(app: &App, bearer: &str) -> Result<bool> {
    if let Some(configured) = &app.config.admin_token {
        // Compare digests, so the comparison time says nothing about the token.
        let want = Sha256::digest(configured.expose_secret().as_bytes());
        let got = Sha256::digest(bearer.as_bytes());
        if want == got {
            return Ok(true);
        }
    }
    Ok(app
        .store
        .use_admin_token(&token::hash(bearer), Utc::now())
        .await?)
}

/// Creates a named token; answers the token itself, which is stored only
/// as a hash and so shown this once.
pub async fn create_token(store: &Store, name: &str) -> Result<String> {
    let raw = token::generate();
    store
        .create_admin_token(name, &token::hash(&raw))
        .await
        .map_err(|e| match e {
            store::Error::Conflict => {
                Error::conflict("conflict", format!("a token named `{name}` exists"))
            }
            e => e.into(),
        })?;
    Ok(raw)
}

/// Names and use of every token, never the tokens.
pub async fn list_tokens(store: &Store) -> Result<Vec<AdminToken>> {
    Ok(store.list_admin_tokens().await?)
}

pub async fn revoke_token(store: &Store, name: &str) -> Result<()> {
    store.revoke_admin_token(name).await.map_err(|e| match e {
        store::Error::NotFound => Error::not_found(format!("no token named `{name}`")),
        e => e.into(),
    })
}

/// At a first start with no token configured or stored, creates one and
/// answers it (to be shown once); `None` otherwise.
pub async fn first_token(store: &Store, config: &Config) -> Result<Option<String>> {
    if config.admin_token.is_some() || store.count_admin_tokens().await? > 0 {
        return Ok(None);
    }
    match create_token(store, "initial").await {
        Ok(raw) => Ok(Some(raw)),
        // Another process created it first.
        Err(Error::Conflict { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Adds a console user, or gives an existing one a new password (which
/// ends all of its sessions).
pub async fn add_admin(
    store: &Store,
    email: &str,
    secret: String,
) -> Result<(SubscriberEmail, AdminUpsert)> {
    let email = SubscriberEmail::parse(email).map_err(|_| {
        Error::invalid(
            "invalid_email",
            format!("`{}` is not an email address", email.escape_debug()),
        )
    })?;
    password::check(&secret).map_err(|m| Error::invalid("invalid_password", m))?;
    let hash = tokio::task::spawn_blocking(move || password::hash(&secret))
        .await
        .map_err(anyhow::Error::from)??;
    let outcome = store
        .upsert_admin_user(email.as_str(), &hash, Utc::now())
        .await?;
    Ok((email, outcome))
}
