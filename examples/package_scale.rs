//! Package size and export/import time for a large knowledge pool: synthesizes N
//! `block_checkpointed` events (default 10,000) whose blobs are random bytes with the sizes
//! of a real pool (`--sizes-from STORE` cycles through that store's block blob sizes;
//! otherwise 20,350 bytes, the median of a measured digits pool), then times
//! `export --what pool`, the import into an empty store, and the second (no-op) import.
//!
//! ```sh
//! nice -n 10 cargo run --release --example package_scale -- --blocks 10000 \
//!     --sizes-from target/transfer/mnist-source --out /tmp/package-scale
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use fnas::lifelong::{export_file, import_file, list_tasks, Selection, What};
use fnas::store::{BlockCheckpointed, Event, ExperimentStarted, Store, TaskRegistered};

fn main() -> Result<()> {
    let mut blocks = 10_000usize;
    let mut out = PathBuf::from("/tmp/package-scale");
    let mut sizes_from: Option<PathBuf> = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match pair {
            [f, v] if f == "--blocks" => {
                blocks = v.parse().with_context(|| format!("--blocks {v}"))?
            }
            [f, v] if f == "--out" => out = PathBuf::from(v),
            [f, v] if f == "--sizes-from" => sizes_from = Some(PathBuf::from(v)),
            other => {
                bail!("unknown arguments {other:?} (--blocks N, --out DIR, --sizes-from STORE)")
            }
        }
    }
    let sizes: Vec<u64> = match &sizes_from {
        Some(dir) => {
            let store = Store::open_existing(dir)?;
            let mut s = Vec::new();
            for item in store.scan(1) {
                if let (_, Event::BlockCheckpointed(b)) = item? {
                    s.push(b.weights.size);
                }
            }
            if s.is_empty() {
                bail!(
                    "--sizes-from {}: no block_checkpointed events",
                    dir.display()
                );
            }
            s
        }
        None => vec![20_350],
    };
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("--out {}", out.display()))?;
    }
    let (source_dir, target_dir, package) = (
        out.join("source"),
        out.join("target"),
        out.join("pool.fnas"),
    );

    let t = Instant::now();
    let source = Store::open(&source_dir)?;
    let rec = source.recorder()?;
    rec.append_all([
        Event::TaskRegistered(TaskRegistered {
            task: "synthetic".into(),
            fingerprint: "0".repeat(64),
            input_shape: vec![1, 28, 28],
            classes: 10,
            train_samples: 60_000,
            val_samples: 10_000,
        }),
        Event::ExperimentStarted(ExperimentStarted {
            task: "synthetic".into(),
            space: "mnas".into(),
            space_hash: "synthetic".into(),
            seed: 0,
            config_json: "{}".into(),
            resumes: None,
        }),
    ])?;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut batch = Vec::new();
    let mut total = 0u64;
    for i in 0..blocks {
        let size = sizes[i % sizes.len()];
        let mut bytes = vec![0u8; size as usize];
        rng.fill_bytes(&mut bytes);
        total += size;
        let weights = source.blobs().put(&bytes)?;
        let mut key = vec![0u8; 60];
        key[i % 60] = 1;
        batch.push(Event::BlockCheckpointed(BlockCheckpointed {
            experiment: 2,
            index: (i / 9) as u64,
            task: "synthetic".into(),
            part: (i % 9) as u32,
            key,
            weights,
            iterations: 100,
            reward: 0.5,
            init_similarity: None,
        }));
        if batch.len() == 1000 {
            rec.append_all(std::mem::take(&mut batch))?;
        }
    }
    rec.append_all(batch)?;
    rec.shutdown()?;
    println!(
        "synthesized {blocks} blocks, {:.1} MiB of blobs (sizes cycled from {} real blocks) in {:.1}s",
        total as f64 / (1 << 20) as f64,
        sizes.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let what = What {
        pool: true,
        critic: false,
        history: false,
    };
    let report = export_file(
        &source,
        &Selection::Task {
            task: "synthetic".into(),
            what,
        },
        &package,
    )?;
    let export_s = t.elapsed().as_secs_f64();
    drop(source);
    println!(
        "export --what pool: {} events, {} blobs, package {:.1} MiB ({:.3} of the blob bytes), {export_s:.2}s",
        report.header.events,
        report.header.blobs,
        report.bytes as f64 / (1 << 20) as f64,
        report.bytes as f64 / total as f64
    );

    let target = Store::open(&target_dir)?;
    let t = Instant::now();
    let r = import_file(&target, &package)?;
    println!(
        "import into an empty store: {} events + provenance, {} blobs written, {:.2}s",
        r.events,
        r.new_blobs,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let again = import_file(&target, &package)?;
    println!(
        "second import (no-op: {}): {:.2}s",
        again.already,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let tasks = list_tasks(&target)?;
    println!(
        "fnas tasks: {} pool blocks listed in {:.2}s",
        tasks.iter().map(|t| t.pool_blocks).sum::<u64>(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
