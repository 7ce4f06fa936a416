//! The transfer study (the seed's Table 5 at small scale, real training): a search history
//! on MNIST is exported as a knowledge package and imported into fresh stores, and searches
//! on notMNIST (or CIFAR-10) start with the MNIST critic (`fnas` with `--init-from mnist`)
//! or with the MNIST pool (`mnas+lkp` with the imported blocks), against the same searches with a
//! fresh critic or an empty pool, over several seeds. Prints, per arm: final best reward
//! (mean and 95% t-interval over seeds) and the real samples each seed needed to reach the
//! fresh (cold) run's final best of the same seed.
//!
//! ```sh
//! nice -n 10 cargo run --release --example transfer_study -- \
//!     --data ../shared/data --out target/transfer --seeds 3 --budget 30 --arms uac,lkp
//! ```
//! Options: `--target notmnist|cifar10`, `--source-budget N` (MNIST history, default 40),
//! `--batch N` (10), `--max-val N` (1000), `--steps N` (proxy default). Every store lives
//! under `--out`; a rerun reuses finished searches (they are looked up in the stores).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use fnas::bench::stats::{evals_to_reach, Interval};
use fnas::lifelong::{export_file, import_file, Selection, What};
use fnas::pipeline::{run_search, SearchConfig, SearchOptions, Start};
use fnas::replay::fold_store;
use fnas::store::Store;

struct Opts {
    data: PathBuf,
    out: PathBuf,
    target: String,
    seeds: u64,
    budget: u64,
    source_budget: u64,
    batch: usize,
    max_val: usize,
    steps: Option<usize>,
    arms: Vec<String>,
}

