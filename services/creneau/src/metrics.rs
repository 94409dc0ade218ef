//! Counters for `/metrics`, in the Prometheus text format. A handful of
//! atomics: no registry crate for so little.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide counters. Relaxed atomics: each is independent.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Responses by class: 2xx, 3xx, 4xx, 5xx.
    responses: [AtomicU64; 4],
    started_at: AtomicU64,
}

impl Metrics {
    pub fn new() -> Self {
        let m = Metrics::default();
        m.started_at.store(
            u64::try_from(eventlog::Clock::now(&eventlog::SystemClock).timestamp()).unwrap_or(0),
            Ordering::Relaxed,
        );
        m
    }

    pub fn record_response(&self, status: u16) {
        if let Some(counter) = usize::from(status / 100)
            .checked_sub(2)
            .and_then(|i| self.responses.get(i))
        {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The exposition text, with the store's head position.
    pub fn render(&self, backend: &str, head: Option<u64>) -> String {
        let mut out = String::new();
        out.push_str("# HELP creneau_http_responses_total HTTP responses sent, by status class.\n");
        out.push_str("# TYPE creneau_http_responses_total counter\n");
        for (i, class) in ["2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
            let _ = writeln!(
                out,
                "creneau_http_responses_total{{class=\"{class}\"}} {}",
                self.responses[i].load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP creneau_store_up Whether the event store answered this scrape.\n");
        out.push_str("# TYPE creneau_store_up gauge\n");
        let _ = writeln!(
            out,
            "creneau_store_up{{backend=\"{backend}\"}} {}",
            u8::from(head.is_some())
        );
        if let Some(head) = head {
            out.push_str(
                "# HELP creneau_store_head_position Position of the last event in the log.\n",
            );
            out.push_str("# TYPE creneau_store_head_position gauge\n");
            let _ = writeln!(out, "creneau_store_head_position {head}");
        }
        out.push_str("# HELP creneau_start_time_seconds When this process started, Unix time.\n");
        out.push_str("# TYPE creneau_start_time_seconds gauge\n");
        let _ = writeln!(
            out,
            "creneau_start_time_seconds {}",
            self.started_at.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "creneau_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}
