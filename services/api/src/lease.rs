//! Work that must happen once among several processes — a reminders
//! dispatch, the no-show and retention sweeps — runs under a lease kept in
//! the log: the stream `lease-<work>` holds `LeaseTaken { holder,
//! expires_at }`, appended at the version its writer read, so two processes
//! cannot both take it. The holder renews it when half of it is left; a
//! holder killed without a word is replaced once it expires. A holder asks
//! [`Lease::held`] (no store read) before each step that must not happen
//! twice, so one that lost its lease stops.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use contracts::decode_event;
use contracts::proto::reminders::v1::DispatcherLeaseTaken;
use contracts::proto::work::v1::LeaseTaken;
use eventlog::{AppendError, Clock, EventStore, ExpectedVersion, StoreError, StreamName};

use crate::Acting;

/// Why a lease could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lease could not be written")]
    Append(#[source] AppendError),
    #[error("the lease's events do not fit their contract")]
    Contract(#[from] contracts::ContractError),
}

/// Who holds a lease now, as the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub holder: String,
    pub until: DateTime<Utc>,
}

/// The holder of `work`'s lease at `now`, if it has one that has not
/// expired: for `/readyz`, which says whether a singleton runs anywhere.
pub async fn holder_of(
    store: &dyn EventStore,
    work: &str,
    now: DateTime<Utc>,
) -> Result<Option<Holder>, LeaseError> {
    let stream = StreamName::of("lease", work)?;
    Ok(latest(store, &stream, 0, now)
        .await?
        .map(|(_, holder, until)| Holder { holder, until })
        .filter(|h| h.until > now))
}

/// The last taking of the lease in `stream` read from version `from` on:
/// its version, holder and end.
async fn latest(
    store: &dyn EventStore,
    stream: &StreamName,
    mut from: u64,
    now: DateTime<Utc>,
) -> Result<Option<(u64, String, DateTime<Utc>)>, LeaseError> {
    let mut latest = None;
    loop {
        let events = store.read_stream(stream, from, 1000).await?;
        let Some(last) = events.last() else { break };
        from = last.version + 1;
        let taken = match decode_event::<LeaseTaken>(last)? {
            Some(x) => Some((x.holder, x.expires_at)),
            None => decode_event::<DispatcherLeaseTaken>(last)?.map(|x| (x.holder, x.expires_at)),
        };
        if let Some((holder, expires_at)) = taken {
            let expires = DateTime::parse_from_rfc3339(&expires_at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now);
            latest = Some((last.version, holder, expires));
        }
        if events.len() < 1000 {
            break;
        }
    }
    Ok(latest)
}

/// One process's side of a lease.
pub struct Lease {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    stream: StreamName,
    holder: String,
    duration: chrono::Duration,
    /// Until when this process holds it, and the stream's last version read.
    state: Mutex<(Option<DateTime<Utc>>, Option<u64>)>,
}

impl Lease {
    /// The lease of `work` (`lease-<work>`) for this process, `holder`.
    pub fn new(
        store: Arc<dyn EventStore>,
        clock: Arc<dyn Clock>,
        work: &str,
        holder: impl Into<String>,
        duration: Duration,
    ) -> Result<Lease, StoreError> {
        Ok(Lease {
            store,
            clock,
            stream: StreamName::of("lease", work)?,
            holder: holder.into(),
            duration: chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::seconds(10)),
            state: Mutex::new((None, None)),
        })
    }

    /// A holder name for this process: its id and a fresh UUID (two
    /// processes of one host, or one restarted, are told apart).
    pub fn this_process() -> String {
        format!("{}-{}", std::process::id(), uuid::Uuid::now_v7())
    }

    /// Whether this process holds the lease now, by what it last wrote (no
    /// store read): what to ask before each step that must happen once.
    pub fn held(&self) -> bool {
        let now = self.clock.now();
        self.state
            .lock()
            .map(|s| s.0.is_some_and(|until| until > now))
            .unwrap_or(false)
    }

    /// Takes the lease, or renews it once half of it has gone; whether this
    /// process holds it now.
    pub async fn hold(&self) -> Result<bool, LeaseError> {
        let now = self.clock.now();
        let (until, seen) = self.state.lock().map(|s| *s).unwrap_or((None, None));
        if until.is_some_and(|u| u - now > self.duration / 2) {
            return Ok(true);
        }
        let latest = latest(self.store.as_ref(), &self.stream, seen.unwrap_or(0), now).await?;
        let (expected, free) = match &latest {
            None => (ExpectedVersion::NoStream, true),
            Some((v, holder, expires)) => (
                ExpectedVersion::Exact(*v),
                *holder == self.holder || *expires <= now,
            ),
        };
        if !free {
            if let Ok(mut s) = self.state.lock() {
                *s = (None, latest.map(|(v, _, _)| v));
            }
            return Ok(false);
        }
        let taken = LeaseTaken {
            holder: self.holder.clone(),
            expires_at: (now + self.duration).to_rfc3339(),
        };
        let event = Acting::system("lease", now)
            .event(&taken)
            .map_err(LeaseError::Store)?;
        match self.store.append(&self.stream, expected, vec![event]).await {
            Ok(done) => {
                if let Ok(mut s) = self.state.lock() {
                    *s = (Some(now + self.duration), done.next_expected);
                }
                Ok(true)
            }
            Err(AppendError::WrongExpectedVersion { .. }) => {
                if let Ok(mut s) = self.state.lock() {
                    *s = (None, seen);
                }
                Ok(false)
            }
            Err(AppendError::Store(e)) => Err(e.into()),
            Err(e) => Err(LeaseError::Append(e)),
        }
    }
}
