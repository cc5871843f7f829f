//! The web console's admin users and their sessions. Passwords arrive here
//! already hashed (argon2, in `admins::password`); sessions are
//! stored by the SHA-256 of their token, so they work across processes.

use chrono::{DateTime, Utc};

use super::{both, writing, BeginWrite, Error, Result, Store};

/// An admin user as sign-in needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminUser {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
}

/// What `herald admin add` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminUpsert {
    Created,
    /// The address existed: its password changed and its sessions ended.
    PasswordChanged,
}

impl Store {
    /// Creates the admin user, or sets a new password for an existing one
    /// and ends every session it had, in one transaction.
    pub async fn upsert_admin_user(
        &self,
        email: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<AdminUpsert> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM admin_users WHERE email = $1")
                    .bind(email)
                    .fetch_optional(&mut *tx)
                    .await?;
            let outcome = match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE admin_users SET password_hash = $1, password_changed_at = $2 WHERE id = $3",
                    )
                    .bind(password_hash)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM admin_sessions WHERE user_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    AdminUpsert::PasswordChanged
                }
                None => {
                    sqlx::query(
                        "INSERT INTO admin_users (email, password_hash, created_at, password_changed_at) \
                         VALUES ($1, $2, $3, $3)",
                    )
                    .bind(email)
                    .bind(password_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(Error::from_insert)?;
                    AdminUpsert::Created
                }
            };
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// `NotFound` when no admin has that address.
    pub async fn admin_user_by_email(&self, email: &str) -> Result<AdminUser> {
        both!(self, p => sqlx::query_as(
            "SELECT id, email, password_hash FROM admin_users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(p)
        .await)?
        .ok_or(Error::NotFound)
    }

    /// Stores a new session; expired ones of any user are swept meanwhile.
    pub async fn create_admin_session(
        &self,
        user_id: i64,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO admin_sessions (token_hash, user_id, created_at, expires_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $3)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await
            .map_err(Error::from_insert)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The user behind a live session, used within `idle`; `NotFound` for
    /// an unknown, expired or idle one. Marks the use (at most once a
    /// minute, or a quarter of `idle`, to spare the writer).
    pub async fn admin_session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> Result<AdminUser> {
        let found: Option<(i64, String, String, Option<DateTime<Utc>>)> = both!(self, p => sqlx::query_as(
            "SELECT u.id, u.email, u.password_hash, s.last_seen_at FROM admin_sessions s \
             JOIN admin_users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(p)
        .await)?;
        let (id, email, password_hash, seen) = found.ok_or(Error::NotFound)?;
        let seen = seen.unwrap_or(now);
        if now - seen > idle {
            return Err(Error::NotFound);
        }
        if now - seen >= (idle / 4).min(chrono::Duration::minutes(1)) {
            writing!(self, p => sqlx::query(
                "UPDATE admin_sessions SET last_seen_at = $1 WHERE token_hash = $2",
            )
            .bind(now)
            .bind(token_hash)
            .execute(p)
            .await
            .map(|_| ()))?;
        }
        Ok(AdminUser {
            id,
            email,
            password_hash,
        })
    }

    /// Ends every session of one user ("sign out everywhere").
    pub async fn delete_admin_sessions_of(&self, user_id: i64) -> Result<u64> {
        Ok(
            writing!(self, p => sqlx::query("DELETE FROM admin_sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?,
        )
    }

    /// Ends one session (sign-out); ending an unknown one is not an error.
    pub async fn delete_admin_session(&self, token_hash: &str) -> Result<()> {
        writing!(self, p => sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// How many live sessions a user has (for tests and the CLI's report).
    pub async fn count_admin_sessions(&self, user_id: i64, now: DateTime<Utc>) -> Result<i64> {
        Ok(both!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM admin_sessions WHERE user_id = $1 AND expires_at > $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_one(p)
        .await)?)
    }
}
