//! Herald's own pool of SMTP connections.
//!
//! lettre's pooled transport never sets `TCP_NODELAY`, so every message
//! waits ~40 ms for a delayed ACK (about 23 messages/s per connection). We
//! open the socket ourselves with `set_nodelay(true)` and hand it to
//! `AsyncSmtpConnection::connect_with_transport`; STARTTLS (`tls=required`
//! or `opportunistic`) upgrades that same socket. Implicit TLS (`smtps://`)
//! uses lettre's own connect.
//!
//! A connection whose conversation failed or outlived its time is never
//! reused: lettre's own pool would put a connection dropped mid-conversation
//! back as if healthy.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::Message;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::errors::{classify, SendError};
use super::SendRate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    None,
    Opportunistic,
    Required,
    /// `smtps://`: TLS from the first byte.
    Wrapper,
}

/// Where and how to connect, from an SMTP URL as lettre reads them:
/// `smtp://user:pass@host:port/helo-name?tls=required|opportunistic`,
/// `smtps://…`.
#[derive(Debug, Clone)]
struct Target {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    hello: ClientId,
}

fn parse_url(raw: &str) -> anyhow::Result<Target> {
    let url = url::Url::parse(raw).map_err(|e| anyhow::anyhow!("invalid SMTP URL: {e}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| anyhow::anyhow!("the SMTP URL names no host"))?
        .trim_matches(['[', ']'])
        .to_string();
    let tls_param = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let (tls, default_port) = match (url.scheme(), tls_param.as_deref()) {
        ("smtp", None | Some("none")) => (Tls::None, 25),
        ("smtp", Some("required")) => (Tls::Required, 587),
        ("smtp", Some("opportunistic")) => (Tls::Opportunistic, 587),
        ("smtps", _) => (Tls::Wrapper, 465),
        (scheme, tls) => anyhow::bail!("unknown SMTP scheme `{scheme}` or tls `{tls:?}`"),
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| anyhow::anyhow!("the SMTP URL's user or password is not UTF-8"))
    };
    let credentials = match url.password() {
        Some(p) => Some(Credentials::new(decode(url.username())?, decode(p)?)),
        None => None,
    };
    if (credentials.is_some() || !url.username().is_empty())
        && !matches!(tls, Tls::Required | Tls::Wrapper)
    {
        anyhow::bail!(
            "the SMTP URL carries a user and password but no TLS: they would cross the network \
             in clear text (and a relay that offers no STARTTLS would get them from anyone in \
             between); add `?tls=required` (STARTTLS, usually port 587) or use `smtps://` \
             (port 465)"
        );
    }
    let path = url.path().trim_matches('/');
    let hello = if path.is_empty() {
        ClientId::default()
    } else {
        ClientId::Domain(path.to_string())
    };
    Ok(Target {
        port: url.port().unwrap_or(default_port),
        host,
        tls,
        credentials,
        hello,
    })
}

/// Idle connections older than this are closed rather than reused: many
/// servers drop idle clients after a while.
const MAX_IDLE: Duration = Duration::from_secs(30);

pub struct SmtpPool {
    target: Target,
    /// Extra certificate authorities (PEM) to trust, beside the system's.
    ca: Option<Vec<u8>>,
    timeout: Duration,
    slots: Semaphore,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl SmtpPool {
    pub fn new(
        url: &str,
        size: u32,
        timeout: Duration,
        ca_file: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let target = parse_url(url)?;
        let ca = ca_file
            .map(|path| {
                std::fs::read(path).map_err(|e| {
                    anyhow::anyhow!("cannot read the SMTP CA file {}: {e}", path.display())
                })
            })
            .transpose()?;
        let pool = Self {
            target,
            ca,
            timeout,
            slots: Semaphore::new(size.max(1) as usize),
            idle: Mutex::new(Vec::new()),
        };
        if pool.target.tls != Tls::None || pool.ca.is_some() {
            // Fail at start, not at the first send, if TLS can't be set up.
            pool.tls_parameters()
                .map_err(|e| anyhow::anyhow!("TLS for {}: {}", pool.target.host, e.message))?;
        }
        Ok(pool)
    }

    fn tls_parameters(&self) -> Result<TlsParameters, SendError> {
        let mut builder = TlsParameters::builder(self.target.host.clone());
        if let Some(pem) = &self.ca {
            let cert = Certificate::from_pem(pem).map_err(|e| SendError {
                code: None,
                transient: false,
                message: format!("the SMTP CA file holds no usable certificate: {e}"),
            })?;
            builder = builder.add_root_certificate(cert);
        }
        builder.build().map_err(classify)
    }

    fn transient(message: String) -> SendError {
        SendError {
            code: None,
            transient: true,
            message,
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let t = &self.target;
        let tls = || self.tls_parameters();
        let mut conn = if t.tls == Tls::Wrapper {
            AsyncSmtpConnection::connect_tokio1(
                (t.host.as_str(), t.port),
                Some(self.timeout),
                &t.hello,
                Some(tls()?),
                None,
            )
            .await
            .map_err(classify)?
        } else {
            let tcp =
                tokio::time::timeout(self.timeout, TcpStream::connect((t.host.as_str(), t.port)))
                    .await
                    .map_err(|_| {
                        Self::transient(format!("connecting to {}:{} timed out", t.host, t.port))
                    })?
                    .map_err(|e| Self::transient(format!("connection error: {e}")))?;
            tcp.set_nodelay(true)
                .map_err(|e| Self::transient(format!("connection error: {e}")))?;
            let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &t.hello)
                .await
                .map_err(classify)?;
            if t.tls == Tls::Required || (t.tls == Tls::Opportunistic && conn.can_starttls()) {
                conn.starttls(tls()?, &t.hello).await.map_err(classify)?;
            }
            conn
        };
        if let Some(c) = &t.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], c)
                .await
                .map_err(classify)?;
        }
        Ok(conn)
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().expect("not poisoned");
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < MAX_IDLE && !conn.has_broken() {
                return Some(conn);
            }
        }
        None
    }

    /// Sends one message on a pooled connection (at most `size` at once).
    pub async fn send(&self, message: &Message, rate: Option<&SendRate>) -> Result<(), SendError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| Self::transient("the pool is closed".into()))?;
        let envelope = message.envelope();
        let bytes = message.formatted();
        let reused = self.take_idle();
        let fresh = reused.is_none();
        let mut conn = match reused {
            Some(c) => c,
            None => tokio::time::timeout(self.timeout * 2, self.connect())
                .await
                .map_err(|_| Self::transient("connecting timed out".into()))??,
        };
        if let Some(rate) = rate {
            rate.acquire().await;
        }
        let outcome =
            tokio::time::timeout(self.timeout * 2, transmit(&mut conn, envelope, &bytes)).await;
        match outcome {
            Ok(Ok(_)) => {
                self.idle
                    .lock()
                    .expect("not poisoned")
                    .push((conn, Instant::now()));
                Ok(())
            }
            // A reused connection may have been closed by the server while
            // idle: one more try on a fresh one before calling it a failure.
            Ok(Err(e)) if !fresh && !e.is_permanent() && e.status().is_none() => {
                drop(conn);
                let mut conn = tokio::time::timeout(self.timeout * 2, self.connect())
                    .await
                    .map_err(|_| Self::transient("connecting timed out".into()))??;
                if let Some(rate) = rate {
                    rate.acquire().await;
                }
                match tokio::time::timeout(self.timeout * 2, transmit(&mut conn, envelope, &bytes))
                    .await
                {
                    Ok(Ok(_)) => {
                        self.idle
                            .lock()
                            .expect("not poisoned")
                            .push((conn, Instant::now()));
                        Ok(())
                    }
                    Ok(Err(e)) => Err(classify(e)),
                    Err(_) => Err(Self::transient(format!(
                        "no answer from the SMTP server within {:?}",
                        self.timeout * 2
                    ))),
                }
            }
            Ok(Err(e)) => Err(classify(e)),
            // The connection is dropped here, never reused.
            Err(_) => Err(Self::transient(format!(
                "no answer from the SMTP server within {:?}",
                self.timeout * 2
            ))),
        }
    }
}

