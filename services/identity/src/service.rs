//! The identity service's state and the helpers its commands share.

use std::sync::Arc;
use std::time::Duration;

use api::{Claims, Lockout, RateLimiter};
use chrono::{DateTime, Utc};
use contracts::Vault;
use eventlog::{Clock, EventStore, ExpectedVersion, NewEvent, StreamName};
use tokio::sync::{Mutex, MutexGuard};

use crate::directory::Directory;
use crate::error::IdentityError;

/// How many times a command is tried again when its stream moved meanwhile.
const ATTEMPTS: usize = 3;

/// What the deployment decides.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, active or not.
    pub session_max: Duration,
    /// Served over HTTPS: cookies are `Secure` and `__Host-` prefixed.
    pub https: bool,
    /// Residents with no activity for this many months are erased.
    pub retention_months: u32,
    /// Behind a reverse proxy on this machine: trust `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// Wrong passwords in a row, from one address, before the account is
    /// locked for that address.
    pub lockout_failures: u32,
    pub lockout_for: Duration,
    /// The longest an API token lasts (the administrator's choice, at most
    /// 365 days); a token older than this stops working.
    pub token_max_days: u32,
    /// Where people reach Créneau: password reset links start with it.
    pub public_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle: Duration::from_secs(30 * 60),
            session_max: Duration::from_secs(12 * 3600),
            https: false,
            retention_months: 24,
            trust_proxy: false,
            lockout_failures: 5,
            lockout_for: Duration::from_secs(15 * 60),
            token_max_days: crate::staff::DEFAULT_TOKEN_MAX_DAYS,
            public_url: "http://127.0.0.1:8080".to_owned(),
        }
    }
}

/// The identity service: cheap to clone, shared by its routes and commands.
#[derive(Clone)]
pub struct Identity {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub store: Arc<dyn EventStore>,
    /// What the service takes as now: session ages, token and code
    /// expiries, the time of its events.
    pub clock: Arc<dyn Clock>,
    pub vault: Vault,
    pub settings: Settings,
    /// A tokio mutex: held across the awaits of a catch-up.
    pub directory: Mutex<Directory>,
    /// The store's committed position, raised on every commit it knows of.
    pub committed: tokio::sync::watch::Receiver<u64>,
    /// Signs session cookies and CSRF tokens; derived from the master key,
    /// so every process of one deployment agrees on it.
    pub cookie_key: [u8; 32],
    /// Sign-in attempts per client address.
    pub sign_in_per_ip: RateLimiter,
    /// Wrong passwords per account email and address.
    pub lockout: Lockout,
    /// Manage-link look-ups per client address.
    pub links_per_ip: RateLimiter,
    /// Signs booking-code challenges.
    pub code_key: [u8; 32],
    /// Booking codes sent per phone number (in 15 minutes and in a day),
    /// and asked per address.
    pub codes_per_phone: RateLimiter,
    pub codes_per_phone_daily: RateLimiter,
    pub codes_per_ip: RateLimiter,
    /// Wrong booking codes per challenge.
    pub code_attempts: Lockout,
    /// Challenges whose code booked already: a code books once.
    pub codes_used: Claims,
    /// Reads of residents' data recorded lately ([`crate::reads::QUIET`]).
    pub reads_recorded: RateLimiter,
    /// Sends password reset links, when an SMTP server is configured.
    pub mail: std::sync::OnceLock<std::sync::Arc<dyn contracts::ports::MailOut>>,
    /// Signs password reset links.
    pub reset_key: [u8; 32],
    /// Reset links asked per address, and sent per account.
    pub resets_per_ip: RateLimiter,
    pub resets_per_account: RateLimiter,
    /// Verified when the email is unknown, so that an unknown email takes
    /// as long as a wrong password.
    pub decoy_hash: String,
}

