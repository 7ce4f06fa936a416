//! Event log tests on a real sled database in temporary directories: append / reopen /
//! scan, concurrent writers, exclusivity, schema refusal at open, reading a schema-1 log
//! upcast, and gap detection.

use std::path::Path;

use fnas::store::codec::{self, kind};
use fnas::store::{
    ArchSampled, EndReason, Event, ExperimentEnded, Store, StoreError, SCHEMA_VERSION,
};

fn sample(experiment: u64, index: u64) -> Event {
    Event::ArchSampled(ArchSampled {
        experiment,
        index,
        tokens: (0..42).map(|i| (i * 7 + index as u8) % 4).collect(),
        log_probs: (0..42).map(|i| -(i as f32) / 10.0).collect(),
        policy_version: index / 8,
    })
}

fn all(store: &Store) -> Vec<(u64, Event)> {
    store.scan(0).collect::<Result<Vec<_>, _>>().unwrap()
}

#[test]
fn append_reopen_scan_is_gap_free() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store"); // does not exist yet: open creates it
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.last_seq().unwrap(), 0);
        assert_eq!(all(&store), vec![]);
        let rec = store.recorder().unwrap();
        assert_eq!(rec.append(sample(1, 0)).unwrap(), 1);
        #[allow(clippy::needless_borrows_for_generic_args)] // `&Event` is accepted too
        let seq = rec.append(&sample(1, 1)).unwrap();
        assert_eq!(seq, 2);
        let seqs = rec.append_all((2..5).map(|i| sample(1, i))).unwrap();
        assert_eq!(seqs, vec![3, 4, 5]);
        assert_eq!(
            rec.append_all(Vec::<Event>::new()).unwrap(),
            Vec::<u64>::new()
        );
        assert_eq!(rec.stats().events, 5);
        assert_eq!(rec.stats().groups, 3);
        rec.shutdown().unwrap();
        assert_eq!(store.last_seq().unwrap(), 5);
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.dir(), std::path::absolute(&path).unwrap());
    let events = all(&store);
    let expected: Vec<(u64, Event)> = (0..5).map(|i| (i + 1, sample(1, i))).collect();
    assert_eq!(events, expected);
    assert_eq!(store.get(3).unwrap(), Some(sample(1, 2)));
    assert_eq!(store.get(6).unwrap(), None);
    assert_eq!(store.get(0).unwrap(), None);
    let tail: Vec<u64> = store.scan(4).map(|r| r.unwrap().0).collect();
    assert_eq!(tail, vec![4, 5]);
    assert_eq!(store.scan(6).count(), 0);
    // The sequence continues after a reopen.
    let rec = store.recorder().unwrap();
    assert_eq!(rec.append(sample(2, 0)).unwrap(), 6);
}

#[test]
fn concurrent_appends_get_distinct_consecutive_seqs() {
    const THREADS: u64 = 6;
    const PER_THREAD: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let rec = store.recorder().unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let rec = rec.clone();
            std::thread::spawn(move || {
                (0..PER_THREAD)
                    .map(|i| (rec.append(sample(t, i)).unwrap(), t, i))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut acked: Vec<(u64, u64, u64)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    acked.sort();
    let seqs: Vec<u64> = acked.iter().map(|a| a.0).collect();
    assert_eq!(seqs, (1..=THREADS * PER_THREAD).collect::<Vec<_>>());
    // Each caller's seq holds that caller's event.
    for (seq, t, i) in &acked {
        assert_eq!(store.get(*seq).unwrap(), Some(sample(*t, *i)));
    }
    // Per thread, seqs increase (a thread's appends are ordered).
    for t in 0..THREADS {
        let mine: Vec<u64> = acked.iter().filter(|a| a.1 == t).map(|a| a.2).collect();
        assert_eq!(mine, (0..PER_THREAD).collect::<Vec<_>>());
    }
    let stats = rec.stats();
    assert_eq!(stats.events, THREADS * PER_THREAD);
    assert!(stats.groups <= stats.events && stats.groups > 0);
    assert_eq!(all(&store).len() as u64, THREADS * PER_THREAD);
}

#[test]
fn second_open_of_the_same_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    match Store::open(dir.path()) {
        Err(e @ StoreError::AlreadyOpen { .. }) => {
            let msg = e.to_string();
            let shown = std::path::absolute(dir.path()).unwrap();
            assert!(
                msg.contains(&format!(
                    "store {} is already open in another process",
                    shown.display()
                )),
                "{msg}"
            );
        }
        Err(other) => panic!("expected AlreadyOpen, got {other:?}"),
        Ok(_) => panic!("second open succeeded"),
    }
    drop(store);
    // Closing releases the lock.
    Store::open(dir.path()).unwrap();
}

#[test]
fn one_recorder_per_store_until_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let rec = store.recorder().unwrap();
    let clone = rec.clone();
    assert!(matches!(
        store.recorder(),
        Err(StoreError::RecorderActive { .. })
    ));
    drop(rec);
    // A clone is still alive, so the writer still runs.
    assert!(matches!(
        store.recorder(),
        Err(StoreError::RecorderActive { .. })
    ));
    clone.append(sample(0, 0)).unwrap();
    clone.shutdown().unwrap();
    let rec = store.recorder().unwrap();
    assert_eq!(rec.append(sample(0, 1)).unwrap(), 2);
}

