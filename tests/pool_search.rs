//! `--modules lkp` end to end on the built-in digits task: block_checkpointed events are
//! written, later samples start from the pool (within a search and across searches), the
//! pool rebuilt from the log recalls exactly what the live search used, the search is
//! deterministic with 2 workers, `fnas pool stats` reports it, and table tasks are refused.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{experiment_id, fails, ok, s, summary_hash, FAST};
use fnas::pool::fold_pool;
use fnas::store::{Event, Store};

fn lkp_search(store: &Path, seed: &str, budget: &str) -> u64 {
    let mut args = vec![
        "search",
        "--store",
        s(store),
        "--task",
        "digits",
        "--budget",
        budget,
        "--batch",
        "6",
        "--workers",
        "2",
        "--seed",
        seed,
        // The adapting threshold: exercises recall of neighbouring keys and shape adaptation
        // (the default, exact keys, is a special case of it).
        "--modules",
        "lkp.t80",
        "-q",
    ];
    args.extend(FAST);
    experiment_id(&ok(&args))
}

/// (index, part) -> (weights hash, init_similarity) of one experiment's checkpoints.
fn checkpoints(store: &Path, experiment: u64) -> BTreeMap<(u64, u32), (String, Option<f32>)> {
    let store = Store::open_existing(store).unwrap();
    let mut out = BTreeMap::new();
    for item in store.scan(1) {
        if let (_, Event::BlockCheckpointed(e)) = item.unwrap() {
            if e.experiment == experiment {
                out.insert((e.index, e.part), (e.weights.hash, e.init_similarity));
            }
        }
    }
    out
}

#[test]
fn lkp_search_checkpoints_recalls_replays_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let a = lkp_search(&store, "3", "12");
    let ck = checkpoints(&store, a);
    let samples: Vec<u64> = ck
        .keys()
        .map(|k| k.0)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(samples.len() >= 10, "trained samples {samples:?}");
    assert_eq!(
        ck.len(),
        samples.len() * 9,
        "stem + 7 blocks + head per trained sample"
    );
    // First batch: nothing to recall. Second batch: stem and head (constant keys) always hit.
    for (&(index, part), (_, init)) in &ck {
        if index < 6 {
            assert_eq!(*init, None, "sample {index} part {part} of the first batch");
        } else if part == 0 || part == 8 {
            assert_eq!(*init, Some(1.0), "sample {index} part {part}");
        }
    }

    // Replay: the pool folded from the log, cut where each sample was sampled, recalls what
    // the live search recorded (same similarity, hit iff >= 0.8).
    let pool = fold_pool(&Store::open_existing(&store).unwrap()).unwrap();
    for e in pool.entries.iter().filter(|e| e.event.experiment == a) {
        let snap = pool.snapshot(pool.sampled_seq(a, e.event.index));
        let recalled = snap
            .recall(e.event.part, &e.event.key)
            .map(|r| r.similarity)
            .filter(|s| *s >= 0.8);
        assert_eq!(
            recalled, e.event.init_similarity,
            "sample {} part {}",
            e.event.index, e.event.part
        );
    }

    // A second search in the same store starts from the first one's pool: blocks hit at once.
    let b = lkp_search(&store, "4", "6");
    let ckb = checkpoints(&store, b);
    let block_hits = ckb
        .iter()
        .filter(|((_, p), (_, i))| (1..=7).contains(p) && i.is_some())
        .count();
    assert!(
        block_hits > 0,
        "no block of experiment {b} was initialised from the pool"
    );
    let stats: serde_json::Value =
        serde_json::from_str(&ok(&["pool", "stats", "--store", s(&store), "--json"])).unwrap();
    assert_eq!(
        stats["entries"].as_u64(),
        Some((ck.len() + ckb.len()) as u64)
    );
    let exps = stats["experiments"].as_array().unwrap();
    assert_eq!(exps.len(), 2);
    assert_eq!(exps[1]["hits"].as_u64(), Some(block_hits as u64));
    let text = ok(&["pool", "stats", "--store", s(&store)]);
    assert!(text.contains("hit ratio"), "{text}");

    // Same seed in a fresh store: same rewards, same weights, same recalls.
    let store2 = dir.path().join("s2");
    let a2 = lkp_search(&store2, "3", "12");
    assert_eq!(summary_hash(&store, a), summary_hash(&store2, a2));
    assert_eq!(checkpoints(&store2, a2), ck);
}

#[test]
fn lkp_refuses_table_tasks_and_bad_specs() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let err = fails(&[
        "search",
        "--store",
        s(&store),
        "--task",
        "table:nowhere.csv",
        "--space",
        "nb201",
        "--modules",
        "lkp",
    ]);
    assert!(err.contains("lkp needs real training"), "{err}");
    let err = fails(&["search", "--store", s(&store), "--modules", "lkp.t300"]);
    assert!(err.contains("lkp.tNN"), "{err}");
}
