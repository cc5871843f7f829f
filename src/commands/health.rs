//! `herald health`: asks a running server's `/health`, for container
//! health checks (Docker's `HEALTHCHECK`, compose, Kubernetes exec probes).

use std::time::Duration;

use anyhow::{bail, Context};

/// The URL of `/health` for a server listening on `listen`: an unspecified
/// address (`0.0.0.0`, `[::]`, as in containers) is asked on loopback, as
/// the check runs beside the server. `HERALD_BASE_URL` is not used: it is
/// the public address, often a proxy the container can't or shouldn't reach.
pub fn health_url(listen: &str) -> String {
    let listen = match listen.parse::<std::net::SocketAddr>() {
        Ok(addr) if addr.ip().is_unspecified() => {
            let loopback = match addr {
                std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            };
            std::net::SocketAddr::new(loopback, addr.port()).to_string()
        }
        _ => listen.to_string(),
    };
    format!("http://{listen}/health")
}

/// Passes when `url` answers 200 within `timeout`; anything else (another
/// status, a redirect, a refused connection, silence) fails, saying what.
pub async fn health(url: &str, timeout: Duration) -> anyhow::Result<()> {
    let base = url.trim_end_matches('/');
    let url = if base.ends_with("/health") {
        base.to_string()
    } else {
        format!("{base}/health")
    };
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .context("building the HTTP client")?;
    let answer = client.get(&url).send().await.map_err(|e| {
        if e.is_timeout() {
            anyhow::anyhow!("{url}: no answer within {timeout:?}")
        } else {
            anyhow::anyhow!("{url}: {e}")
        }
    })?;
    let status = answer.status();
    if status != reqwest::StatusCode::OK {
        bail!("{url} answered {status}");
    }
    println!("ok: {url} answered {status}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::health_url;

    #[test]
    fn unspecified_addresses_are_asked_on_loopback() {
        assert_eq!(health_url("0.0.0.0:8080"), "http://127.0.0.1:8080/health");
        assert_eq!(health_url("[::]:8080"), "http://[::1]:8080/health");
        assert_eq!(health_url("127.0.0.1:9000"), "http://127.0.0.1:9000/health");
        assert_eq!(health_url("localhost:8080"), "http://localhost:8080/health");
    }
}
