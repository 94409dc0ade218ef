//! A store that fails the calls a test chooses, the way a PostgreSQL that
//! goes away for a moment or a disk that errs would: what a reaction to an
//! event must survive without skipping it.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use eventlog::{
    AppendError, AppendRequest, AppendResult, EventStore, ExpectedVersion, Filter, KeyTable,
    NewEvent, NewKey, Position, RecordedEvent, StoreError, StreamName,
};
use tokio::sync::watch;

/// Wraps a store; by default every call goes through.
pub struct FaultyStore {
    inner: Arc<dyn EventStore>,
    /// (stream category, how many reads of its streams fail still).
    failing_reads: Mutex<Vec<(String, u32)>>,
    /// Whether reads of the whole log (what models fold) fail.
    log_down: std::sync::atomic::AtomicBool,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn EventStore>) -> Arc<FaultyStore> {
        Arc::new(FaultyStore {
            inner,
            failing_reads: Mutex::new(Vec::new()),
            log_down: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Until called again with `false`, every read of the whole log fails.
    pub fn fail_log_reads(&self, down: bool) {
        self.log_down
            .store(down, std::sync::atomic::Ordering::Relaxed);
    }

    /// The next `times` reads of streams of `category` fail.
    pub fn fail_stream_reads(&self, category: &str, times: u32) {
        if let Ok(mut f) = self.failing_reads.lock() {
            f.retain(|(c, _)| c != category);
            f.push((category.to_owned(), times));
        }
    }

    /// How many injected failures are still to come.
    pub fn pending(&self) -> u32 {
        self.failing_reads
            .lock()
            .map(|f| f.iter().map(|(_, n)| n).sum())
            .unwrap_or(0)
    }

    fn fails(&self, stream: &StreamName) -> bool {
        let Ok(mut f) = self.failing_reads.lock() else {
            return false;
        };
        match f
            .iter_mut()
            .find(|(c, n)| *n > 0 && stream.category() == c.as_str())
        {
            Some((_, n)) => {
                *n -= 1;
                true
            }
            None => false,
        }
    }
}

#[async_trait]
impl EventStore for FaultyStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, AppendError> {
        self.inner.append(stream, expected, events).await
    }

    async fn append_with(
        &self,
        first: AppendRequest,
        also: Vec<AppendRequest>,
        keys: Vec<NewKey>,
    ) -> Result<AppendResult, AppendError> {
        self.inner.append_with(first, also, keys).await
    }

    fn transactional(&self) -> bool {
        self.inner.transactional()
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if self.fails(stream) {
            return Err(StoreError::Backend(format!(
                "injected fault: reading {stream}"
            )));
        }
        self.inner.read_stream(stream, from_version, max).await
    }

    async fn read_all(
        &self,
        after: Position,
        max: usize,
        filter: &Filter,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if self.log_down.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(StoreError::Backend(
                "injected fault: reading the log".into(),
            ));
        }
        self.inner.read_all(after, max, filter).await
    }

    async fn head(&self) -> Result<Position, StoreError> {
        self.inner.head().await
    }

    fn wake(&self) -> watch::Receiver<u64> {
        self.inner.wake()
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<Position>, StoreError> {
        self.inner.load_checkpoint(name).await
    }

    async fn save_checkpoint(&self, name: &str, position: Position) -> Result<(), StoreError> {
        self.inner.save_checkpoint(name, position).await
    }

    async fn save_projection(
        &self,
        name: &str,
        version: u32,
        position: Position,
        state: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.inner
            .save_projection(name, version, position, state)
            .await
    }

    async fn load_projection(
        &self,
        name: &str,
    ) -> Result<Option<eventlog::ProjectionState>, StoreError> {
        self.inner.load_projection(name).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    fn keys(&self) -> &dyn KeyTable {
        self.inner.keys()
    }

    fn tallies(&self) -> Option<Arc<dyn eventlog::Tallies>> {
        self.inner.tallies()
    }
}
