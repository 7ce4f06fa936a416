//! Recall (exact match, nearest by cosine, ties, snapshots), the representative policy, and
//! hit-ratio accounting, on pools folded from synthetic `block_checkpointed` events.

use fnas::pool::{cosine, part_key, pool_stats, sample_hits, Pool, RecallIndex, Representative};
use fnas::replay::Projection;
use fnas::space::{Arch, Space};
use fnas::store::{ArchSampled, BlobRef, BlobStore, BlockCheckpointed, Event};

fn blob(n: u64) -> BlobRef {
    BlobRef {
        hash: format!("{n:064x}"),
        size: n,
    }
}

fn ckpt(index: u64, part: u32, key: Vec<u8>, reward: f64, init: Option<f32>) -> Event {
    Event::BlockCheckpointed(BlockCheckpointed {
        experiment: 1,
        index,
        task: "digits".into(),
        part,
        key,
        weights: blob(index * 100 + u64::from(part)),
        iterations: if init.is_some() { 50 } else { 25 },
        reward,
        init_similarity: init,
    })
}

fn fold(events: &[Event]) -> Pool {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::open(dir.path()).unwrap();
    let mut pool = Pool::default();
    for (i, e) in events.iter().enumerate() {
        pool.apply(i as u64 + 1, e, &blobs).unwrap();
    }
    pool
}

fn rep(key: &[u8], reward: f64) -> (u32, Representative) {
    (
        1,
        Representative {
            key: key.to_vec(),
            weights: blob(1),
            task: "t".into(),
            experiment: 1,
            index: 0,
            iterations: 1,
            reward,
        },
    )
}

#[test]
fn exact_match_is_returned_with_similarity_one() {
    let space = Space::builtin("mnas").unwrap();
    let mut reps = Vec::new();
    for i in 0..200u64 {
        let tokens: Vec<u8> = (0..42).map(|d| ((i * 7 + d * 3) % 2) as u8).collect();
        reps.push((
            1,
            Representative {
                key: part_key(&space, &Arch::new(tokens), 1),
                ..rep(&[], i as f64).1
            },
        ));
    }
    let index = RecallIndex::build(reps.clone());
    for (_, r) in &reps {
        let hit = index.recall(1, &r.key).unwrap();
        assert_eq!(hit.similarity, 1.0);
        assert_eq!(hit.entry.key, r.key);
    }
    assert!(
        index.recall(2, &reps[0].1.key).is_none(),
        "parts are recalled only from their own part"
    );
}

#[test]
fn nearest_by_cosine_then_higher_reward() {
    let index = RecallIndex::build(vec![
        rep(&[1, 1, 0, 0, 0, 0], 0.5),
        rep(&[1, 1, 1, 0, 0, 0], 0.1),
        rep(&[0, 0, 0, 1, 1, 1], 0.9),
        rep(&[0, 0, 1, 1, 0, 1], 0.2),
    ]);
    let q = [1u8, 1, 1, 1, 0, 0];
    let hit = index.recall(1, &q).unwrap();
    assert_eq!(hit.entry.key, vec![1, 1, 1, 0, 0, 0]);
    assert_eq!(hit.similarity, cosine(&q, &[1, 1, 1, 0, 0, 0]));
    assert!((hit.similarity - 3.0 / 12f32.sqrt()).abs() < 1e-6);
    // [1,1,0,0,0,0] scores 2/sqrt(8) = 0.71 < 3/sqrt(12) = 0.87; an exact tie goes to the
    // higher reward.
    let index = RecallIndex::build(vec![rep(&[1, 0, 1, 0], 0.3), rep(&[0, 1, 1, 0], 0.7)]);
    let hit = index.recall(1, &[1, 1, 0, 0]).unwrap();
    assert_eq!(hit.similarity, 0.5);
    assert_eq!(hit.entry.reward, 0.7);
}

#[test]
fn representative_policy_fresh_only_then_best_reward_order_independent() {
    let k = vec![1u8, 0, 1];
    let a = ckpt(1, 1, k.clone(), 0.4, None);
    let b = ckpt(2, 1, k.clone(), 0.6, None);
    let c = ckpt(3, 1, k.clone(), 0.9, Some(1.0)); // started from the pool: not recallable
    for events in [
        vec![a.clone(), b.clone(), c.clone()],
        vec![c.clone(), b.clone(), a.clone()],
    ] {
        let pool = fold(&events);
        let snap = pool.snapshot(None);
        assert_eq!(snap.len(), 1);
        let hit = snap.recall(1, &k).unwrap();
        assert_eq!(hit.entry.index, 2);
        assert_eq!(hit.entry.iterations, 25);
    }
    // Snapshot before sequence 2 sees only the first event.
    let pool = fold(&[a, b]);
    assert_eq!(pool.snapshot(Some(2)).recall(1, &k).unwrap().entry.index, 1);
    assert!(pool.snapshot(Some(1)).is_empty());
}

#[test]
fn snapshot_cutoff_is_the_batch_start() {
    let sampled = |index| {
        Event::ArchSampled(ArchSampled {
            experiment: 1,
            index,
            tokens: vec![0; 42],
            log_probs: vec![],
            policy_version: 0,
        })
    };
    let pool = fold(&[
        sampled(0),
        ckpt(0, 1, vec![1], 0.1, None),
        sampled(1),
        ckpt(1, 1, vec![1, 1], 0.2, None),
    ]);
    assert_eq!(pool.sampled_seq(1, 1), Some(3));
    let snap = pool.snapshot(pool.sampled_seq(1, 1));
    assert_eq!(snap.len(), 1);
    assert_eq!(pool.snapshot(None).len(), 2);
}

#[test]
fn hit_ratio_counts_blocks_only_per_sample_and_per_search() {
    // 3 blocks (parts 1..=3), head = part 4; sample 0 scratch, sample 1 hits 2 of 3 blocks.
    let mut events = Vec::new();
    for part in 0..5 {
        events.push(ckpt(0, part, vec![1], 0.5, None));
    }
    let inits = [Some(1.0), Some(0.9), None, Some(0.85), Some(1.0)];
    for (part, init) in inits.iter().enumerate() {
        events.push(ckpt(1, part as u32, vec![1], 0.6, *init));
    }
    let pool = fold(&events);
    let hits = sample_hits(&pool);
    assert_eq!((hits[0].blocks, hits[0].hits), (3, 0));
    assert_eq!((hits[1].blocks, hits[1].hits), (3, 2));
    assert!((hits[1].ratio() - 2.0 / 3.0).abs() < 1e-12);
    let stats = pool_stats(&pool, 1);
    assert_eq!(stats.entries, 10);
    assert_eq!(stats.recallable, 6);
    let e = &stats.experiments[0];
    assert_eq!((e.blocks, e.hits), (6, 2));
    assert_eq!(e.history.len(), 2);
    assert!((e.history[1] - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(stats.iterations.get(&25), Some(&6));
}
