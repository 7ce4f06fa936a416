//! AEB through the real pipeline: at most half of every PPO batch is replayed from the
//! buffer, replayed samples are earlier measured samples with finite positive weights, and
//! the search replays (and `--verify` recomputes it) exactly.

mod common;
use common::*;

use fnas::replay::fold_store;
use fnas::store::{RewardSource, Store};

fn aeb_search(store: &std::path::Path, table: &std::path::Path, modules: &str) -> u64 {
    macro_table_search(
        store,
        table,
        &[
            "--algo",
            "mnas",
            "--modules",
            modules,
            "--seed",
            "6",
            "--budget",
            "100",
            "--batch",
            "10",
        ],
    )
}

#[test]
fn replayed_samples_fill_at_most_half_a_batch_and_replay_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let table = synthetic_macro_table(dir.path(), None, None);
    let a = dir.path().join("a");
    let id = aeb_search(&a, &table, "aeb");
    let store = Store::open(&a).unwrap();
    let state = fold_store(&store).unwrap();
    let exp = state.get(id).unwrap();
    let mut replayed_total = 0;
    for p in exp.policies.iter().filter(|p| !p.samples.is_empty()) {
        let total = p.samples.len() + p.replayed.len();
        assert!(
            p.replayed.len() * 2 <= total,
            "policy v{}: {} old of {total}",
            p.version,
            p.replayed.len()
        );
        assert!(p.replayed.len() <= 10, "the buffer holds 10 samples");
        let first_new = *p.samples.iter().min().unwrap();
        for old in &p.replayed {
            assert_eq!(old.experiment, id);
            assert!(
                old.index < first_new,
                "replayed sample {} is not from an earlier batch",
                old.index
            );
            let r = exp.samples[&old.index]
                .reward
                .as_ref()
                .expect("replayed samples are measured");
            assert_ne!(r.source, RewardSource::Critic);
            assert!(
                old.weight.is_finite() && old.weight > 0.0,
                "weight {}",
                old.weight
            );
        }
        replayed_total += p.replayed.len();
    }
    assert!(replayed_total > 0, "the buffer was used");
    // With old samples filling half of a batch of 10, new batches hold 5 architectures.
    assert!(exp
        .policies
        .iter()
        .any(|p| p.samples.len() == 5 && p.replayed.len() == 5));
    drop(store);
    assert!(ok(&["replay", "--store", s(&a), "--verify"]).contains("OK"));

    // Same seed, same search; also combined with UAC.
    let b = dir.path().join("b");
    let ib = aeb_search(&b, &table, "aeb");
    assert_eq!(summary_hash(&a, id), summary_hash(&b, ib));
    let c = dir.path().join("c");
    aeb_search(&c, &table, "uac,aeb");
    assert!(ok(&["replay", "--store", s(&c), "--verify"]).contains("OK"));
    let top = ok(&["top", "--store", s(&c), "-n", "1"]);
    assert!(top.contains("mnas") || top.contains("fake="), "{top}");
}