/// Writes raw key/value pairs into the store's sled tree, as a newer fnas (or damage) would.
fn write_raw(dir: &Path, entries: &[(u64, Vec<u8>)]) {
    let db = sled::open(dir.join("log")).unwrap();
    let tree = db.open_tree("log").unwrap();
    for (seq, value) in entries {
        tree.insert(seq.to_be_bytes(), value.clone()).unwrap();
    }
    db.flush().unwrap();
}

fn ended() -> ExperimentEnded {
    ExperimentEnded {
        experiment: 1,
        reason: EndReason::Stopped,
        samples: 3,
        summary_hash: "h".into(),
        policy: None,
    }
}

#[test]
fn store_with_a_newer_schema_is_refused_at_open_without_changes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store.recorder().unwrap().append(sample(1, 0)).unwrap();
    }
    let payload = postcard::to_allocvec(&ended()).unwrap();
    let newer = codec::envelope(SCHEMA_VERSION + 1, kind::EXPERIMENT_ENDED, &payload);
    write_raw(dir.path(), &[(2, newer.clone())]);
    match Store::open(dir.path()) {
        Err(e @ StoreError::NewerSchema { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("event seq 2") && msg.contains("upgrade fnas"),
                "{msg}"
            );
        }
        Err(other) => panic!("expected NewerSchema, got {other:?}"),
        Ok(_) => panic!("a store with a newer schema was opened"),
    }
    // Nothing was modified: both events are still there, byte for byte.
    let db = sled::open(dir.path().join("log")).unwrap();
    let tree = db.open_tree("log").unwrap();
    assert_eq!(tree.len(), 2);
    assert_eq!(
        tree.get(2u64.to_be_bytes()).unwrap().unwrap().as_ref(),
        newer.as_slice()
    );
    assert_eq!(
        tree.get(1u64.to_be_bytes()).unwrap().unwrap().as_ref(),
        codec::encode(&sample(1, 0))
    );
}

/// A store written by schema 1 opens, reads upcast, and continues in the current schema:
/// one log may mix versions, and the old events are never rewritten.
#[test]
fn schema_1_store_is_read_upcast_and_continued() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let golden = |name: &str| {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/v1/{name}.bin")),
        )
        .unwrap()
    };
    let (reward, policy) = (golden("reward_observed"), golden("policy_updated"));
    write_raw(dir.path(), &[(1, reward.clone()), (2, policy.clone())]);
    let store = Store::open(dir.path()).unwrap();
    match store.get(1).unwrap() {
        Some(Event::RewardObserved(r)) => assert_eq!((r.index, r.critic), (17, None)),
        other => panic!("expected an upcast reward, got {other:?}"),
    }
    match store.get(2).unwrap() {
        Some(Event::PolicyUpdated(p)) => assert_eq!((p.version, p.replayed.len()), (4, 0)),
        other => panic!("expected an upcast policy update, got {other:?}"),
    }
    assert_eq!(store.recorder().unwrap().append(sample(2, 0)).unwrap(), 3);
    assert_eq!(all(&store).len(), 3);
    drop(store);
    let db = sled::open(dir.path().join("log")).unwrap();
    let tree = db.open_tree("log").unwrap();
    let raw = |seq: u64| tree.get(seq.to_be_bytes()).unwrap().unwrap().to_vec();
    assert_eq!(
        (raw(1), raw(2)),
        (reward, policy),
        "old events are not rewritten"
    );
    assert_eq!(codec::peek(&raw(3)).unwrap().schema, SCHEMA_VERSION);
}

#[test]
fn scan_reports_gaps_and_corrupt_values_with_their_seq() {
    let dir = tempfile::tempdir().unwrap();
    let ended = Event::ExperimentEnded(ended());
    write_raw(
        dir.path(),
        &[
            (1, codec::encode(&ended)),
            (2, codec::encode(&ended)),
            (4, codec::encode(&ended)),
        ],
    );
    let store = Store::open(dir.path()).unwrap();
    let items: Vec<_> = store.scan(1).collect();
    assert_eq!(
        items.len(),
        3,
        "two events, then the gap error, then the end"
    );
    assert!(items[0].is_ok() && items[1].is_ok());
    match &items[2] {
        Err(StoreError::Gap {
            expected: 3,
            found: 4,
            ..
        }) => {}
        other => panic!("expected a gap at 3, got {other:?}"),
    }
    drop(store);

    let dir = tempfile::tempdir().unwrap();
    write_raw(
        dir.path(),
        &[(1, codec::encode(&ended)), (2, vec![1, 200, 3])],
    );
    let store = Store::open(dir.path());
    // The tail check reads the last envelope, which is damaged: refused with the seq named.
    let err = store
        .err()
        .expect("a damaged last event is refused at open");
    assert!(err.to_string().contains("event seq 2"), "{err}");
}

#[test]
fn get_names_the_seq_of_a_damaged_event() {
    let dir = tempfile::tempdir().unwrap();
    let ended = Event::ExperimentEnded(ended());
    let mut bad = codec::encode(&ended);
    bad.truncate(bad.len() - 1);
    write_raw(dir.path(), &[(1, bad), (2, codec::encode(&ended))]);
    let store = Store::open(dir.path()).unwrap();
    let err = store.get(1).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("event seq 1"), "{err}");
    let first = store.scan(0).next().unwrap();
    assert!(first.is_err());
}
