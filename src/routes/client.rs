//! Who is asking: the client address (believing `X-Forwarded-For` only from
//! trusted proxies) and the consent evidence a request carries.

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::HttpRequest;
use ipnet::IpNet;

use crate::store::ConsentContext;

/// The client address: the peer, unless the peer is a trusted proxy, in
/// which case the right-most `X-Forwarded-For` entry that isn't one.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    // Several headers count as one list, in order; read it from the right.
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => client = ip,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(client),
        }
    }
    Some(client)
}

fn clean(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// The page a Referer names, without what may be private in it: its query
/// string and fragment (tokens, tracking ids) and any user name or
/// password. Something that isn't an http(s) URL is not kept.
fn page_of(referer: &str) -> Option<String> {
    let mut url = url::Url::parse(referer.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_query(None);
    url.set_fragment(None);
    url.set_username("").ok()?;
    url.set_password(None).ok()?;
    Some(url.to_string())
}

/// Consent evidence for this request; `form` names the channel.
pub fn consent(req: &HttpRequest, ip: Option<IpAddr>, channel: &str) -> ConsentContext {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let form = match header(header::REFERER).and_then(page_of) {
        Some(page) => format!("{channel} {}", clean(&page, 300)),
        None => channel.to_string(),
    };
    ConsentContext {
        ip: ip.map(|ip| ip.to_string()),
        user_agent: header(header::USER_AGENT).map(|ua| clean(ua, 300)),
        form: Some(form),
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::page_of;

    #[test]
    fn a_referer_keeps_only_its_page() {
        assert_eq!(
            page_of("https://news.example/article/42?token=secret&utm_source=x#top").as_deref(),
            Some("https://news.example/article/42")
        );
        assert_eq!(
            page_of("http://user:pw@news.example/a?b").as_deref(),
            Some("http://news.example/a")
        );
        assert_eq!(page_of("javascript:alert(1)"), None);
        assert_eq!(page_of("not a url"), None);
    }
}
