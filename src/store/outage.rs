//! Telling "the database is unreachable right now" from our own failures:
//! the first is answered 503 with `Retry-After`, and passes by itself.

/// True when `e` means the database can't be reached or is shutting down,
/// rather than a query of ours being wrong.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLite (extended codes): busy or locked past the busy
                // timeout, I/O errors, a full disk, a file that can't open.
                let primary = code.parse::<i32>().unwrap_or_default() & 0xff;
                return matches!(primary, 5 | 6 | 10 | 13 | 14);
            }
            // PostgreSQL: connection exceptions (08…), shutdown and
            // "cannot connect now" (57P0…), too many connections (53300),
            // a database that takes no connections (55000 on connect).
            code.starts_with("08") || code.starts_with("57P0") || code == "53300" || code == "55000"
        }
        _ => false,
    }
}

/// Whether anywhere in the chain of `e` lies an unavailable database.
pub fn unavailable_in(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<sqlx::Error>()
            .is_some_and(is_unavailable)
            || cause
                .downcast_ref::<super::Error>()
                .is_some_and(|s| matches!(s, super::Error::Other(e) if is_unavailable(e)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_outages_and_query_errors_are_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        ))));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
        let wrapped = anyhow::Error::from(sqlx::Error::PoolTimedOut).context("signing up");
        assert!(unavailable_in(&wrapped));
        let store = anyhow::Error::from(super::super::Error::Other(sqlx::Error::PoolClosed));
        assert!(unavailable_in(&store));
        assert!(!unavailable_in(&anyhow::anyhow!("a template broke")));
    }
}