impl Identity {
    /// The service with its directory read from the log.
    pub async fn new(
        store: Arc<dyn EventStore>,
        vault: Vault,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, IdentityError> {
        let identity = Identity::unread(store, vault, settings, clock).await?;
        identity.refresh().await?;
        Ok(identity)
    }

    /// The service before its directory is read: the first use (or
    /// [`Identity::refresh`]) reads it. What `serve` builds, to read the
    /// directory beside the other services' models.
    pub async fn unread(
        store: Arc<dyn EventStore>,
        vault: Vault,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, IdentityError> {
        let decoy_hash = blocking(|| crate::password::hash("decoy password, never used")).await?;
        // Every limit that stops guessing is counted across processes
        // where the store is shared; the quiet period of read records is
        // not (a second record of a read is harmless).
        let t = store.tallies();
        let identity = Identity {
            inner: Arc::new(Inner {
                clock,
                cookie_key: vault.derive_key("identity session cookies v1"),
                committed: store.wake(),
                code_key: vault.derive_key("identity booking codes v1"),
                codes_per_phone: RateLimiter::new(3, Duration::from_secs(15 * 60))
                    .shared(t.clone(), "identity codes per phone"),
                codes_per_phone_daily: RateLimiter::new(
                    crate::codes::CODES_PER_PHONE_DAILY,
                    Duration::from_secs(24 * 3600),
                )
                .shared(t.clone(), "identity codes per phone daily"),
                codes_per_ip: RateLimiter::new(10, Duration::from_secs(15 * 60))
                    .shared(t.clone(), "identity codes per address"),
                code_attempts: Lockout::new(
                    crate::codes::MAX_ATTEMPTS,
                    crate::codes::CODE_LIFETIME,
                )
                .shared(t.clone(), "identity code attempts"),
                codes_used: Claims::new(crate::codes::CODE_LIFETIME)
                    .shared(t.clone(), "identity codes used"),
                reads_recorded: RateLimiter::new(1, crate::reads::QUIET),
                mail: std::sync::OnceLock::new(),
                reset_key: vault.derive_key("identity password resets v1"),
                resets_per_ip: RateLimiter::new(5, Duration::from_secs(15 * 60))
                    .shared(t.clone(), "identity resets per address"),
                resets_per_account: RateLimiter::new(3, Duration::from_secs(3600))
                    .shared(t.clone(), "identity resets per account"),
                store,
                vault,
                lockout: Lockout::new(settings.lockout_failures, settings.lockout_for)
                    .shared(t.clone(), "identity sign-in lockout"),
                sign_in_per_ip: RateLimiter::new(30, Duration::from_secs(10 * 60))
                    .shared(t.clone(), "identity sign-ins per address"),
                links_per_ip: RateLimiter::new(60, Duration::from_secs(10 * 60))
                    .shared(t, "identity link look-ups per address"),
                settings,
                directory: Mutex::new(Directory::default()),
                decoy_hash,
            }),
        };
        Ok(identity)
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Now, from the service's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// The service's clock, for the services composed with it.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.inner.clock)
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.inner.store
    }

    pub fn vault(&self) -> &Vault {
        &self.inner.vault
    }

    /// The directory, caught up with the log: with every commit this
    /// process has been told of, and read at most 250 ms ago
    /// ([`eventlog::Freshness`]).
    pub async fn directory(&self) -> Result<MutexGuard<'_, Directory>, IdentityError> {
        let committed = *self.inner.committed.borrow();
        let mut d = self.inner.directory.lock().await;
        if d.is_stale(committed) {
            d.catch_up(self.inner.store.as_ref(), &self.inner.vault)
                .await?;
        }
        Ok(d)
    }

    /// `find` in the directory; when it finds nothing, the log is read again
    /// first, so that what another process just wrote (an account, a
    /// session, a link) is found even before this process is woken.
    pub async fn look_up<T>(
        &self,
        find: impl Fn(&Directory) -> Option<T>,
    ) -> Result<Option<T>, IdentityError> {
        let mut d = self.directory().await?;
        if let Some(found) = find(&d) {
            return Ok(Some(found));
        }
        d.catch_up(self.inner.store.as_ref(), &self.inner.vault)
            .await?;
        Ok(find(&d))
    }

    /// Folds what was committed since the last catch-up.
    pub async fn refresh(&self) -> Result<(), IdentityError> {
        drop(self.directory().await?);
        Ok(())
    }

    /// Appends, then folds the directory up to it: the caller reads its
    /// own write.
    pub(crate) async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<(), IdentityError> {
        self.inner.store.append(stream, expected, events).await?;
        self.refresh().await
    }

    /// Runs `attempt` until its append does not meet a concurrent change,
    /// at most a few times, reading the log again between tries.
    pub(crate) async fn retrying<T, F, Fut>(&self, mut attempt: F) -> Result<T, IdentityError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, IdentityError>>,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            match attempt().await {
                Err(IdentityError::Concurrent(_)) if tries < ATTEMPTS => {
                    // Another process moved the stream: read what it wrote.
                    let mut d = self.inner.directory.lock().await;
                    d.catch_up(self.inner.store.as_ref(), &self.inner.vault)
                        .await?;
                }
                other => return other,
            }
        }
    }
}

/// Runs slow CPU work (password hashing) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IdentityError> + Send + 'static,
) -> Result<T, IdentityError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| IdentityError::Internal(format!("hashing task failed: {e}")))?
}
