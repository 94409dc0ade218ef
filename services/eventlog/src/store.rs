//! The trait every backend implements, and the subscription built on it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use uuid::Uuid;

use crate::error::{AppendError, StoreError};
use crate::model::{
    AppendRequest, AppendResult, ExpectedVersion, Filter, NewEvent, NewKey, Position,
    RecordedEvent, StreamName,
};

/// One append-only log of events, with optimistic concurrency per stream.
///
/// Every method may be called from any number of tasks at once.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// `sqlite`, `postgres` or `kurrentdb`.
    fn backend(&self) -> &'static str;

    /// Appends `events` to one stream if it is at `expected`. Appending the
    /// same event ids again returns the first append's result and writes
    /// nothing. By default, [`EventStore::append_with`] with nothing else
    /// (a backend whose `append_with` is built on `append` writes its own).
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, AppendError> {
        let request = AppendRequest {
            stream: stream.clone(),
            expected,
            events,
        };
        self.append_with(request, Vec::new(), Vec::new()).await
    }

    /// Appends `first` and, in the same transaction, the appends `also`
    /// (written before it) and the data keys `keys` (an owner's key is kept
    /// if it has one): all of it, or nothing. Returns `first`'s result; an
    /// error is the first refusal met. So a booking and the registration of
    /// the resident it is for are one commit, and a booking refused leaves
    /// no record behind. A backend without transactions across streams
    /// (KurrentDB) writes them one after another ([`append_in_turn`]) and
    /// says so in [`EventStore::transactional`].
    async fn append_with(
        &self,
        first: AppendRequest,
        also: Vec<AppendRequest>,
        keys: Vec<NewKey>,
    ) -> Result<AppendResult, AppendError>;

    /// Whether [`EventStore::append_with`] writes all or nothing.
    fn transactional(&self) -> bool;

    /// Up to `max` events of one stream, from version `from_version` on.
    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `max` events after `after` that match `filter`, in position
    /// order. Never returns an event that a later call could find below a
    /// position this call returned.
    async fn read_all(
        &self,
        after: Position,
        max: usize,
        filter: &Filter,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Position of the last committed event (0 when the log is empty).
    async fn head(&self) -> Result<Position, StoreError>;

    /// Changes whenever events may have been committed: what subscriptions
    /// wait on between reads. The value is a position known to be committed.
    fn wake(&self) -> watch::Receiver<u64>;

    /// The stored position of a named checkpoint.
    async fn load_checkpoint(&self, name: &str) -> Result<Option<Position>, StoreError>;

    /// Stores a named checkpoint. Projections whose state lives in the same
    /// database write it in their own transaction instead (see the
    /// backends' `save_checkpoint` functions).
    async fn save_checkpoint(&self, name: &str, position: Position) -> Result<(), StoreError>;

    /// Stores a projection's state (opaque bytes, with the version of the
    /// code that folded it) and its checkpoint in one transaction: after a
    /// crash both are as they were, never one without the other. A state
    /// stored by newer code, or by the same code further on in the log, is
    /// kept: this one is dropped (two processes fold; one may be behind).
    async fn save_projection(
        &self,
        name: &str,
        version: u32,
        position: Position,
        state: Vec<u8>,
    ) -> Result<(), StoreError> {
        let _ = (name, version, position, state);
        Err(StoreError::Backend(format!(
            "the {} store keeps no projection state",
            self.backend()
        )))
    }

    /// A projection's stored state: its version, the position it folded up
    /// to, and its bytes.
    async fn load_projection(&self, name: &str) -> Result<Option<ProjectionState>, StoreError> {
        let _ = name;
        Ok(None)
    }

    /// Checks that the store answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// The key table that holds wrapped per-owner data keys.
    fn keys(&self) -> &dyn KeyTable;

    /// Counters that every process of this store shares (rate limits,
    /// lockouts, one-time claims), or `None` where one process owns the
    /// store and keeps them in memory (SQLite: one server per file).
    fn tallies(&self) -> Option<Arc<dyn Tallies>> {
        None
    }
}

/// A key of [`Tallies`]: 128 bits of a hash of what it counts (the
/// callers hash, so no address or phone number is stored).
pub type TallyKey = [u8; 16];

/// Counters shared by every process of a store, timed by the store's own
/// clock so that processes on several machines agree. Each row ends by
/// itself: past its window it counts as absent.
#[async_trait]
pub trait Tallies: Send + Sync {
    /// Hits of `key` in its current window of `window`, after counting one
    /// if `count`; and how long until the window ends. A key with no
    /// window open has 0 hits.
    async fn hit(
        &self,
        key: &TallyKey,
        window: Duration,
        count: bool,
    ) -> Result<(u32, Duration), StoreError>;

    /// Records a failure of `key` (belonging to `owner`): failures in a row
    /// less than `lock_for` apart. At `max` of them the key locks for
    /// `lock_for`: returns that length.
    async fn fail(
        &self,
        key: &TallyKey,
        owner: &TallyKey,
        max: u32,
        lock_for: Duration,
    ) -> Result<Option<Duration>, StoreError>;

    /// How long `key` stays locked, if it is.
    async fn locked(&self, key: &TallyKey) -> Result<Option<Duration>, StoreError>;

    /// Takes `key` for `window`: false when it was taken and still is.
    async fn claim(&self, key: &TallyKey, window: Duration) -> Result<bool, StoreError>;

