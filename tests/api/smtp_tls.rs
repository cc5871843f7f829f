//! STARTTLS on Herald's own SMTP connections (opened with TCP_NODELAY and
//! upgraded in place): a relay that refuses mail before TLS, with a
//! certificate from a private CA that Herald trusts through
//! `HERALD_SMTP_CA_FILE` — and refuses without it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::helpers::{link_token, spawn_app_with, unique_email};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A relay that offers STARTTLS and takes mail only once TLS is up.
struct TlsRelay {
    url: String,
    /// Message data received, with whether it came over TLS.
    delivered: Arc<Mutex<Vec<(bool, String)>>>,
    /// STARTTLS commands seen (successful handshakes or not).
    starttls: Arc<AtomicUsize>,
}

impl TlsRelay {
    async fn start() -> TlsRelay {
        let certs = CertificateDer::pem_file_iter(format!("{FIXTURES}/smtp-cert.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(format!("{FIXTURES}/smtp-key.pem")).unwrap();
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}?tls=required", listener.local_addr().unwrap());
        let relay = TlsRelay {
            url,
            delivered: Default::default(),
            starttls: Default::default(),
        };
        let (delivered, starttls) = (relay.delivered.clone(), relay.starttls.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, delivered, starttls) =
                    (acceptor.clone(), delivered.clone(), starttls.clone());
                tokio::spawn(async move {
                    let mut tcp = tcp;
                    if tcp.write_all(b"220 tls.test ESMTP\r\n").await.is_err() {
                        return;
                    }
                    let Some(tcp) = dialogue(tcp, false, &delivered).await else {
                        return;
                    };
                    starttls.fetch_add(1, Ordering::SeqCst);
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        dialogue(tls, true, &delivered).await;
                    }
                });
            }
        });
        relay
    }

    fn delivered(&self) -> Vec<(bool, String)> {
        self.delivered.lock().unwrap().clone()
    }
}

/// One SMTP conversation on `stream`. Before TLS, a STARTTLS hands the
/// plain socket back for the handshake; mail is refused until then.
async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    tls: bool,
    delivered: &Mutex<Vec<(bool, String)>>,
) -> Option<S> {
    let mut conn = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        if conn.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            if tls {
                b"250-tls.test\r\n250 8BITMIME\r\n"
            } else {
                b"250-tls.test\r\n250 STARTTLS\r\n"
            }
        } else if upper == "STARTTLS" && !tls {
            conn.write_all(b"220 2.0.0 ready for TLS\r\n").await.ok()?;
            return Some(conn.into_inner());
        } else if !tls && (upper.starts_with("MAIL") || upper.starts_with("RCPT")) {
            b"530 5.7.0 Must issue a STARTTLS command first\r\n"
        } else if upper == "DATA" {
            conn.write_all(b"354 go ahead\r\n").await.ok()?;
            let mut data = String::new();
            loop {
                line.clear();
                if conn.read_line(&mut line).await.ok()? == 0 {
                    return None;
                }
                if line.trim_end() == "." {
                    break;
                }
                data.push_str(&line);
            }
            delivered.lock().unwrap().push((tls, data));
            b"250 2.0.0 queued\r\n"
        } else if upper == "QUIT" {
            conn.write_all(b"221 2.0.0 bye\r\n").await.ok()?;
            return None;
        } else {
            b"250 OK\r\n"
        };
        conn.write_all(reply).await.ok()?;
    }
}

#[tokio::test]
async fn starttls_with_a_private_ca_delivers_over_tls() {
    let relay = TlsRelay::start().await;
    let ca = format!("{FIXTURES}/smtp-ca.pem");
    let app = spawn_app_with(&[("smtp_url", &relay.url), ("smtp_ca_file", &ca)]).await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);

    let deadline = Instant::now() + Duration::from_secs(20);
    while relay.delivered().is_empty() {
        assert!(Instant::now() < deadline, "nothing arrived over TLS");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered = relay.delivered();
    assert_eq!(delivered.len(), 1);
    let (over_tls, data) = &delivered[0];
    assert!(over_tls, "the message went out before STARTTLS");
    assert!(data.contains(&format!("To: {email}")), "{data}");
    // The confirmation link made it through intact.
    let decoded = quoted_printable::decode(data, quoted_printable::ParseMode::Robust).unwrap();
    let token = link_token(&String::from_utf8_lossy(&decoded), "confirm");
    assert!(!token.is_empty());
    assert!(relay.starttls.load(Ordering::SeqCst) >= 1);
    app.wait_queue_drained().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_and_the_message_kept() {
    let relay = TlsRelay::start().await;
    // No CA file: the relay's certificate chains to nothing Herald trusts.
    let app = spawn_app_with(&[("smtp_url", &relay.url)]).await;
    app.add_newsletter("daily", "Daily").await;
    assert_eq!(app.signup(&unique_email(), &["daily"]).await.status(), 202);

    let deadline = Instant::now() + Duration::from_secs(20);
    while relay.starttls.load(Ordering::SeqCst) < 2 {
        assert!(
            Instant::now() < deadline,
            "Herald never tried STARTTLS twice"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(relay.delivered().is_empty(), "sent over an untrusted TLS");
    // Still there, waiting for a retry: a certificate problem is temporary.
    // (Two counts can straddle a claim, so look until one sees it whole.)
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.message_count("queued").await + app.message_count("sending").await != 1 {
        assert!(
            Instant::now() < deadline,
            "the message is neither queued nor in flight"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.message_count("sent").await + app.message_count("failed").await,
        0
    );
}