fn parse() -> Result<Opts> {
    let mut o = Opts {
        data: PathBuf::from("../shared/data"),
        out: PathBuf::from("target/transfer"),
        target: "notmnist".into(),
        seeds: 3,
        budget: 30,
        source_budget: 40,
        batch: 10,
        max_val: 1000,
        steps: None,
        arms: vec!["uac".into()],
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let (flag, value) = match pair {
            [f, v] => (f.as_str(), v.as_str()),
            [f] => bail!("{f}: needs a value"),
            _ => unreachable!(),
        };
        let num = |v: &str| {
            v.parse::<u64>()
                .with_context(|| format!("{flag} {v}: expected a number"))
        };
        match flag {
            "--data" => o.data = PathBuf::from(value),
            "--out" => o.out = PathBuf::from(value),
            "--target" => o.target = value.to_string(),
            "--seeds" => o.seeds = num(value)?,
            "--budget" => o.budget = num(value)?,
            "--source-budget" => o.source_budget = num(value)?,
            "--batch" => o.batch = num(value)? as usize,
            "--max-val" => o.max_val = num(value)? as usize,
            "--steps" => o.steps = Some(num(value)? as usize),
            "--arms" => o.arms = value.split(',').map(String::from).collect(),
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(o)
}

/// One searched arm: its strategy, and whether it starts from the MNIST package.
struct Arm {
    name: &'static str,
    /// Strategy with modules, as `--algo` takes it (`fnas` = mnas with its default modules).
    algo: &'static str,
    init_from: bool,
    import: bool,
}

const ARMS_UAC: [Arm; 2] = [
    Arm {
        name: "fresh critic",
        algo: "fnas",
        init_from: false,
        import: false,
    },
    Arm {
        name: "MNIST critic (--init-from mnist)",
        algo: "fnas",
        init_from: true,
        import: true,
    },
];
const ARMS_LKP: [Arm; 2] = [
    Arm {
        name: "empty pool",
        algo: "mnas+lkp",
        init_from: false,
        import: false,
    },
    Arm {
        name: "MNIST pool (imported)",
        algo: "mnas+lkp",
        init_from: false,
        import: true,
    },
];

fn config(
    o: &Opts,
    task: &str,
    name: &str,
    seed: u64,
    budget: u64,
    algo: &str,
) -> Result<SearchConfig> {
    let mut c = SearchConfig::new(task, name, "mnas", seed, budget);
    c.set_strategy(algo)
        .map_err(|e| anyhow::anyhow!("{algo}: {e}"))?;
    c.batch_size = o.batch;
    c.data.max_val = Some(o.max_val);
    if let Some(s) = o.steps {
        c.proxy.steps = s;
    }
    Ok(c)
}

/// Runs the search unless the store already holds a finished one on `task_name` with this
/// seed; returns its evaluation trace (rewards of distinct real evaluations, in order).
fn search(dir: &Path, c: SearchConfig) -> Result<Vec<f64>> {
    let store = Store::open(dir)?;
    let state = fold_store(&store)?;
    let done = state.experiments.values().find(|e| {
        e.ended.is_some()
            && e.started.task == c.task_name
            && e.started.seed == c.seed
            && e.started.resumes.is_none()
            && SearchConfig::from_json(&e.started.config_json)
                .is_ok_and(|k| k.prior == c.prior && k.modules == c.modules)
    });
    if let Some(e) = done {
        return Ok(e.evaluation_trace());
    }
    let t = Instant::now();
    let out = run_search(&store, Start::New(c), &SearchOptions::default())?;
    let state = fold_store(&store)?;
    let trace = state.get(out.experiment)?.evaluation_trace();
    eprintln!(
        "  {} experiment {}: {} evaluations in {:.0}s",
        dir.display(),
        out.experiment,
        trace.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(trace)
}

fn best(trace: &[f64]) -> f64 {
    trace.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn main() -> Result<()> {
    let o = parse()?;
    std::fs::create_dir_all(&o.out)?;
    let lkp = o.arms.iter().any(|a| a == "lkp");
    let mnist = format!("idx:{}", o.data.join("mnist").display());
    let target_task = match o.target.as_str() {
        "notmnist" => format!("idx:{}", o.data.join("notmnist").display()),
        "cifar10" => format!("cifar:{}", o.data.join("cifar10").display()),
        other => bail!("--target {other}: expected notmnist or cifar10"),
    };

    // 1. The MNIST history: critic (uac) and pool (lkp) from one search.
    let source = o.out.join("mnist-source");
    let algo = if lkp { "fnas+lkp" } else { "fnas" };
    eprintln!("source: MNIST history ({algo}), budget {}", o.source_budget);
    let trace = search(
        &source,
        config(&o, &mnist, "mnist", 100, o.source_budget, algo)?,
    )?;
    println!(
        "MNIST source history: {} real samples, best reward {:.4}",
        trace.len(),
        best(&trace)
    );

    // 2. Export it.
    let package = o.out.join("mnist.fnas");
    let what = What {
        pool: lkp,
        critic: true,
        history: true,
    };
    let t = Instant::now();
    let report = {
        let store = Store::open(&source)?;
        export_file(
            &store,
            &Selection::Task {
                task: "mnist".into(),
                what,
            },
            &package,
        )?
    };
    println!(
        "package {}: {} events, {} blobs, {:.1} MiB, exported in {:.2}s",
        package.display(),
        report.header.events,
        report.header.blobs,
        report.bytes as f64 / (1 << 20) as f64,
        t.elapsed().as_secs_f64()
    );

    // 3. The target searches, one store per arm and seed.
    let mut groups: Vec<&[Arm]> = Vec::new();
    if o.arms.iter().any(|a| a == "uac") {
        groups.push(&ARMS_UAC);
    }
    if lkp {
        groups.push(&ARMS_LKP);
    }
    println!(
        "\n## Transfer MNIST -> {} ({} seeds, budget {} real samples, batch {})\n",
        o.target, o.seeds, o.budget, o.batch
    );
    println!("| arm | final best reward | samples to reach the cold arm's final best (median, misses) | per seed: best / samples |");
    println!("|---|---|---|---|");
    for arms in groups {
        let mut traces: Vec<Vec<Vec<f64>>> = Vec::new();
        for arm in arms.iter() {
            let mut per_seed = Vec::new();
            for seed in 0..o.seeds {
                let dir = o.out.join(format!(
                    "{}-{}-s{seed}",
                    o.target,
                    arm.name.split(' ').take(2).collect::<Vec<_>>().join("-")
                ));
                if arm.import {
                    let store = Store::open(&dir)?;
                    let t = Instant::now();
                    let r = import_file(&store, &package)?;
                    if !r.already {
                        eprintln!(
                            "  imported into {} in {:.2}s",
                            dir.display(),
                            t.elapsed().as_secs_f64()
                        );
                    }
                }
                let mut c = config(&o, &target_task, &o.target, seed, o.budget, arm.algo)?;
                if arm.init_from {
                    c.prior.init_from = Some("mnist".into());
                }
                eprintln!("{} seed {seed}", arm.name);
                per_seed.push(search(&dir, c)?);
            }
            traces.push(per_seed);
        }
        let cold = &traces[0];
        for (arm, runs) in arms.iter().zip(&traces) {
            let finals: Vec<f64> = runs.iter().map(|t| best(t)).collect();
            let reach: Vec<Option<usize>> = runs
                .iter()
                .zip(cold)
                .map(|(t, c)| evals_to_reach(t, best(c)))
                .collect();
            // Median over seeds, a seed that never reaches it counting as infinity.
            let misses = reach.iter().filter(|r| r.is_none()).count();
            let mut all: Vec<f64> = reach
                .iter()
                .map(|r| r.map_or(f64::INFINITY, |n| n as f64))
                .collect();
            all.sort_by(f64::total_cmp);
            let mid = match all.len() % 2 {
                1 => all[all.len() / 2],
                _ => 0.5 * (all[all.len() / 2 - 1] + all[all.len() / 2]),
            };
            let median = match mid.is_finite() {
                true => format!("{mid} ({misses})"),
                false => format!(">{} ({misses})", o.budget),
            };
            let seeds: Vec<String> = finals
                .iter()
                .zip(&reach)
                .map(|(b, r)| {
                    format!(
                        "{b:.4} / {}",
                        r.map_or("miss".to_string(), |n| n.to_string())
                    )
                })
                .collect();
            println!(
                "| {} | {} | {} | {} |",
                arm.name,
                fmt4(Interval::of(&finals)),
                median,
                seeds.join(", ")
            );
        }
    }
    Ok(())
}

fn fmt4(i: Interval) -> String {
    format!("{:.4} [{:.4}, {:.4}]", i.mean, i.lo, i.hi)
}
