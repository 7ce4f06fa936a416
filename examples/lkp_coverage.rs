//! How fast can the knowledge pool's hit ratio warm up? A simulation without training: the
//! same keys, threshold and fairness rule as `--modules lkp`, with uniformly random mnas
//! architectures in batches of 10 (a batch recalls from the pool as it was when it was
//! sampled). A block that misses is trained from a fresh init and becomes recallable; a hit
//! is recalled and, by the fairness rule, never recallable itself. Prints the hit ratio per
//! window of 100 samples for several thresholds, and the first window at >= 99%.
//!
//! `cargo run --release --example lkp_coverage [-- SAMPLES]` (default 3000)
//!
//! A real search samples from a policy that concentrates over time, so it warms faster than
//! this uniform worst case; the window figures of `fnas pool stats` are the measured ones.

use fnas::bench::uniform_arch;
use fnas::pool::{num_parts, part_key, Pool};
use fnas::replay::Projection;
use fnas::space::Space;
use fnas::store::{BlobRef, BlobStore, BlockCheckpointed, Event};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const BATCH: u64 = 10;
const WINDOW: u64 = 100;

/// Hit ratio per window of `WINDOW` samples, for one threshold.
fn simulate(
    space: &Space,
    threshold: f32,
    samples: u64,
) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    let blobs_dir = tempfile::tempdir()?;
    let blobs = BlobStore::open(blobs_dir.path())?;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut pool = Pool::default();
    let mut seq = 0u64;
    let (mut hits, mut blocks) = (0u64, 0u64);
    let mut windows = Vec::new();
    let mut index = pool.snapshot(None);
    for sample in 0..samples {
        if sample % BATCH == 0 {
            index = pool.snapshot(None);
        }
        let arch = uniform_arch(&space.decision_sizes(), &mut rng);
        for part in 1..num_parts(space) - 1 {
            let key = part_key(space, &arch, part);
            let init = index
                .recall(part, &key)
                .map(|r| r.similarity)
                .filter(|&s| s >= threshold);
            blocks += 1;
            hits += u64::from(init.is_some());
            seq += 1;
            // Recorded at once: recall reads the batch's snapshot, not the growing pool.
            let event = Event::BlockCheckpointed(BlockCheckpointed {
                experiment: 1,
                index: sample,
                task: "sim".into(),
                part,
                key,
                weights: BlobRef {
                    hash: format!("{seq:064x}"),
                    size: 1,
                },
                iterations: 100,
                reward: rng.gen(),
                init_similarity: init,
            });
            pool.apply(seq, &event, &blobs)?;
        }
        if (sample + 1) % WINDOW == 0 {
            windows.push(hits as f64 / blocks as f64);
            (hits, blocks) = (0, 0);
        }
    }
    Ok(windows)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let samples: u64 = match std::env::args().nth(1) {
        Some(s) => s
            .parse()
            .map_err(|_| format!("SAMPLES: not a number: {s}"))?,
        None => 3000,
    };
    let space = Space::builtin("mnas")?;
    let thresholds = [1.0f32, 0.8, 0.7, 0.5]; // 7 ones a key: 0, 1, 2, 3 differing decisions
    let results: Vec<Vec<f64>> = thresholds
        .iter()
        .map(|&t| simulate(&space, t, samples))
        .collect::<Result<_, _>>()?;
    print!("| samples |");
    for t in thresholds {
        print!(" hit ratio, threshold {t} |");
    }
    println!();
    println!("|---:|{}", "---:|".repeat(thresholds.len()));
    for w in 0..results[0].len() {
        let end = (w as u64 + 1) * WINDOW;
        if w < 5 || end % 500 == 0 {
            print!("| {}-{end} |", end - WINDOW + 1);
            for r in &results {
                print!(" {:.1}% |", 100.0 * r[w]);
            }
            println!();
        }
    }
    for (t, r) in thresholds.iter().zip(&results) {
        match r.iter().position(|&h| h >= 0.99) {
            Some(w) => println!(
                "threshold {t}: first window at >= 99% ends at sample {}",
                (w as u64 + 1) * WINDOW
            ),
            None => println!("threshold {t}: no window reaches 99% within {samples} samples"),
        }
    }
    Ok(())
}
