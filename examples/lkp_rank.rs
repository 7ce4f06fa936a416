//! Rank experiment for the knowledge pool (FNAS Figure 5b/c): do short trainings rank
//! architectures like a long training does, from scratch versus from a warm pool?
//!
//! ```sh
//! # 1. warm a pool with an earlier, separate search (same task name, same data options):
//! fnas search --store runs/warm --task idx:../shared/data/mnist --algo mnas --modules lkp \
//!     --budget 60 --batch 10 --seed 1 --max-train 4000 --max-val 1000
//! # 2. rank N random architectures (default 30) after short budgets, both arms:
//! cargo run --release --example lkp_rank -- runs/warm [DATA_DIR] [N]
//! ```
//!
//! Reference: validation accuracy after `LONG` steps from scratch. Short budgets: `SHORT`
//! steps, (a) from scratch and (b) with every part initialised from the warm pool (recall as
//! in `--modules lkp.t80`: threshold 0.8, representative policy of `pool::projection`). Printed:
//! Spearman of each arm's accuracies with the reference, mean accuracy, and the pool arm's
//! block hit ratio; besides the full pool arm, two restricted ones (blocks only; exact keys
//! only) separate where recalled weights help or hurt. Skips with a message when the data directory is absent. Uses 2 threads
//! (one trainer each).

use std::collections::HashMap;
use std::sync::Arc;

