//! Rate limits and lockouts, held in memory by each process: they slow
//! guessing down, they are not a record (the log is).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// Above this many keys, expired entries are swept on the next hit.
const SWEEP_ABOVE: usize = 10_000;

/// At most `limit` hits per key in each `window`.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    /// Key → (window start, hits in it). A std mutex: held for a map update.
    hits: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one hit for `key`; `Err(wait)` when the key is over its limit.
    pub fn hit(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let Ok(mut hits) = self.hits.lock() else {
            return Ok(());
        };
        if hits.len() > SWEEP_ABOVE {
            hits.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = hits.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.limit {
            Err(self.window.saturating_sub(now.duration_since(entry.0)))
        } else {
            Ok(())
        }
    }
}

/// After `max_failures` failures in a row, a key is locked for `lock_for`.
#[derive(Debug)]
pub struct Lockout {
    max_failures: u32,
    lock_for: Duration,
    /// Key → (failures in a row, locked until). A std mutex: map updates only.
    state: Mutex<HashMap<String, (u32, Option<Instant>)>>,
}

impl Lockout {
    pub fn new(max_failures: u32, lock_for: Duration) -> Self {
        Lockout {
            max_failures,
            lock_for,
            state: Mutex::new(HashMap::new()),
        }
    }

    pub fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// How long `key` stays locked, if it is.
    pub fn locked(&self, key: &str) -> Option<Duration> {
        let now = Instant::now();
        let state = self.state.lock().ok()?;
        let until = state.get(key)?.1?;
        (until > now).then(|| until - now)
    }

    /// Records a failure; returns the lock's length when this one locks.
    pub fn failed(&self, key: &str) -> Option<Duration> {
        let now = Instant::now();
        let mut state = self.state.lock().ok()?;
        if state.len() > SWEEP_ABOVE {
            state.retain(|_, (_, until)| until.is_some_and(|u| u > now));
        }
        let entry = state.entry(key.to_owned()).or_insert((0, None));
        if entry.1.is_some_and(|u| u <= now) {
            *entry = (0, None);
        }
        entry.0 += 1;
        if entry.0 >= self.max_failures {
            entry.1 = Some(now + self.lock_for);
            return Some(self.lock_for);
        }
        None
    }

    /// Forgets the key's failures (a success, or a password reset).
    pub fn cleared(&self, key: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.remove(key);
        }
    }
}

/// The caller's IP address: the peer's, or with `trust_proxy` (behind a
/// reverse proxy on the same machine) the last hop of `X-Forwarded-For`.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return forwarded.to_owned();
    }
    peer.map_or_else(|| "unknown".to_owned(), |p| p.ip().to_string())
}

/// The caller's IP address, set on each request by the server's first
/// middleware (which knows whether to trust a proxy); without it, the
/// peer's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        if let Some(ip) = parts.extensions.get::<ClientIp>() {
            return Ok(ip.clone());
        }
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientIp(client_ip(&parts.headers, peer, false)))
    }
}

/// "3 minutes", "1 minute", "40 seconds": for messages.
pub fn wait_words(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    match secs {
        0..60 => format!("{secs} second{}", if secs == 1 { "" } else { "s" }),
        _ => {
            let mins = secs.div_ceil(60);
            format!("{mins} minute{}", if mins == 1 { "" } else { "s" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limiter_refuses_past_its_limit_and_forgives_after_its_window() {
        let l = RateLimiter::new(2, Duration::from_millis(500));
        assert!(l.hit("a").is_ok());
        assert!(l.hit("a").is_ok());
        assert!(l.hit("a").is_err());
        assert!(l.hit("b").is_ok(), "keys are counted apart");
        std::thread::sleep(Duration::from_millis(600));
        assert!(l.hit("a").is_ok());
    }

    #[test]
    fn a_lockout_locks_after_failures_in_a_row_and_a_success_clears_them() {
        let l = Lockout::new(3, Duration::from_millis(500));
        assert_eq!(l.failed("x"), None);
        assert_eq!(l.failed("x"), None);
        l.cleared("x");
        assert_eq!(l.failed("x"), None);
        assert_eq!(l.failed("x"), None);
        assert!(l.failed("x").is_some());
        assert!(l.locked("x").is_some());
        assert!(l.locked("y").is_none());
        std::thread::sleep(Duration::from_millis(600));
        assert!(l.locked("x").is_none());
        assert_eq!(l.failed("x"), None, "the count starts again after a lock");
    }

    #[test]
    fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "203.0.113.9, 10.0.0.1".parse().expect("header"),
        );
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 4000)));
        assert_eq!(client_ip(&h, peer, false), "127.0.0.1");
        assert_eq!(client_ip(&h, peer, true), "10.0.0.1");
        assert_eq!(client_ip(&HeaderMap::new(), None, false), "unknown");
    }

    #[test]
    fn waits_read_as_words() {
        assert_eq!(wait_words(Duration::from_secs(1)), "1 second");
        assert_eq!(wait_words(Duration::from_secs(61)), "2 minutes");
        assert_eq!(wait_words(Duration::from_secs(900)), "15 minutes");
    }
}
