//! The statistics service: its fold kept in memory, caught up from the log
//! when asked (the same freshness rule as the other read models), and the
//! queries over it.

use std::sync::Arc;

use chrono::NaiveDate;
use contracts::{ReminderId, SiteId};
use eventlog::{EventStore, Filter, Freshness};
use tokio::sync::Mutex;

use crate::error::StatsError;
use crate::figures::{By, Figures, sum};
use crate::fold::Fold;

/// The categories the statistics read.
pub const CATEGORIES: [&str; 3] = ["booking", "dropin", ReminderId::CATEGORY];

#[derive(Clone)]
pub struct Stats {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn EventStore>,
    live: Mutex<(Fold, Freshness)>,
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
#[derive(Debug, Clone, serde::Serialize)]
pub struct Table {
    pub rows: Vec<Row>,
    pub total: Figures,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub key: String,
    pub figures: Figures,
}

impl Stats {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Stats {
            inner: Arc::new(Inner {
                store,
                live: Mutex::new((Fold::default(), Freshness::default())),
            }),
        }
    }

    /// Folds what the log holds past the fold's position.
    async fn catch_up(&self, live: &mut (Fold, Freshness)) -> Result<(), StatsError> {
        let committed = *self.inner.store.wake().borrow();
        if !live.1.is_due(committed, live.0.position) {
            return Ok(());
        }
        live.1.reading();
        let filter = Filter::categories(CATEGORIES);
        loop {
            let batch = self
                .inner
                .store
                .read_all(live.0.position, 2000, &filter)
                .await?;
            if batch.is_empty() {
                return Ok(());
            }
            for e in &batch {
                live.0.fold(e)?;
            }
        }
    }

    /// The figures of the permanences from `q.from` to `q.to`, grouped.
    pub async fn table(&self, q: &Query) -> Result<Table, StatsError> {
        if q.to < q.from {
            return Err(StatsError::Invalid {
                field: "to",
                message: "the period ends before it starts: to must be on or after from".into(),
            });
        }
        let mut live = self.inner.live.lock().await;
        self.catch_up(&mut live).await?;
        let fold = &live.0;
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

    /// How many events the fold has read (for the benchmark).
    pub async fn events_folded(&self) -> Result<u64, StatsError> {
        let mut live = self.inner.live.lock().await;
        self.catch_up(&mut live).await?;
        Ok(live.0.events)
    }
}