use fnas::bench::uniform_arch;
use fnas::critic::spearman;
use fnas::pipeline::{
    plan_sample, EvaluatorFactory, LkpConfig, LkpJob, PartInit, TrainedEvaluatorFactory,
};
use fnas::pool::fold_pool;
use fnas::space::{Arch, Space};
use fnas::store::Store;
use fnas::train::{load_task, DataOptions, Objective, ProxyConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const LONG: usize = 300;
const SHORT: [usize; 4] = [10, 20, 40, 80];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let Some(warm) = args.get(1) else {
        eprintln!("usage: lkp_rank WARM_STORE [DATA_DIR] [N]");
        std::process::exit(2);
    };
    let data_dir = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "../shared/data/mnist".into());
    let n: usize = match args.get(3) {
        Some(v) => v.parse()?,
        None => 30,
    };
    if !std::path::Path::new(&data_dir).is_dir() {
        println!("SKIP: {data_dir} is absent (the rank experiment needs MNIST IDX files)");
        return Ok(());
    }
    let task_name = std::path::Path::new(&data_dir)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("mnist")
        .to_string();
    let space = Space::builtin("mnas")?;
    let opts = DataOptions {
        max_train: Some(4000),
        max_val: Some(1000),
        ..DataOptions::default()
    };
    let data = Arc::new(load_task(&format!("idx:{data_dir}"), &opts)?);
    let store = Store::open_existing(warm)?;
    let snapshot = fold_pool(&store)?.snapshot(None);
    println!("warm pool: {} representatives from {warm}", snapshot.len());

    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut archs: Vec<Arch> = Vec::new();
    while archs.len() < n {
        let a = uniform_arch(&space.decision_sizes(), &mut rng);
        if !archs.contains(&a) {
            archs.push(a);
        }
    }
    // Plans at the adapting threshold 0.8 (`lkp.t80`); the "exact keys only" arm is what the
    // default `lkp` (threshold 1.0) recalls.
    let lkp = LkpConfig { threshold: 0.8 };
    let mut cache = HashMap::new();
    let plans: Vec<LkpJob> = archs
        .iter()
        .map(|a| {
            plan_sample(
                &snapshot,
                &lkp,
                &task_name,
                &space,
                a,
                store.blobs(),
                &mut cache,
            )
        })
        .collect::<Result<_, _>>()?;
    let blocks = space.num_blocks();
    let is_block = |i: &PartInit| (1..=blocks as u32).contains(&i.part);
    // Recalled parts over all plans: (blocks, stems and heads).
    let recalled = |plans: &[LkpJob]| -> (usize, usize) {
        let inits = || plans.iter().flat_map(|p| p.inits.iter());
        (
            inits().filter(|i| is_block(i)).count(),
            inits().filter(|i| !is_block(i)).count(),
        )
    };
    let hits = recalled(&plans).0;

    // Arms: 0 = scratch; pool arms 1.. = the plans as a search makes them, then two
    // restrictions that separate likely causes of harm: blocks only (stem and head, whose
    // key is constant and whose classifier sat behind another network, start fresh), and
    // exact keys only (no block adapted from a neighbouring key).
    let arms: Vec<(&str, Vec<LkpJob>)> = vec![
        ("pool", plans.clone()),
        (
            "pool, blocks only",
            plans.iter().map(|p| restrict(p, is_block)).collect(),
        ),
        (
            "pool, exact keys only",
            plans
                .iter()
                .map(|p| restrict(p, |i| i.similarity >= 1.0))
                .collect(),
        ),
    ];
    for (name, plans) in &arms[1..] {
        let (hits, whole) = recalled(plans);
        println!(
            "arm '{name}': {hits}/{} blocks and {whole} stems/heads from the pool",
            n * blocks
        );
    }
    // (arch, steps, arm) jobs, run on 2 threads.
    let mut jobs: Vec<(usize, usize, usize)> = (0..n).map(|i| (i, LONG, 0)).collect();
    for &s in &SHORT {
        for i in 0..n {
            for arm in 0..=arms.len() {
                jobs.push((i, s, arm));
            }
        }
    }
    tch::set_num_threads(1);
    let started = std::time::Instant::now();
    let results: Vec<((usize, usize, usize), f64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|w| {
                let (jobs, archs, arms, space, data) = (&jobs, &archs, &arms, &space, &data);
                scope.spawn(move || -> Result<Vec<_>, String> {
                    let mut out = Vec::new();
                    for &(i, steps, arm) in jobs.iter().skip(w).step_by(2) {
                        let factory = TrainedEvaluatorFactory {
                            space: space.clone(),
                            data: data.clone(),
                            proxy: ProxyConfig {
                                steps,
                                ..ProxyConfig::default()
                            },
                            objective: Objective::default(),
                        };
                        let mut ev = factory.make().map_err(|e| e.to_string())?;
                        let seed = 1000 + i as u64;
                        let e = ev
                            .evaluate_with(
                                &archs[i],
                                seed,
                                arm.checked_sub(1).map(|a| &arms[a].1[i]),
                            )
                            .map_err(|e| e.to_string())?;
                        out.push(((i, steps, arm), e.accuracy));
                    }
                    Ok(out)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            match h.join() {
                Ok(Ok(v)) => all.extend(v),
                Ok(Err(e)) => eprintln!("worker failed: {e}"),
                Err(_) => eprintln!("worker panicked"),
            }
        }
        all
    });
    let acc: HashMap<(usize, usize, usize), f64> = results.into_iter().collect();
    let column = |steps: usize, arm: usize| -> Vec<f64> {
        (0..n)
            .map(|i| acc.get(&(i, steps, arm)).copied().unwrap_or(0.0))
            .collect()
    };
    let reference = column(LONG, 0);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "{n} random mnas architectures on {task_name} (4000 train / 1000 val, width 0.25); reference: {LONG} steps from scratch, mean accuracy {:.1}%",
        100.0 * mean(&reference)
    );
    println!(
        "pool arm: {hits}/{} blocks initialised from the pool ({:.1}%), stem and head from the pool in every network",
        n * blocks,
        100.0 * hits as f64 / (n * blocks) as f64
    );
    let names: Vec<&str> = std::iter::once("scratch")
        .chain(arms.iter().map(|a| a.0))
        .collect();
    println!(
        "| steps |{}|{}",
        names
            .iter()
            .map(|a| format!(" Spearman {a} "))
            .collect::<Vec<_>>()
            .join("|"),
        names
            .iter()
            .map(|a| format!(" mean acc {a} |"))
            .collect::<String>()
    );
    println!("|---:|{}", "---:|".repeat(2 * names.len()));
    for &s in &SHORT {
        let cols: Vec<Vec<f64>> = (0..names.len()).map(|a| column(s, a)).collect();
        println!(
            "| {s} |{}|{}",
            cols.iter()
                .map(|c| format!(" {:.3} ", spearman(c, &reference)))
                .collect::<Vec<_>>()
                .join("|"),
            cols.iter()
                .map(|c| format!(" {:.1}% |", 100.0 * mean(c)))
                .collect::<String>()
        );
    }
    println!("wall time {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `plan` with only the recalled parts `keep` accepts (the others start fresh).
fn restrict(plan: &LkpJob, keep: impl Fn(&PartInit) -> bool) -> LkpJob {
    LkpJob {
        keys: plan.keys.clone(),
        inits: plan.inits.iter().filter(|i| keep(i)).cloned().collect(),
    }
}
