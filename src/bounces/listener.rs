//! The bounce listener: a deliberately small SMTP receiver (RFC 5321:
//! HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for the bounce domain.
//!
//! Written here rather than taken from a crate: the maintained Rust SMTP
//! servers are either synchronous with threads of their own
//! (`mailin-embedded`) or whole frameworks (`samotop`), and what this needs
//! is a handful of commands with hard limits on one tokio runtime. It
//! accepts mail only for the bounce domain (no relaying, no AUTH, no
//! STARTTLS), one recipient per message, at most [`MAX_SIZE`] bytes, within
//! [`SESSION_TIME`] and [`MAX_COMMANDS`] per connection. Reports are read
//! with `mail-parser` ([`super::report`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

use super::{Addressed, Inbound, Outcome};

/// The largest message accepted (552 past it).
pub const MAX_SIZE: usize = 1024 * 1024;
/// The longest a connection may stay.
pub const SESSION_TIME: Duration = Duration::from_secs(120);
/// Commands per connection.
pub const MAX_COMMANDS: usize = 50;
/// Connections served at once; more wait.
const MAX_CONNECTIONS: usize = 32;
/// The longest line, command or text (RFC 5321 allows 1000 octets; some
/// mailers write longer text lines, so there is room to spare). A longer
/// one ends the connection.
const MAX_LINE: usize = 8192;

pub struct Listener {
    pub listener: TcpListener,
    pub inbound: Inbound,
}

/// Serves until `stop` turns true.
pub async fn serve(l: Listener, mut stop: watch::Receiver<bool>) {
    let inbound = Arc::new(l.inbound);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    if let Ok(addr) = l.listener.local_addr() {
        tracing::info!(%addr, domain = inbound.verp.domain(), "bounce listener started");
    }
    loop {
        let accepted = tokio::select! {
            a = l.listener.accept() => a,
            _ = stop.changed() => return,
        };
        let (socket, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "bounce listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let inbound = inbound.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match tokio::time::timeout(SESSION_TIME, session(socket, &inbound)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "bounce session ended"),
                Err(_) => tracing::info!(%peer, "bounce session timed out"),
            }
        });
    }
}

/// Reads one line (up to LF) of at most `MAX_LINE` bytes into `buf`;
/// `Ok(false)` at end of input. A longer line is an error.
async fn read_line<R: AsyncBufReadExt + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<bool> {
    buf.clear();
    loop {
        let available = r.fill_buf().await?;
        if available.is_empty() {
            return Ok(!buf.is_empty());
        }
        let (take, done) = match available.iter().position(|b| *b == b'\n') {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        buf.extend_from_slice(&available[..take]);
        r.consume(take);
        if buf.len() > MAX_LINE {
            return Err(std::io::Error::other("line too long"));
        }
        if done {
            return Ok(true);
        }
    }
}

/// `<addr>` from `FROM:<addr> PARAMS` / `TO:<addr>`, and the rest.
fn path_arg<'a>(arg: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = arg.get(..prefix.len())?;
    if !rest.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let (path, params) = rest.split_once('>')?;
    Some((path.trim(), params.trim()))
}

