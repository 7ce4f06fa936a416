//! Recall latency of the knowledge pool at 1k, 10k and 100k stored blocks.
//!
//! `cargo run --release --example lkp_recall`
//!
//! Two cases: (1) the real mnas keys: blocks of random architectures (7 blocks a sample), so
//! the pool holds at most 432 distinct keys per block position and recall scans only those
//! representatives, however many blocks are stored; (2) the worst case for the scan: every
//! stored block a distinct key (random 64-bit keys with 8 ones, in one part), queried with
//! keys that are not stored, so every query scans all of them. Prints the snapshot build time
//! (once per batch in a search) and the median / p99 recall time over 2000 queries.

use std::time::Instant;

use fnas::bench::uniform_arch;
use fnas::pool::{num_parts, part_key, Pool, RecallIndex, Representative};
use fnas::replay::Projection;
use fnas::space::{Arch, Space};
use fnas::store::{BlobRef, BlobStore, BlockCheckpointed, Event};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_arch(space: &Space, rng: &mut ChaCha8Rng) -> Arch {
    uniform_arch(&space.decision_sizes(), rng)
}

fn blob(i: u64) -> BlobRef {
    BlobRef {
        hash: format!("{i:064x}"),
        size: 1,
    }
}

fn time_queries(index: &RecallIndex, queries: &[(u32, Vec<u8>)]) -> (f64, f64) {
    let mut t: Vec<f64> = queries
        .iter()
        .map(|(part, key)| {
            let start = Instant::now();
            std::hint::black_box(index.recall(*part, key));
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[t.len() / 2], t[t.len() * 99 / 100])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let space = Space::builtin("mnas")?;
    let blobs_dir = tempfile::tempdir()?;
    let blobs = BlobStore::open(blobs_dir.path())?;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    println!(
        "| stored blocks | case | distinct keys | snapshot build | recall median | recall p99 |"
    );
    println!("|---:|---|---:|---:|---:|---:|");
    for n in [1_000u64, 10_000, 100_000] {
        // (1) mnas keys, via the pool projection as a search folds it.
        let mut pool = Pool::default();
        let mut seq = 0;
        let samples = n / space.num_blocks() as u64;
        for index in 0..samples {
            let arch = random_arch(&space, &mut rng);
            for part in 1..num_parts(&space) - 1 {
                seq += 1;
                let event = Event::BlockCheckpointed(BlockCheckpointed {
                    experiment: 1,
                    index,
                    task: "t".into(),
                    part,
                    key: part_key(&space, &arch, part),
                    weights: blob(seq),
                    iterations: 100,
                    reward: rng.gen(),
                    init_similarity: None,
                });
                pool.apply(seq, &event, &blobs)?;
            }
        }
        let start = Instant::now();
        let index = pool.snapshot(None);
        let build = start.elapsed().as_secs_f64() * 1e3;
        let queries: Vec<(u32, Vec<u8>)> = (0..2000)
            .map(|i| {
                let part = 1 + (i % space.num_blocks()) as u32;
                (part, part_key(&space, &random_arch(&space, &mut rng), part))
            })
            .collect();
        let (med, p99) = time_queries(&index, &queries);
        println!(
            "| {n} | mnas block keys | {} | {build:.1} ms | {med:.2} us | {p99:.2} us |",
            index.len()
        );

        // (2) worst case: n distinct keys in one part, queries never stored.
        let mut keys = std::collections::BTreeSet::new();
        while keys.len() < n as usize {
            let mut k = vec![0u8; 64];
            for _ in 0..8 {
                k[rng.gen_range(0..64)] = 1;
            }
            keys.insert(k);
        }
        let reps = keys.iter().enumerate().map(|(i, k)| {
            (
                1,
                Representative {
                    key: k.clone(),
                    weights: blob(i as u64),
                    task: "t".into(),
                    experiment: 1,
                    index: i as u64,
                    iterations: 100,
                    reward: 0.5,
                },
            )
        });
        let start = Instant::now();
        let index = RecallIndex::build(reps);
        let build = start.elapsed().as_secs_f64() * 1e3;
        let queries: Vec<(u32, Vec<u8>)> = (0..2000)
            .map(|_| loop {
                let mut k = vec![0u8; 64];
                for _ in 0..8 {
                    k[rng.gen_range(0..64)] = 1;
                }
                if !keys.contains(&k) {
                    break (1, k);
                }
            })
            .collect();
        let (med, p99) = time_queries(&index, &queries);
        println!(
            "| {n} | worst case: all keys distinct, full scan | {} | {build:.1} ms | {med:.2} us | {p99:.2} us |",
            index.len()
        );
    }
    Ok(())
}