/// Text handed to lettre's `command`, which writes it as it is and reads
/// one reply.
struct Raw<'a>(&'a str);

impl std::fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Sends one message: lettre's `send`, except that the body goes out
/// dot-stuffed by us and in one write with its terminator (lettre stuffs a
/// byte at a time, then writes the terminator on its own: a sixth of
/// Herald's CPU per digest delivery and one more packet for the relay).
/// Commands stay in lockstep (no PIPELINING): a client that pipelines and
/// then drops a connection leaves replies the server still has to write.
/// Non-ASCII addresses or bodies (SMTPUTF8, 8BITMIME) take lettre's path.
/// As there, any error aborts the connection.
async fn transmit(
    conn: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    bytes: &[u8],
) -> Result<Response, lettre::transport::smtp::Error> {
    let ascii_addresses = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .all(|a| AsRef::<str>::as_ref(a).is_ascii());
    let body = match std::str::from_utf8(bytes) {
        Ok(text) if text.is_ascii() && ascii_addresses => text,
        _ => return conn.send(envelope, bytes).await,
    };
    let result = async {
        conn.command(Mail::new(envelope.from().cloned(), vec![]))
            .await?;
        for to in envelope.to() {
            conn.command(Rcpt::new(to.clone(), vec![])).await?;
        }
        conn.command(Data).await?;
        conn.command(Raw(&dot_stuffed(body))).await
    }
    .await;
    if result.is_err() {
        conn.abort().await;
    }
    result
}

