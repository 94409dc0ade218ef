//! Rate limits, lockouts and one-time claims: they slow guessing down,
//! they are not a record (the log is).
//!
//! Where the store is shared by several processes (PostgreSQL), they are
//! counted in the store's [`Tallies`], so that two processes do not allow
//! twice the tries; a limiter made with [`RateLimiter::shared`] (and the
//! same for the others) does so. Otherwise, and for as long as the store
//! does not answer, each process counts in memory: a store that cannot be
//! reached does not lock everyone out, and still limits per process.
//!
//! Keys are hashed (SHA-256, 128 bits kept) before they are stored, so a
//! caller cannot grow the tables by sending long keys, and each table holds
//! at most [`MAX_KEYS`] entries: past it, expired entries go first, then the
//! oldest.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use eventlog::{StoreError, Tallies};
use sha2::{Digest, Sha256};

/// The most keys a table holds.
pub const MAX_KEYS: usize = 50_000;

/// 128 bits of SHA-256 of the key's parts, each ended by a zero byte.
type Key = [u8; 16];

fn key_of(parts: &[&str]) -> Key {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// Keeps `table` within [`MAX_KEYS`]: drops what `expired` says, then, if
/// still full, the tenth with the oldest `age`.
fn bound<V>(
    table: &mut HashMap<Key, V>,
    expired: impl Fn(&V) -> bool,
    age: impl Fn(&V) -> Instant,
) {
    if table.len() < MAX_KEYS {
        return;
    }
    table.retain(|_, v| !expired(v));
    if table.len() < MAX_KEYS {
        return;
    }
    let mut ages: Vec<Instant> = table.values().map(&age).collect();
    let cut = ages.len() / 10;
    let (_, nth, _) = ages.select_nth_unstable(cut);
    let nth = *nth;
    table.retain(|_, v| age(v) > nth);
}

/// The store's tallies, and the name that keeps one table's keys apart
/// from another's in them.
#[derive(Clone)]
struct Shared {
    tallies: Arc<dyn Tallies>,
    scope: &'static str,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Shared({})", self.scope)
    }
}

impl Shared {
    fn new(tallies: Option<Arc<dyn Tallies>>, scope: &'static str) -> Option<Self> {
        tallies.map(|tallies| Shared { tallies, scope })
    }

    fn key(&self, parts: &[&str]) -> Key {
        let mut all = Vec::with_capacity(parts.len() + 1);
        all.push(self.scope);
        all.extend_from_slice(parts);
        key_of(&all)
    }

    /// Logs a store that did not answer; the caller counts in memory.
    fn unreachable(&self, e: &StoreError) {
        tracing::warn!(table = self.scope, error = %e, "the store's tallies did not answer: counting in this process");
    }
}

