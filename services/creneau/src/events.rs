//! `creneau events tail` and `creneau events stats`: the log, for people.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use contracts::Vault;
use eventlog::{EventStore, Filter, Position, RecordedEvent, StreamName, Subscription};
use serde_json::Value;

/// What `events tail` shows.
#[derive(Debug, Clone, clap::Args)]
pub struct TailArgs {
    /// Keep following new events as they are committed.
    #[arg(long, short)]
    pub follow: bool,
    /// Only this stream.
    #[arg(long)]
    pub stream: Option<String>,
    /// Only these stream categories (the part of the name before the first '-').
    #[arg(long)]
    pub category: Vec<String>,
    /// How many of the last events to show first.
    #[arg(long, short = 'n', default_value_t = 20)]
    pub lines: u64,
}

/// Prints events as lines a person reads; personal values shown only when
/// the vault (the master key) is at hand.
pub async fn tail(
    store: Arc<dyn EventStore>,
    vault: Option<Vault>,
    args: TailArgs,
    out: &mut (impl Write + Send),
) -> anyhow::Result<()> {
    let stream = args.stream.as_deref().map(StreamName::new).transpose()?;
    let mut filter = Filter::categories(args.category.clone());
    if let Some(s) = &stream {
        filter = Filter::categories([s.category().to_owned()]);
    }
    let wanted = |e: &RecordedEvent| stream.as_ref().is_none_or(|s| s.as_str() == e.stream);
    let head = store.head().await?.0;
    // Where to start: far enough back for the last N matching events.
    let start = if let Some(s) = &stream {
        let events = store.read_stream(s, 0, usize::MAX >> 1).await?;
        let skip = events
            .len()
            .saturating_sub(usize::try_from(args.lines).unwrap_or(usize::MAX));
        for e in &events[skip..] {
            print_event(e, vault.as_ref(), out).await?;
        }
        events.last().map_or(Position::START, |e| e.position)
    } else {
        let mut recent = std::collections::VecDeque::new();
        let mut sub = Subscription::new(Arc::clone(&store), Position::START, filter.clone());
        // Unfiltered: jump straight to the last N positions.
        if filter.is_all() {
            sub = Subscription::new(
                Arc::clone(&store),
                Position(head.saturating_sub(args.lines)),
                filter.clone(),
            );
        }
        while let Some(e) = sub.try_next().await? {
            recent.push_back(e);
            if recent.len() as u64 > args.lines {
                recent.pop_front();
            }
        }
        for e in &recent {
            print_event(e, vault.as_ref(), out).await?;
        }
        sub.position()
    };
    if args.follow {
        let mut sub = Subscription::new(store, start, filter);
        loop {
            let e = sub.next().await?;
            if wanted(&e) {
                print_event(&e, vault.as_ref(), out).await?;
            }
        }
    }
    Ok(())
}

async fn print_event(
    e: &RecordedEvent,
    vault: Option<&Vault>,
    out: &mut (impl Write + Send),
) -> anyhow::Result<()> {
    let mut payload: Value = serde_json::from_slice(&e.payload).unwrap_or(Value::Null);
    contracts::personal::reveal_json(&mut payload, vault).await;
    let when = contracts::time::to_local(e.metadata.recorded_at).format("%Y-%m-%d %H:%M:%S");
    writeln!(
        out,
        "#{} {when} {}@{} {} by {} corr {} {}",
        e.position,
        e.stream,
        e.version,
        e.event_type,
        e.metadata.actor,
        e.metadata.correlation_id,
        payload
    )?;
    out.flush()?;
    Ok(())
}

/// Counts of the log, by category and by type.
pub async fn stats(store: Arc<dyn EventStore>, out: &mut impl Write) -> anyhow::Result<()> {
    let mut by_category: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut streams = std::collections::HashSet::new();
    let mut total = 0u64;
    let (mut first, mut last) = (None, None);
    let mut after = Position::START;
    loop {
        let batch = store.read_all(after, 10_000, &Filter::all()).await?;
        let Some(end) = batch.last() else { break };
        after = end.position;
        for e in &batch {
            total += 1;
            *by_category.entry(e.category().to_owned()).or_default() += 1;
            *by_type.entry(e.event_type.clone()).or_default() += 1;
            if !streams.contains(e.stream.as_str()) {
                streams.insert(e.stream.clone());
            }
            first.get_or_insert(e.metadata.recorded_at);
            last = Some(e.metadata.recorded_at);
        }
    }
    writeln!(out, "backend   {}", store.backend())?;
    writeln!(out, "events    {total}")?;
    writeln!(out, "streams   {}", streams.len())?;
    writeln!(out, "head      {}", store.head().await?)?;
    if let (Some(f), Some(l)) = (first, last) {
        let fmt = |t| {
            contracts::time::to_local(t)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        writeln!(out, "from      {} to {} (Paris time)", fmt(f), fmt(l))?;
    }
    writeln!(out, "\nby category")?;
    for (k, v) in &by_category {
        writeln!(out, "  {v:>10}  {k}")?;
    }
    writeln!(out, "\nby type")?;
    for (k, v) in &by_type {
        writeln!(out, "  {v:>10}  {k}")?;
    }
    Ok(())
}