/// A message's text as DATA carries it (RFC 5321 4.5.2): a dot opening a
/// line doubled, then the CRLF.CRLF that ends it.
fn dot_stuffed(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    if text.starts_with('.') {
        out.push('.');
    }
    let mut rest = text;
    while let Some(at) = rest.find("\n.") {
        out.push_str(&rest[..=at]);
        out.push('.');
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push_str("\r\n.\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_opening_a_line_are_doubled() {
        assert_eq!(dot_stuffed("a\r\nb"), "a\r\nb\r\n.\r\n");
        assert_eq!(
            dot_stuffed(".x\r\n.\r\n..y\r\nz."),
            "..x\r\n..\r\n...y\r\nz.\r\n.\r\n"
        );
    }

    #[test]
    fn urls_read_like_lettres() {
        let t = parse_url("smtp://127.0.0.1:1025").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.tls),
            ("127.0.0.1", 1025, Tls::None)
        );
        assert!(t.credentials.is_none());
        let t = parse_url("smtp://us%40er:p%3Ass@mail.example?tls=required").unwrap();
        assert_eq!((t.port, t.tls), (587, Tls::Required));
        assert!(t.credentials.is_some());
        assert_eq!(parse_url("smtps://mail.example").unwrap().port, 465);
        // Credentials travel only inside TLS.
        for clear in [
            "smtp://user:pass@mail.example:587",
            "smtp://user:pass@mail.example?tls=opportunistic",
            "smtp://user:pass@mail.example?tls=none",
            "smtp://user@mail.example",
        ] {
            let e = parse_url(clear).err().unwrap().to_string();
            assert!(
                e.contains("tls=required") && e.contains("smtps://"),
                "{clear}: {e}"
            );
        }
        assert!(parse_url("smtps://user:pass@mail.example").is_ok());
        assert!(parse_url("smtp://user:pass@mail.example?tls=required").is_ok());
        assert_eq!(
            parse_url("smtp://mail.example?tls=opportunistic")
                .unwrap()
                .tls,
            Tls::Opportunistic
        );
        assert!(parse_url("http://mail.example").is_err());
        assert!(parse_url("smtp://mail.example?tls=bogus").is_err());
    }
}
