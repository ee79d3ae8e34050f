//! Browser sessions: the cookie holding the API's own session token, the
//! CSRF token every form carries, and the same-origin check of every post.

use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};

/// The cookie of the server-side session, `__Host-` prefixed over HTTPS so
/// no subdomain or plain-HTTP page can set it.
pub fn session_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-kentro_session"
    } else {
        "kentro_session"
    }
}

/// Before login there is no session to bind a form to: the login form's
/// token is a random value in this cookie, posted back beside it.
pub fn login_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-kentro_login"
    } else {
        "kentro_login"
    }
}

/// The workspace's language, chosen on the account page.
pub const LANGUAGE_COOKIE: &str = "kentro_lang";

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a cookie the page's scripts never read.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        cookie.push_str("; Secure");
    }
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    HeaderValue::from_str(&cookie).expect("cookie values are ASCII")
}

pub fn clear_cookie(name: &str, secure: bool) -> HeaderValue {
    set_cookie(name, "", secure, Some(0))
}

/// A form's token, bound to the session: only a page of this session can
/// know it, since the session token never leaves the HttpOnly cookie.
pub fn csrf_token(secret: &str) -> String {
    let digest = Sha256::digest(format!("kentro-csrf\0{secret}").as_bytes());
    hex::encode(digest)
}

/// Compares without leaking where the first difference is.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's randomness");
    hex::encode(bytes)
}

/// Whether a post comes from one of this site's own pages. Browsers send
/// `Sec-Fetch-Site`; `Origin` is `null` under `Referrer-Policy:
/// no-referrer`, so only a real origin is compared with the host.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
    {
        return false;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match origin {
        None | Some("null") => true,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let origin_host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            host.is_some() && origin_host == host
        }
    }
}

/// The session a browser's WebSocket carries in its cookie, when one of
/// this site's pages opened it: browsers always send `Origin` on a socket,
/// and another site's page must not ride on the cookie.
pub fn socket_session(headers: &HeaderMap, secure: bool) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    if origin_host != host {
        return None;
    }
    cookie(headers, session_cookie(secure))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn a_post_from_another_site_is_not_same_origin() {
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!same_origin(&headers(&[
            ("host", "kentro.example"),
            ("origin", "https://evil.example")
        ])));
        assert!(same_origin(&headers(&[
            ("host", "kentro.example"),
            ("origin", "https://kentro.example"),
            ("sec-fetch-site", "same-origin")
        ])));
    }

    #[test]
    fn a_socket_from_another_site_does_not_ride_on_the_cookie() {
        let mut own = headers(&[
            ("host", "kentro.example"),
            ("origin", "https://kentro.example"),
        ]);
        own.insert(
            header::COOKIE,
            HeaderValue::from_static("kentro_session=abc"),
        );
        assert_eq!(socket_session(&own, false).as_deref(), Some("abc"));
        let mut other = headers(&[
            ("host", "kentro.example"),
            ("origin", "https://evil.example"),
        ]);
        other.insert(
            header::COOKIE,
            HeaderValue::from_static("kentro_session=abc"),
        );
        assert_eq!(socket_session(&other, false), None);
        let mut no_origin = headers(&[("host", "kentro.example")]);
        no_origin.insert(
            header::COOKIE,
            HeaderValue::from_static("kentro_session=abc"),
        );
        assert_eq!(socket_session(&no_origin, false), None);
    }

    #[test]
    fn the_csrf_token_depends_on_the_session() {
        assert_ne!(csrf_token("a"), csrf_token("b"));
        assert!(same_token(&csrf_token("a"), &csrf_token("a")));
        assert!(!same_token(&csrf_token("a"), &csrf_token("b")));
    }
}
