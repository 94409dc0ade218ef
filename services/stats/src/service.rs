//! The statistics service: its fold, stored with its checkpoint in one
//! transaction (`save_projection`) and caught up from the log when asked.
//!
//! On start the stored state is loaded when the code that folded it has
//! the same version ([`VERSION`]); otherwise (or when there is none) the
//! fold starts again from the first event. Until it has caught up with the
//! log, queries are answered with its progress, never with partial figures.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use contracts::{ReminderId, SiteId};
use eventlog::{EventStore, Filter, Freshness, Position};
use tokio::sync::Mutex;

use crate::error::StatsError;
use crate::figures::{By, Figures, sum};
use crate::fold::Fold;

/// The categories the statistics read.
pub const CATEGORIES: [&str; 5] = [
    contracts::streams::BOOKING,
    contracts::streams::DROP_IN,
    ReminderId::CATEGORY,
    SiteId::CATEGORY,
    // Workshops' titles and themes, for the activity report.
    contracts::RuleId::CATEGORY,
];
/// The projection's name (and its checkpoint's).
pub const PROJECTION: &str = "stats";
/// The version of the fold: a change refolds from the first event.
pub const VERSION: u32 = 8;
/// The state is stored again once this many events were folded since.
const SAVE_EVERY_EVENTS: u64 = 10_000;

#[derive(Clone)]
pub struct Stats {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn EventStore>,
    live: Mutex<Live>,
    /// Where the fold is while it catches up: (folded, head, ready).
    progress: std::sync::Mutex<(u64, u64, bool)>,
    /// With several processes, the one holding `lease-stats` stores the
    /// fold; the others fold in memory for their queries. None: store.
    lease: Option<api::Lease>,
}

struct Live {
    fold: Fold,
    freshness: Freshness,
    /// Events folded when the state was last stored.
    saved_at: u64,
    loaded: bool,
}

/// What a query asks.
#[derive(Debug, Clone)]
pub struct Query {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Only these sites (`None`: every site).
    pub sites: Option<Vec<SiteId>>,
    pub by: By,
}

/// Rows and their total.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Table {
    pub rows: Vec<Row>,
    pub total: Figures,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Row {
    pub key: String,
    pub figures: Figures,
}

