//! The one error the use cases return: what went wrong in terms an adapter
//! can map (to an HTTP status, a console message, a CLI exit), never in
//! terms of HTTP itself.

use std::fmt::Display;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value was refused: `code` is stable (`invalid_email`), `message`
    /// says why in words.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// The thing asked for isn't there.
    #[error("{message}")]
    NotFound { message: String },
    /// It can't happen in the current state (a taken slug, nothing new).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A failure of ours (the database, a template): logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(code: &'static str, message: impl Display) -> Self {
        Error::Invalid {
            code,
            message: message.to_string(),
        }
    }

    pub fn not_found(message: impl Display) -> Self {
        Error::NotFound {
            message: message.to_string(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Display) -> Self {
        Error::Conflict {
            code,
            message: message.to_string(),
        }
    }

    /// The stable code of a refusal (`internal` for our own failures).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { code, .. } | Error::Conflict { code, .. } => code,
            Error::NotFound { .. } => "not_found",
            Error::Internal(_) => "internal",
        }
    }

    /// For the CLI: client errors as their message, internal ones whole.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            Error::Internal(e) => e,
            other => anyhow::anyhow!("{other}"),
        }
    }
}

impl From<crate::domain::Refused> for Error {
    fn from(r: crate::domain::Refused) -> Self {
        Error::Invalid {
            code: r.code,
            message: r.message,
        }
    }
}

/// The `#[validate]` checks of a request struct: the first refused field
/// (by name), with the code and message its check declares.
impl From<validator::ValidationErrors> for Error {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields: Vec<_> = errors.field_errors().into_iter().collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        let Some((field, e)) = fields
            .into_iter()
            .find_map(|(field, errs)| errs.first().map(|e| (field, e)))
        else {
            return Error::invalid("invalid", "a value was refused");
        };
        let code = match e.code {
            std::borrow::Cow::Borrowed(code) => code,
            std::borrow::Cow::Owned(_) => "invalid",
        };
        match &e.message {
            Some(message) => Error::invalid(code, message),
            None => Error::invalid(code, format!("{field} was refused")),
        }
    }
}

impl From<crate::store::Error> for Error {
    fn from(e: crate::store::Error) -> Self {
        match e {
            crate::store::Error::NotFound => Error::not_found("not found"),
            crate::store::Error::Conflict => Error::conflict("conflict", "it already exists"),
            crate::store::Error::Other(e) => Error::Internal(e.into()),
        }
    }
}