    /// Forgets `key` (a success clears failures; a claim given back).
    async fn forget(&self, key: &TallyKey) -> Result<(), StoreError>;

    /// Forgets every key of `owner`.
    async fn forget_owner(&self, owner: &TallyKey) -> Result<(), StoreError>;
}

/// A projection's state as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionState {
    pub version: u32,
    pub position: Position,
    pub state: Vec<u8>,
}

/// Wrapped data keys, one per owner (a resident): deleting one makes every
/// field sealed with it unreadable for good.
#[async_trait]
pub trait KeyTable: Send + Sync {
    /// Stores a key unless the owner has one; returns the owner's key.
    async fn insert_key(&self, owner: Uuid, wrapped: Vec<u8>) -> Result<Vec<u8>, StoreError>;
    async fn fetch_key(&self, owner: Uuid) -> Result<Option<Vec<u8>>, StoreError>;
    /// The stored keys of `owners`, in one read or a few (an owner with no
    /// key is left out): what a fold that opens many owners' values reads
    /// first, rather than one key at a time.
    async fn fetch_keys(&self, owners: &[Uuid]) -> Result<Vec<(Uuid, Vec<u8>)>, StoreError>;
    /// Deletes the key; returns whether there was one.
    async fn delete_key(&self, owner: Uuid) -> Result<bool, StoreError>;
}

/// [`EventStore::append_with`] for a backend without transactions across
/// streams: the keys, then `also`, then `first`, one after another, so that
/// an error half-way leaves what was written before it.
pub async fn append_in_turn(
    store: &(impl EventStore + ?Sized),
    first: AppendRequest,
    also: Vec<AppendRequest>,
    keys: Vec<NewKey>,
) -> Result<AppendResult, AppendError> {
    for key in keys {
        store.keys().insert_key(key.owner, key.wrapped).await?;
    }
    for a in also {
        store.append(&a.stream, a.expected, a.events).await?;
    }
    store
        .append(&first.stream, first.expected, first.events)
        .await
}

/// Raises the wake-up position to `position` (never lowers it), waking the
/// subscriptions if it moved.
pub(crate) fn raise_wake(wake: &watch::Sender<u64>, position: u64) {
    wake.send_if_modified(|v| {
        let moved = position > *v;
        *v = (*v).max(position);
        moved
    });
}

/// How many events a subscription reads at once.
const SUBSCRIPTION_BATCH: usize = 1000;
/// How long a subscription waits for a wake-up before it reads anyway: only a
/// safety net for writers that cannot wake it (another process on SQLite).
const FALLBACK_POLL: Duration = Duration::from_millis(250);

/// Catches up from a position, then follows the log live: yields every
/// committed event that matches the filter once, in position order.
pub struct Subscription {
    store: Arc<dyn EventStore>,
    filter: Filter,
    after: Position,
    buffer: VecDeque<RecordedEvent>,
    wake: watch::Receiver<u64>,
}

impl Subscription {
    pub fn new(store: Arc<dyn EventStore>, after: Position, filter: Filter) -> Self {
        let wake = store.wake();
        Subscription {
            store,
            filter,
            after,
            buffer: VecDeque::new(),
            wake,
        }
    }

    /// Position of the last event this subscription yielded.
    pub fn position(&self) -> Position {
        self.after
    }

    /// The next event, waiting for it if the subscription has caught up.
    pub async fn next(&mut self) -> Result<RecordedEvent, StoreError> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.after = event.position;
                return Ok(event);
            }
            // Mark the current wake-up as seen before reading, so that a
            // commit after the read wakes the wait below.
            self.wake.borrow_and_update();
            let batch = self
                .store
                .read_all(self.after, SUBSCRIPTION_BATCH, &self.filter)
                .await?;
            if batch.is_empty() {
                // Either woken, or the fallback timer ran out: read again.
                let _ = tokio::time::timeout(FALLBACK_POLL, self.wake.changed()).await;
            } else {
                self.buffer.extend(batch);
            }
        }
    }

    /// The events already committed, without waiting: `None` once caught up.
    pub async fn try_next(&mut self) -> Result<Option<RecordedEvent>, StoreError> {
        if self.buffer.is_empty() {
            let batch = self
                .store
                .read_all(self.after, SUBSCRIPTION_BATCH, &self.filter)
                .await?;
            self.buffer.extend(batch);
        }
        Ok(self.buffer.pop_front().inspect(|e| self.after = e.position))
    }
}

/// When an in-memory read model must read the log again: when the store's
/// wake-up position (see [`EventStore::wake`]) passed what it folded, or
/// when its last read is older than [`Freshness::MAX_UNWOKEN_AGE`] (writers
/// in another process that cannot wake this one, as on SQLite).
#[derive(Debug, Clone, Copy, Default)]
pub struct Freshness {
    read_at: Option<std::time::Instant>,
}

impl Freshness {
    /// How stale a model may be when nothing woke it.
    pub const MAX_UNWOKEN_AGE: Duration = Duration::from_millis(250);

    /// Whether a model that folded up to `folded` must read the log, given
    /// the `committed` position of the store's wake-up channel.
    pub fn is_due(&self, committed: u64, folded: Position) -> bool {
        committed > folded.0
            || self
                .read_at
                .is_none_or(|t| t.elapsed() >= Self::MAX_UNWOKEN_AGE)
    }

    /// Records a read that starts now.
    pub fn reading(&mut self) {
        self.read_at = Some(std::time::Instant::now());
    }
}