async fn session(socket: TcpStream, inbound: &Inbound) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut reader = BufReader::new(read);
    let domain = inbound.verp.domain().to_string();
    write
        .write_all(format!("220 {domain} Herald bounce receiver\r\n").as_bytes())
        .await?;
    let (mut hello, mut from, mut rcpt) = (false, None::<String>, None::<String>);
    let mut line = Vec::new();
    for _ in 0..MAX_COMMANDS {
        if !read_line(&mut reader, &mut line).await? {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                hello = true;
                (from, rcpt) = (None, None);
                format!("250-{domain}\r\n250-SIZE {MAX_SIZE}\r\n250 8BITMIME")
            }
            "HELO" => {
                hello = true;
                (from, rcpt) = (None, None);
                format!("250 {domain}")
            }
            "NOOP" => "250 2.0.0 OK".into(),
            "RSET" => {
                (from, rcpt) = (None, None);
                "250 2.0.0 OK".into()
            }
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            "MAIL" if !hello => "503 5.5.1 Say EHLO first".into(),
            "MAIL" if from.is_some() => "503 5.5.1 Nested MAIL command".into(),
            "MAIL" => match path_arg(arg, "FROM:") {
                None => "501 5.5.4 Syntax: MAIL FROM:<address>".into(),
                Some((path, params)) => {
                    let size = params
                        .split_whitespace()
                        .find_map(|p| p.strip_prefix("SIZE=").or_else(|| p.strip_prefix("size=")))
                        .and_then(|n| n.parse::<usize>().ok());
                    if size.is_some_and(|n| n > MAX_SIZE) {
                        "552 5.3.4 Message size exceeds fixed limit".into()
                    } else {
                        from = Some(path.to_string());
                        "250 2.1.0 OK".into()
                    }
                }
            },
            "RCPT" if from.is_none() => "503 5.5.1 Need MAIL first".into(),
            "RCPT" if rcpt.is_some() => "452 4.5.3 Only one recipient per message".into(),
            "RCPT" => match path_arg(arg, "TO:") {
                None => "501 5.5.4 Syntax: RCPT TO:<address>".into(),
                Some((path, _)) if inbound.verp.recipient(path) == Addressed::Foreign => {
                    "550 5.7.1 Relaying denied: this server takes mail for its bounce domain only"
                        .into()
                }
                Some((path, _)) => {
                    rcpt = Some(path.to_string());
                    "250 2.1.5 OK".into()
                }
            },
            "DATA" if rcpt.is_none() => "503 5.5.1 Need RCPT first".into(),
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(body) = read_data(&mut reader, &mut line).await? else {
                    write
                        .write_all(b"552 5.3.4 Message size exceeds fixed limit\r\n")
                        .await?;
                    (from, rcpt) = (None, None);
                    continue;
                };
                let to = rcpt.take().unwrap_or_default();
                from = None;
                received(inbound, &to, &body).await
            }
            "AUTH" | "STARTTLS" | "VRFY" | "EXPN" | "TURN" | "ETRN" => {
                "502 5.5.1 Command not implemented".into()
            }
            _ => "500 5.5.2 Command unrecognized".into(),
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
    write
        .write_all(b"421 4.7.0 Too many commands, closing\r\n")
        .await?;
    Ok(())
}

/// The message after DATA, un-dot-stuffed, or `None` when it grew past
/// [`MAX_SIZE`] (the rest is read to its end and thrown away).
async fn read_data<R: AsyncBufReadExt + Unpin>(
    r: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    let mut over = false;
    loop {
        if !read_line(r, line).await? {
            return Err(std::io::Error::other("connection closed during DATA"));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((!over).then_some(body));
        }
        if over {
            continue;
        }
        let text = line.strip_prefix(b".").unwrap_or(line);
        body.extend_from_slice(text);
        if body.len() > MAX_SIZE {
            over = true;
            body = Vec::new();
        }
    }
}

/// Hands a message to the report reader; the reply to the DATA.
async fn received(inbound: &Inbound, rcpt: &str, body: &[u8]) -> String {
    match inbound.handle(rcpt, body).await {
        Ok(Outcome::Suppressed(reason)) => {
            tracing::info!(reason = reason.as_str(), "bounce report read");
            "250 2.0.0 OK".into()
        }
        Ok(Outcome::Ignored(why)) => {
            tracing::info!(%why, "bounce report read; nothing to do");
            "250 2.0.0 OK".into()
        }
        Ok(Outcome::Dropped(why)) => {
            tracing::warn!(%why, bytes = body.len(), "bounce listener: message dropped");
            "250 2.0.0 OK".into()
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "bounce report could not be recorded");
            "451 4.3.0 Try again later".into()
        }
    }
}
