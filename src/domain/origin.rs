//! Web origins (`scheme://host[:port]`): the news sites allowed to embed
//! Herald's signup form, and the one check that decides where a form
//! signup may send the reader back to (`return_to`), so Herald is never an
//! open redirect.

use url::Url;

/// One origin, in the form browsers send in the `Origin` header: lower-case
/// scheme and host (an internationalised host in its `xn--` form), the
/// port only when it isn't the scheme's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// Parses an origin as an operator writes it in `HERALD_ALLOWED_ORIGINS`:
    /// `http` or `https`, a host, an optional port, and nothing else (no
    /// path, not even `/`, no query, fragment or user name).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = |why: &str| Err(format!("`{raw}` is not an origin ({why})"));
        if raw.is_empty() || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return bad("write it as scheme://host[:port]");
        }
        let Ok(url) = Url::parse(raw) else {
            return bad("write it as scheme://host[:port]");
        };
        if !matches!(url.scheme(), "http" | "https") {
            return bad("the scheme must be http or https");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return bad("no user name");
        }
        if url.query().is_some() || url.fragment().is_some() {
            return bad("no query or fragment");
        }
        // `Url` always shows a path of `/`; the text itself must have none.
        let after_scheme = &raw[raw.find("://").map_or(0, |i| i + 3)..];
        if after_scheme.contains(['/', '\\', '?', '#', '@']) {
            return bad("no path: write it as scheme://host[:port]");
        }
        Self::of(&url).map_or_else(|| bad("it has no host"), Ok)
    }

    /// The origin of an absolute http(s) URL; `None` for other schemes.
    pub fn of(url: &Url) -> Option<Self> {
        match url.origin() {
            o @ url::Origin::Tuple(..) if matches!(url.scheme(), "http" | "https") => {
                Some(Origin(o.ascii_serialization()))
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses the comma-separated list of `HERALD_ALLOWED_ORIGINS`; the first
/// value that isn't an origin is the error, named.
pub fn parse_origins(list: &str) -> Result<Vec<Origin>, String> {
    let mut out: Vec<Origin> = Vec::new();
    for raw in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let origin = Origin::parse(raw)?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

/// Where signups may come from: Herald's own origin (its base URL's) and
/// the listed news sites.
#[derive(Debug, Clone)]
pub struct SignupOrigins {
    own: Origin,
    listed: Vec<Origin>,
}

/// Longer `return_to` values are ignored: no page address needs more.
const RETURN_TO_MAX: usize = 2048;

impl SignupOrigins {
    pub fn new(own: Origin, listed: Vec<Origin>) -> Self {
        SignupOrigins { own, listed }
    }

    /// True when `header` (an `Origin` header's bytes) names a listed site:
    /// those get CORS headers. The comparison is exact, as browsers send
    /// origins already normalised.
    pub fn is_listed(&self, header: &[u8]) -> bool {
        self.listed.iter().any(|o| o.as_str().as_bytes() == header)
    }

    /// Whether a signup carrying these `Origin` and `Sec-Fetch-Site`
    /// headers may proceed. Without a list every origin may, as before the
    /// list existed. No `Origin` (curl, older browsers) may. `Origin: null`
    /// is what a browser sends for a form on a page whose referrer policy
    /// is `no-referrer`, which Herald's own pages have: it may only when
    /// the browser says the form was on this very origin
    /// (`Sec-Fetch-Site: same-origin`), or says nothing (too old to).
    pub fn allows_signup_from(&self, origin: Option<&[u8]>, fetch_site: Option<&[u8]>) -> bool {
        match origin {
            None => true,
            Some(_) if self.listed.is_empty() => true,
            Some(b"null") => matches!(fetch_site, None | Some(b"same-origin")),
            Some(h) => self.own.as_str().as_bytes() == h || self.is_listed(h),
        }
    }

    /// The address a successful form signup sends the reader back to: an
    /// absolute http(s) URL on Herald's own origin or a listed one, with
    /// `herald=pending` added to its query. Anything else is `None` (and the
    /// reader sees Herald's pending page): relative and scheme-relative
    /// URLs, other schemes, user names (`https://news.example@evil.example`),
    /// backslashes, whitespace and control characters anywhere, look-alike
    /// hosts and other ports.
    pub fn return_url(&self, raw: &str) -> Option<String> {
        let raw = raw.trim_matches(' ');
        if raw.is_empty()
            || raw.len() > RETURN_TO_MAX
            || raw.chars().any(|c| c.is_control() || c.is_whitespace())
            || raw.contains('\\')
        {
            return None;
        }
        let scheme_end = raw.find("://")?;
        if !matches!(
            raw[..scheme_end].to_ascii_lowercase().as_str(),
            "http" | "https"
        ) {
            return None;
        }
        let mut url = Url::parse(raw).ok()?;
        if !url.username().is_empty() || url.password().is_some() {
            return None;
        }
        let origin = Origin::of(&url)?;
        if origin != self.own && !self.listed.contains(&origin) {
            return None;
        }
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "herald")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("herald", "pending");
        Some(url.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins() -> SignupOrigins {
        SignupOrigins::new(
            Origin::parse("http://127.0.0.1:8080").unwrap(),
            parse_origins("https://news.example, http://127.0.0.1:8000").unwrap(),
        )
    }

    #[test]
    fn origins_parse_and_normalise() {
        let o = |s: &str| Origin::parse(s).map(|o| o.to_string());
        assert_eq!(o("https://news.example").unwrap(), "https://news.example");
        assert_eq!(o("HTTPS://NEWS.Example").unwrap(), "https://news.example");
        assert_eq!(
            o("https://news.example:443").unwrap(),
            "https://news.example"
        );
        assert_eq!(o("http://127.0.0.1:8000").unwrap(), "http://127.0.0.1:8000");
        assert_eq!(
            o("https://новини.укр").unwrap(),
            "https://xn--b1amarcd.xn--j1amh"
        );
        for bad in [
            "news.example",
            "https://news.example/",
            "https://news.example/path",
            "https://news.example?x=1",
            "https://news.example#top",
            "https://user@news.example",
            "ftp://news.example",
            "*",
            "https://",
            "https://news.example:99999",
            "https://news .example",
        ] {
            let e = Origin::parse(bad).unwrap_err();
            assert!(e.contains(bad), "{bad}: {e}");
        }
        let e = parse_origins("https://ok.example,https://bad.example/x").unwrap_err();
        assert!(e.contains("https://bad.example/x"), "{e}");
        assert_eq!(parse_origins(" , ").unwrap(), vec![]);
    }

    #[test]
    fn signups_from_listed_own_or_no_origin() {
        let s = origins();
        let cross = Some(&b"cross-site"[..]);
        assert!(s.allows_signup_from(None, None));
        assert!(s.allows_signup_from(Some(b"https://news.example"), cross));
        assert!(s.allows_signup_from(Some(b"http://127.0.0.1:8080"), Some(b"same-origin")));
        assert!(!s.allows_signup_from(Some(b"https://evil.example"), cross));
        assert!(!s.allows_signup_from(Some(b"https://evil.example"), Some(b"same-origin")));
        assert!(!s.allows_signup_from(Some(b"null"), cross));
        assert!(!s.allows_signup_from(Some(b"null"), Some(b"same-site")));
        assert!(s.allows_signup_from(Some(b"null"), Some(b"same-origin")));
        assert!(s.allows_signup_from(Some(b"null"), None));
        assert!(!s.is_listed(b"http://127.0.0.1:8080"));
        let open = SignupOrigins::new(Origin::parse("http://h.example").unwrap(), vec![]);
        assert!(open.allows_signup_from(Some(b"https://anyone.example"), cross));
    }

    /// Whatever the input, an accepted `return_to` starts with an allowed
    /// origin followed by `/`: random strings built from the characters
    /// that redirect tricks are made of.
    #[test]
    fn an_accepted_return_to_never_leaves_the_allowed_origins() {
        use rand::RngExt;
        let s = origins();
        let parts = [
            "https://",
            "http://",
            "//",
            "/",
            "\\",
            "@",
            ":",
            "%2f",
            "%40",
            "%2e",
            "%5c",
            ".",
            "news.example",
            "evil.example",
            "127.0.0.1",
            ":8000",
            ":8080",
            "#",
            "?",
            "\t",
            "\n",
            " ",
            "javascript:",
            "HTTPS://",
            "user",
            "%00",
            "。",
            "ｎews.example",
        ];
        let mut rng = rand::rng();
        let mut accepted = 0;
        for _ in 0..20_000 {
            let raw: String = (0..rng.random_range(1..7))
                .map(|_| parts[rng.random_range(0..parts.len())])
                .collect();
            if let Some(url) = s.return_url(&raw) {
                accepted += 1;
                let ok = [
                    "https://news.example/",
                    "http://127.0.0.1:8000/",
                    "http://127.0.0.1:8080/",
                ]
                .iter()
                .any(|o| url.starts_with(o));
                assert!(ok, "{raw:?} -> {url}");
            }
        }
        assert!(accepted > 0, "the generator should hit some good ones");
    }

    #[test]
    fn return_to_follows_only_allowed_origins() {
        let s = origins();
        assert_eq!(
            s.return_url("https://news.example/2026/12/story?utm=x#subscribe")
                .as_deref(),
            Some("https://news.example/2026/12/story?utm=x&herald=pending#subscribe")
        );
        assert_eq!(
            s.return_url("HTTPS://NEWS.EXAMPLE/a?herald=old").as_deref(),
            Some("https://news.example/a?herald=pending")
        );
        assert_eq!(
            s.return_url("http://127.0.0.1:8080/newsletters/x")
                .as_deref(),
            Some("http://127.0.0.1:8080/newsletters/x?herald=pending")
        );
        for evil in [
            "",
            "/relative",
            "//evil.example",
            "//news.example/x",
            "https://news.example.evil.example/",
            "https://evil.example/news.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,hi",
            "https://news.example@evil.example/",
            "https://user:pw@news.example/",
            "https://evil.example\\@news.example/",
            "https://news.example\\@evil.example/",
            "https:\\\\evil.example",
            "https:/evil.example",
            "https:evil.example",
            "https://evil.example%2f@news.example/",
            "https%3A%2F%2Fevil.example",
            "https://news.example%2eevil.example/",
            "https://evil%2eexample/",
            "\thttps://evil.example",
            "https://news.exa\tmple/",
            "https://news.example\n.evil.example/",
            "java\nscript:alert(1)",
            "https://news.example:8443/",
            "http://news.example/",
            "http://127.0.0.1:8001/",
            "https://127.0.0.1:8000/",
        ] {
            assert_eq!(s.return_url(evil), None, "{evil:?}");
        }
    }
}
