//! Store benchmark: durable appends per second with group commit from several producer
//! threads (~220-byte ArchSampled events, every one acknowledged only after fdatasync), and
//! the time to replay (scan + decode) 100k events.
//!
//! Run: `cargo run --release --example bench_store [-- <seconds per case> [<dir>]]`.
//! The store lives in a temporary directory under <dir> (default: the current directory,
//! so it is on the real disk; /tmp may be tmpfs where fsync is free).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fnas::store::{codec, ArchSampled, Event, Store, StoreError};

const REPLAY_EVENTS: u64 = 100_000;

fn event(producer: u64, i: u64) -> Event {
    Event::ArchSampled(ArchSampled {
        experiment: 1,
        index: producer * 1_000_000_000 + i,
        tokens: (0..42).map(|k| ((k + i) % 4) as u8).collect(),
        log_probs: (0..42).map(|k| -((k + i) as f32) / 7.0 - 0.1).collect(),
        policy_version: i / 32,
    })
}

/// Appends from `producers` threads, one event per call, until `secs` have passed.
fn producers_case(store: &Store, producers: u64, secs: f64) -> Result<(), StoreError> {
    let rec = store.recorder()?;
    let deadline = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..producers)
            .map(|p| {
                let rec = rec.clone();
                s.spawn(move || -> Result<u64, StoreError> {
                    let mut i = 0;
                    while start.elapsed() < deadline {
                        rec.append(event(p, i))?;
                        i += 1;
                    }
                    Ok(i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("producer thread panicked"))
            .sum::<Result<u64, StoreError>>()
    })?;
    let elapsed = start.elapsed().as_secs_f64();
    let stats = rec.stats();
    rec.shutdown()?;
    println!(
        "{producers:>3} producers x append(1): {:>8.0} events/s durable, {:>7.0} group commits/s, {:>6.1} events/group ({total} events in {elapsed:.2} s)",
        total as f64 / elapsed,
        stats.groups as f64 / elapsed,
        stats.events as f64 / stats.groups.max(1) as f64,
    );
    Ok(())
}

/// One thread calling `append_all` with batches of `batch` events.
fn batch_case(store: &Store, batch: u64, secs: f64) -> Result<(), StoreError> {
    let rec = store.recorder()?;
    let start = Instant::now();
    let mut total = 0;
    while start.elapsed().as_secs_f64() < secs {
        rec.append_all((0..batch).map(|i| event(999, total + i)))?;
        total += batch;
    }
    let elapsed = start.elapsed().as_secs_f64();
    rec.shutdown()?;
    println!(
        "  1 producer  x append_all({batch}): {:>8.0} events/s durable ({total} events in {elapsed:.2} s)",
        total as f64 / elapsed
    );
    Ok(())
}

fn replay_case(parent: &PathBuf) -> Result<(), StoreError> {
    let dir = tempfile::tempdir_in(parent).map_err(|e| StoreError::Io {
        path: parent.clone(),
        op: "create temporary directory in",
        source: e,
    })?;
    {
        let store = Store::open(dir.path())?;
        let rec = store.recorder()?;
        let start = Instant::now();
        for chunk in 0..REPLAY_EVENTS / 1000 {
            rec.append_all((0..1000).map(|i| event(7, chunk * 1000 + i)))?;
        }
        println!(
            "fill {REPLAY_EVENTS} events with append_all(1000): {:.2} s",
            start.elapsed().as_secs_f64()
        );
        rec.shutdown()?;
    }
    let start = Instant::now();
    let store = Store::open(dir.path())?;
    let reopen = start.elapsed();
    let start = Instant::now();
    let mut n = 0u64;
    let mut tokens = 0usize;
    for item in store.scan(1) {
        let (_, event) = item?;
        if let Event::ArchSampled(a) = event {
            tokens += a.tokens.len();
        }
        n += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    assert_eq!(n, REPLAY_EVENTS, "replayed every event");
    assert_eq!(tokens as u64, 42 * REPLAY_EVENTS);
    println!(
        "replay (scan + decode) {n} events: {:.3} s ({:.0} events/s); reopen before it: {:.0} ms",
        elapsed,
        n as f64 / elapsed,
        reopen.as_secs_f64() * 1e3
    );
    Ok(())
}

fn main() -> Result<(), StoreError> {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let parent = PathBuf::from(args.next().unwrap_or_else(|| ".".to_string()));
    println!(
        "event: ArchSampled, {} bytes encoded; {secs} s per case; store under {}",
        codec::encode(&event(0, 0)).len(),
        std::path::absolute(&parent)
            .unwrap_or(parent.clone())
            .display()
    );
    let dir = tempfile::tempdir_in(&parent).map_err(|e| StoreError::Io {
        path: parent.clone(),
        op: "create temporary directory in",
        source: e,
    })?;
    let store = Store::open(dir.path())?;
    for producers in [1, 4, 16, 64] {
        producers_case(&store, producers, secs)?;
    }
    batch_case(&store, 100, secs)?;
    drop(store);
    replay_case(&parent)
}
