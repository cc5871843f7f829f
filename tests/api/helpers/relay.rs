//! Stand-in SMTP relays that forward to the real capture server: one as
//! it is, one slowed down.

use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use super::smtp_url;

/// Forwards connections on `listener` to the real capture server.
pub async fn relay(listener: TcpListener) {
    let target = smtp_url().trim_start_matches("smtp://").to_string();
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            return;
        };
        let target = target.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(&target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

/// Like [`relay`], but each chunk from the client waits `delay` first: a
/// slow SMTP server.
pub async fn slow_relay(listener: TcpListener, delay: Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let target = smtp_url().trim_start_matches("smtp://").to_string();
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            return;
        };
        let target = target.clone();
        tokio::spawn(async move {
            let Ok(outbound) = TcpStream::connect(&target).await else {
                return;
            };
            let (mut ci, mut co) = inbound.into_split();
            let (mut si, mut so) = outbound.into_split();
            let up = async move {
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n) = ci.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    tokio::time::sleep(delay).await;
                    if so.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                let _ = so.shutdown().await;
            };
            let down = async move {
                let _ = tokio::io::copy(&mut si, &mut co).await;
            };
            tokio::join!(up, down);
        });
    }
}