/// At most `limit` hits per key in each `window`.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    /// Key → (window start, hits in it). A std mutex: held for a map update.
    hits: Mutex<HashMap<Key, (Instant, u32)>>,
    shared: Option<Shared>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            hits: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Counts in `tallies` (when the store has them) under `scope`, a name
    /// no other table uses.
    pub fn shared(mut self, tallies: Option<Arc<dyn Tallies>>, scope: &'static str) -> Self {
        self.shared = Shared::new(tallies, scope);
        self
    }

    /// Whether `key` may have one more hit, without counting one.
    pub async fn check(&self, key: &str) -> Result<(), Duration> {
        if let Some(s) = &self.shared {
            match s.tallies.hit(&s.key(&[key]), self.window, false).await {
                Ok((n, left)) if n >= self.limit => return Err(left),
                Ok(_) => return Ok(()),
                Err(e) => s.unreachable(&e),
            }
        }
        self.check_here(key)
    }

    /// Counts one hit for `key`; `Err(wait)` when the key is over its limit.
    pub async fn hit(&self, key: &str) -> Result<(), Duration> {
        if let Some(s) = &self.shared {
            match s.tallies.hit(&s.key(&[key]), self.window, true).await {
                Ok((n, left)) if n > self.limit => return Err(left),
                Ok(_) => return Ok(()),
                Err(e) => s.unreachable(&e),
            }
        }
        self.hit_here(key)
    }

    fn check_here(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let Ok(hits) = self.hits.lock() else {
            return Ok(());
        };
        match hits.get(&key_of(&[key])) {
            Some((start, n)) if now.duration_since(*start) < self.window && *n >= self.limit => {
                Err(self.window.saturating_sub(now.duration_since(*start)))
            }
            _ => Ok(()),
        }
    }

    fn hit_here(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let Ok(mut hits) = self.hits.lock() else {
            return Ok(());
        };
        let window = self.window;
        bound(
            &mut hits,
            |(start, _)| now.duration_since(*start) >= window,
            |(start, _)| *start,
        );
        let entry = hits.entry(key_of(&[key])).or_insert((now, 0));
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

    /// How many keys are held (for tests of the bound).
    pub fn len(&self) -> usize {
        self.hits.lock().map_or(0, |h| h.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// After `max_failures` failures in a row, a key is locked for `lock_for`.
/// A key has two parts, e.g. an account and the address it was tried from:
/// [`Lockout::cleared_all`] forgets every key of one first part.
#[derive(Debug)]
pub struct Lockout {
    max_failures: u32,
    lock_for: Duration,
    /// (first part, whole key) → (failures in a row, last failure, locked
    /// until). A std mutex: map updates only.
    state: Mutex<HashMap<Key, LockState>>,
    shared: Option<Shared>,
}

#[derive(Debug, Clone, Copy)]
struct LockState {
    owner: Key,
    failures: u32,
    last: Instant,
    until: Option<Instant>,
}

impl Lockout {
    pub fn new(max_failures: u32, lock_for: Duration) -> Self {
        Lockout {
            max_failures,
            lock_for,
            state: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Counts in `tallies` (when the store has them) under `scope`.
    pub fn shared(mut self, tallies: Option<Arc<dyn Tallies>>, scope: &'static str) -> Self {
        self.shared = Shared::new(tallies, scope);
        self
    }

    pub fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// How long (`owner`, `from`) stays locked, if it is.
    pub async fn locked(&self, owner: &str, from: &str) -> Option<Duration> {
        if let Some(s) = &self.shared {
            match s.tallies.locked(&s.key(&[owner, from])).await {
                Ok(left) => return left,
                Err(e) => s.unreachable(&e),
            }
        }
        self.locked_here(owner, from)
    }

    /// Records a failure of (`owner`, `from`); returns the lock's length
    /// when this one locks.
    pub async fn failed(&self, owner: &str, from: &str) -> Option<Duration> {
        if let Some(s) = &self.shared {
            let key = s.key(&[owner, from]);
            match s
                .tallies
                .fail(&key, &s.key(&[owner]), self.max_failures, self.lock_for)
                .await
            {
                Ok(locked) => return locked,
                Err(e) => s.unreachable(&e),
            }
        }
        self.failed_here(owner, from)
    }

    /// Forgets the failures of (`owner`, `from`): a success.
    pub async fn cleared(&self, owner: &str, from: &str) {
        if let Some(s) = &self.shared
            && let Err(e) = s.tallies.forget(&s.key(&[owner, from])).await
        {
            s.unreachable(&e);
        }
        if let Ok(mut state) = self.state.lock() {
            state.remove(&key_of(&[owner, from]));
        }
    }

    /// Forgets every failure of `owner`, from any address: a new password.
    pub async fn cleared_all(&self, owner: &str) {
        if let Some(s) = &self.shared
            && let Err(e) = s.tallies.forget_owner(&s.key(&[owner])).await
        {
            s.unreachable(&e);
        }
        let owner = key_of(&[owner]);
        if let Ok(mut state) = self.state.lock() {
            state.retain(|_, s| s.owner != owner);
        }
    }

    fn locked_here(&self, owner: &str, from: &str) -> Option<Duration> {
        let now = Instant::now();
        let state = self.state.lock().ok()?;
        let until = state.get(&key_of(&[owner, from]))?.until?;
        (until > now).then(|| until - now)
    }

    fn failed_here(&self, owner: &str, from: &str) -> Option<Duration> {
        let now = Instant::now();
        let mut state = self.state.lock().ok()?;
        let lock_for = self.lock_for;
        bound(
            &mut state,
            |s| {
                s.until
                    .map_or(now.duration_since(s.last) >= lock_for, |u| u <= now)
            },
            |s| s.last,
        );
        let entry = state.entry(key_of(&[owner, from])).or_insert(LockState {
            owner: key_of(&[owner]),
            failures: 0,
            last: now,
            until: None,
        });
        if entry.until.is_some_and(|u| u <= now) || now.duration_since(entry.last) >= lock_for {
            entry.failures = 0;
            entry.until = None;
        }
        entry.failures += 1;
        entry.last = now;
        if entry.failures >= self.max_failures {
            entry.until = Some(now + self.lock_for);
            return Some(self.lock_for);
        }
        None
    }

    /// How many keys are held (for tests of the bound).
    pub fn len(&self) -> usize {
        self.state.lock().map_or(0, |s| s.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Keys taken at most once each within `window`: a booking code books
/// once. A claim can be given back (the booking it was for failed).
#[derive(Debug)]
pub struct Claims {
    window: Duration,
    /// Key → when it was taken. A std mutex: map updates only.
    taken: Mutex<HashMap<Key, Instant>>,
    shared: Option<Shared>,
}

impl Claims {
    pub fn new(window: Duration) -> Self {
        Claims {
            window,
            taken: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Claims in `tallies` (when the store has them) under `scope`.
    pub fn shared(mut self, tallies: Option<Arc<dyn Tallies>>, scope: &'static str) -> Self {
        self.shared = Shared::new(tallies, scope);
        self
    }

    /// Takes `key`: false when it was taken already.
    pub async fn claim(&self, key: &str) -> bool {
        if let Some(s) = &self.shared {
            match s.tallies.claim(&s.key(&[key]), self.window).await {
                Ok(taken) => return taken,
                Err(e) => s.unreachable(&e),
            }
        }
        self.claim_here(key)
    }

    /// Gives `key` back.
    pub async fn release(&self, key: &str) {
        if let Some(s) = &self.shared
            && let Err(e) = s.tallies.forget(&s.key(&[key])).await
        {
            s.unreachable(&e);
        }
        if let Ok(mut taken) = self.taken.lock() {
            taken.remove(&key_of(&[key]));
        }
    }

    fn claim_here(&self, key: &str) -> bool {
        let now = Instant::now();
        let Ok(mut taken) = self.taken.lock() else {
            return false;
        };
        let window = self.window;
        bound(&mut taken, |at| now.duration_since(*at) >= window, |at| *at);
        match taken.entry(key_of(&[key])) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                if now.duration_since(*e.get()) >= window {
                    e.insert(now);
                    true
                } else {
                    false
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(now);
                true
            }
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

/// "`what`: try again in 3 minutes", in the caller's language: what a
/// limit answers.
pub fn try_again(what: impl std::fmt::Display, wait: Duration) -> String {
    crate::MESSAGES.now(
        "try-again-in",
        &[
            ("what", what.to_string().into()),
            ("wait", wait_words(wait).into()),
        ],
    )
}

/// "3 minutes", "1 minute", "40 seconds": for messages.
pub fn wait_words(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    match secs {
        0..60 => crate::MESSAGES.now("wait-seconds", &[("count", secs.into())]),
        _ => crate::MESSAGES.now("wait-minutes", &[("count", secs.div_ceil(60).into())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_limiter_refuses_past_its_limit_and_forgives_after_its_window() {
        let l = RateLimiter::new(2, Duration::from_millis(500));
        assert!(l.hit("a").await.is_ok());
        assert!(l.hit("a").await.is_ok());
        assert!(l.hit("a").await.is_err());
        assert!(l.hit("b").await.is_ok(), "keys are counted apart");
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(l.hit("a").await.is_ok());
    }

    #[tokio::test]
    async fn a_lockout_locks_after_failures_in_a_row_and_a_success_clears_them() {
        let l = Lockout::new(3, Duration::from_millis(500));
        assert_eq!(l.failed("x", "a").await, None);
        assert_eq!(l.failed("x", "a").await, None);
        l.cleared("x", "a").await;
        assert_eq!(l.failed("x", "a").await, None);
        assert_eq!(l.failed("x", "a").await, None);
        assert!(l.failed("x", "a").await.is_some());
        assert!(l.locked("x", "a").await.is_some());
        assert!(
            l.locked("x", "b").await.is_none(),
            "another address is not locked"
        );
        assert!(l.locked("y", "a").await.is_none());
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(l.locked("x", "a").await.is_none());
        assert_eq!(
            l.failed("x", "a").await,
            None,
            "the count starts again after a lock"
        );
    }

    #[tokio::test]
    async fn a_new_password_clears_an_account_from_every_address() {
        let l = Lockout::new(1, Duration::from_secs(60));
        assert!(l.failed("x", "a").await.is_some());
        assert!(l.failed("x", "b").await.is_some());
        assert!(l.failed("y", "a").await.is_some());
        l.cleared_all("x").await;
        assert!(l.locked("x", "a").await.is_none());
        assert!(l.locked("x", "b").await.is_none());
        assert!(l.locked("y", "a").await.is_some());
    }

    #[tokio::test]
    async fn tables_hold_hashed_keys_and_stay_within_their_bound() {
        let limiter = RateLimiter::new(5, Duration::from_secs(3600));
        let lockout = Lockout::new(5, Duration::from_secs(3600));
        let long = "x".repeat(1_000);
        for i in 0..MAX_KEYS + 1_000 {
            let key = format!("{long}{i}");
            assert!(limiter.hit(&key).await.is_ok());
            assert_eq!(lockout.failed(&key, "a").await, None);
        }
        assert!(limiter.len() <= MAX_KEYS, "{}", limiter.len());
        assert!(lockout.len() <= MAX_KEYS, "{}", lockout.len());
        // The newest keys are kept.
        let newest = format!("{long}{}", MAX_KEYS + 999);
        for _ in 0..4 {
            assert!(limiter.hit(&newest).await.is_ok());
        }
        assert!(limiter.hit(&newest).await.is_err());
    }

    #[tokio::test]
    async fn a_claim_is_taken_once_until_given_back() {
        let c = Claims::new(Duration::from_secs(60));
        assert!(c.claim("a").await);
        assert!(!c.claim("a").await);
        assert!(c.claim("b").await);
        c.release("a").await;
        assert!(c.claim("a").await);
    }

    #[tokio::test]
    async fn a_check_does_not_count() {
        let l = RateLimiter::new(1, Duration::from_secs(60));
        assert!(l.check("a").await.is_ok());
        assert!(l.check("a").await.is_ok());
        assert!(l.hit("a").await.is_ok());
        assert!(l.check("a").await.is_err());
    }

    #[tokio::test]
    async fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
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

    #[tokio::test]
    async fn waits_read_as_words() {
        // These assertions read the English messages.
        messages::set_default(messages::Language::En);
        assert_eq!(wait_words(Duration::from_secs(1)), "1 second");
        assert_eq!(wait_words(Duration::from_secs(61)), "2 minutes");
        assert_eq!(wait_words(Duration::from_secs(900)), "15 minutes");
    }
}
