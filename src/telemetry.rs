//! Logging: lines on standard error, filtered by `RUST_LOG` (EnvFilter
//! syntax), as human-readable text or, with `HERALD_LOG_FORMAT=json`, one
//! JSON object per line.
//!
//! Set up once the configuration is loaded (the format is a setting);
//! whatever loading had to say comes back to `main` as warnings and is
//! logged right after [`init`].

use std::io::Write;
use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// What `RUST_LOG` defaults to: Herald's info lines (access lines
/// included), only the warnings of the libraries that chatter.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,actix_server=warn";

/// The format [`init`] chose, for lines written around the subscriber.
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Installs the global subscriber once; later calls (as in tests) are ignored.
pub fn init(format: LogFormat) {
    let _ = FORMAT.set(format);
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        // The event's fields (`message` among them) at the top level, beside
        // `timestamp`, `level` and `target`: what log collectors index.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_ansi(false)
            .try_init(),
    };
}

/// Writes `message` to standard error whatever `RUST_LOG` says, in the
/// chosen format: for what must never be filtered away, such as a first
/// start's admin token or the error that stops the process. As text it is
/// the bare message; as JSON an object shaped like the log lines'.
pub fn notice(level: tracing::Level, message: &str) {
    let line = notice_line(FORMAT.get().copied().unwrap_or_default(), level, message);
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// A [`notice`]'s line, ending in a newline.
fn notice_line(format: LogFormat, level: tracing::Level, message: &str) -> String {
    match format {
        LogFormat::Text => format!("{message}\n"),
        // The keys in the order the log lines have them.
        LogFormat::Json => format!(
            "{{\"timestamp\":\"{}\",\"level\":\"{}\",\"message\":{},\"target\":\"herald\"}}\n",
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            level.as_str(),
            serde_json::Value::from(message),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_the_bare_message_or_one_json_object() {
        let message = "admin token: \"x\"\u{7}\nsecond";
        let text = notice_line(LogFormat::Text, tracing::Level::WARN, message);
        assert_eq!(text, format!("{message}\n"));
        let json = notice_line(LogFormat::Json, tracing::Level::WARN, message);
        assert_eq!(json.matches('\n').count(), 1, "{json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["message"], message);
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["target"], "herald");
        let at = v["timestamp"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    }

    #[test]
    fn the_default_filter_parses() {
        assert!(EnvFilter::try_new(DEFAULT_FILTER).is_ok());
        assert!(EnvFilter::try_new("info,herald::access=warn").is_ok());
    }
}