impl Stats {
    /// The service, not caught up yet: queries answer with the progress
    /// until [`Stats::warm_up`] has run.
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Stats::with(store, None)
    }

    /// The service, storing its fold only while it holds `lease`.
    pub fn under_lease(store: Arc<dyn EventStore>, lease: api::Lease) -> Self {
        Stats::with(store, Some(lease))
    }

    fn with(store: Arc<dyn EventStore>, lease: Option<api::Lease>) -> Self {
        Stats {
            inner: Arc::new(Inner {
                store,
                lease,
                live: Mutex::new(Live {
                    fold: Fold::default(),
                    freshness: Freshness::default(),
                    saved_at: 0,
                    loaded: false,
                }),
                progress: std::sync::Mutex::new((0, 0, false)),
            }),
        }
    }

    /// The service, catching up in the background (storing its fold under
    /// `lease`, when given).
    pub fn open(store: Arc<dyn EventStore>, lease: Option<api::Lease>) -> Self {
        let stats = Stats::with(store, lease);
        let warming = stats.clone();
        tokio::spawn(async move {
            if let Err(e) = warming.warm_up().await {
                tracing::error!(error = %e, "the statistics could not catch up with the log");
            }
        });
        stats
    }

    /// Loads the stored state (when its version is this code's) and folds
    /// the log from there; then queries are answered.
    pub async fn warm_up(&self) -> Result<(), StatsError> {
        let mut live = self.inner.live.lock().await;
        self.load(&mut live).await?;
        self.catch_up(&mut live, true).await?;
        if live.saved_at != live.fold.events {
            self.save(&mut live).await;
        }
        if let Ok(mut p) = self.inner.progress.lock() {
            p.2 = true;
        }
        Ok(())
    }

    async fn load(&self, live: &mut Live) -> Result<(), StatsError> {
        if live.loaded {
            return Ok(());
        }
        live.loaded = true;
        match self.inner.store.load_projection(PROJECTION).await? {
            Some(stored) if stored.version == VERSION => {
                match serde_json::from_slice::<Fold>(&stored.state) {
                    Ok(fold) if fold.position == stored.position => {
                        live.saved_at = fold.events;
                        live.fold = fold;
                        tracing::info!(position = stored.position.0, "statistics loaded");
                    }
                    _ => tracing::warn!("the stored statistics do not read back: folding again"),
                }
            }
            Some(stored) => tracing::info!(
                stored = stored.version,
                current = VERSION,
                "the statistics' fold changed: folding again from the first event"
            ),
            None => {}
        }
        Ok(())
    }

    /// Stores the fold with its checkpoint.
    async fn save(&self, live: &mut Live) {
        if let Some(lease) = &self.inner.lease {
            match lease.hold().await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(error = %api::chain(&e), "the statistics' lease could not be read: not stored this time");
                    return;
                }
            }
        }
        let state = match serde_json::to_vec(&live.fold) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "the statistics do not serialize");
                return;
            }
        };
        match self
            .inner
            .store
            .save_projection(PROJECTION, VERSION, live.fold.position, state)
            .await
        {
            Ok(()) => live.saved_at = live.fold.events,
            // Kept in memory: the next start folds again.
            Err(e) => tracing::warn!(error = %e, "the statistics could not be stored"),
        }
    }

    /// Folds what the log holds past the fold's position, reporting the
    /// progress as it goes.
    async fn catch_up(&self, live: &mut Live, force: bool) -> Result<(), StatsError> {
        let committed = *self.inner.store.wake().borrow();
        if !force && !live.freshness.is_due(committed, live.fold.position) {
            return Ok(());
        }
        live.freshness.reading();
        let head = self.inner.store.head().await?.0;
        let filter = Filter::categories(CATEGORIES);
        loop {
            let batch = self
                .inner
                .store
                .read_all(live.fold.position, 5000, &filter)
                .await?;
            let Some(last) = batch.last().map(|e| e.position) else {
                break;
            };
            for e in &batch {
                live.fold.fold(e)?;
            }
            live.fold.position = last;
            if let Ok(mut p) = self.inner.progress.lock() {
                *p = (last.0, head.max(last.0), p.2);
            }
        }
        if live.fold.events - live.saved_at >= SAVE_EVERY_EVENTS {
            self.save(live).await;
        }
        Ok(())
    }

    /// Folds everything again from the first event, calling `progress`
    /// with (folded, head) as it goes, and stores the result.
    pub async fn rebuild(&self, mut progress: impl FnMut(u64, u64)) -> Result<u64, StatsError> {
        let mut live = self.inner.live.lock().await;
        live.fold = Fold::default();
        live.loaded = true;
        let head = self.inner.store.head().await?.0;
        let filter = Filter::categories(CATEGORIES);
        let mut last_report = Instant::now();
        loop {
            let batch = self
                .inner
                .store
                .read_all(live.fold.position, 5000, &filter)
                .await?;
            let Some(last) = batch.last().map(|e| e.position) else {
                break;
            };
            for e in &batch {
                live.fold.fold(e)?;
            }
            live.fold.position = last;
            if last_report.elapsed() > Duration::from_millis(200) {
                progress(last.0, head);
                last_report = Instant::now();
            }
        }
        // The fold reached the head even if the last events were of other
        // categories.
        live.fold.position = live.fold.position.max(Position(head));
        progress(head, head);
        self.save(&mut live).await;
        if let Ok(mut p) = self.inner.progress.lock() {
            *p = (head, head, true);
        }
        Ok(live.fold.events)
    }

    /// The figures of the permanences from `q.from` to `q.to`, grouped.
    pub async fn table(&self, q: &Query) -> Result<Table, StatsError> {
        let live = self.caught_up(q).await?;
        let fold = &live.fold;
        let outcomes = fold.outcomes();
        let mut groups: std::collections::BTreeMap<String, Vec<_>> = Default::default();
        let mut all = Vec::new();
        for (id, p) in &fold.permanences {
            let Some(day) = p.day else { continue };
            if day < q.from || day > q.to {
                continue;
            }
            if let Some(sites) = &q.sites
                && !p.site.is_some_and(|s| sites.contains(&s))
            {
                continue;
            }
            let o = outcomes.get(id.as_str()).copied().unwrap_or_default();
            groups
                .entry(q.by.key(id, p.site, day))
                .or_default()
                .push((p, o));
            all.push((p, o));
        }
        Ok(Table {
            rows: groups
                .into_iter()
                .map(|(key, ps)| Row {
                    key,
                    figures: sum(ps),
                })
                .collect(),
            total: sum(all),
        })
    }

    /// Every site the log has opened, with its name, caught up first.
    /// The fold, caught up, for a query whose period reads forwards; until
    /// the first catch-up is done, the progress instead.
    async fn caught_up(&self, q: &Query) -> Result<tokio::sync::MutexGuard<'_, Live>, StatsError> {
        if q.to < q.from {
            return Err(StatsError::Invalid {
                field: "to",
                message: messages::say!(crate::MESSAGES, "period-ends-before-it-starts"),
            });
        }
        let (folded, head, ready) = self
            .inner
            .progress
            .lock()
            .map(|p| *p)
            .unwrap_or((0, 0, false));
        if !ready {
            return Err(StatsError::Rebuilding { folded, head });
        }
        let mut live = self.inner.live.lock().await;
        self.catch_up(&mut live, false).await?;
        Ok(live)
    }

    /// The activity report of the query's period and sites (one row per
    /// visit), as CSV: see [`crate::activity`].
    pub async fn activity_csv(&self, q: &Query) -> Result<String, StatsError> {
        let live = self.caught_up(q).await?;
        Ok(crate::activity::csv(&live.fold, q))
    }

    pub async fn sites(&self) -> Result<Vec<(SiteId, String)>, StatsError> {
        let mut live = self.inner.live.lock().await;
        self.catch_up(&mut live, false).await?;
        Ok(live
            .fold
            .sites
            .iter()
            .map(|(id, name)| (*id, name.clone()))
            .collect())
    }

    /// How many events the fold has read, catching up first.
    pub async fn events_folded(&self) -> Result<u64, StatsError> {
        let mut live = self.inner.live.lock().await;
        self.load(&mut live).await?;
        self.catch_up(&mut live, true).await?;
        Ok(live.fold.events)
    }
}
