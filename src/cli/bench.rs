//! `fnas bench` (run strategies x seeds on a table into one store, then compare) and
//! `fnas report` (the same comparison re-read from the store's events).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use fnas::pipeline::{run_search, SearchConfig, SearchOptions, Start, Timings};
use fnas::replay::fold_store;
use fnas::report::{compare, Comparison};
use fnas::space::Space;
use fnas::store::Store;

use super::args::{BenchArgs, ReportArgs};
use super::search::{default_task_name, table_options};

pub fn bench(args: BenchArgs) -> Result<()> {
    let strategies: Vec<String> = args.algos.iter().map(|a| a.trim().to_string()).collect();
    for name in &strategies {
        let mut probe = SearchConfig::new("", "", &args.space, 0, 1);
        probe
            .set_strategy(name)
            .map_err(|e| anyhow::anyhow!("--algos: {e}"))?;
    }
    if args.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    Space::builtin(&args.space).with_context(|| format!("--space {}", args.space))?;
    let table = args
        .table
        .canonicalize()
        .with_context(|| format!("--table {}", args.table.display()))?;
    let task = format!("table:{}", table.display());
    let task_name = default_task_name(&task);
    if let Some(out) = &args.out {
        if out.exists() && !out.is_dir() {
            bail!("--out {}: exists and is not a directory", out.display());
        }
    }
    let store = Store::open(&args.store.store)?;

    let total = strategies.len() as u64 * args.seeds;
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "[{elapsed_precise}] {bar:30} {pos}/{len} runs ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut overhead: Vec<(String, Timings, u64)> = Vec::new();
    for strategy in &strategies {
        let mut spent = Timings::default();
        let mut proposals = 0;
        for seed in 0..args.seeds {
            bar.set_message(format!("{strategy} seed {seed}"));
            let mut config = SearchConfig::new(&task, &task_name, &args.space, seed, args.budget);
            config
                .set_strategy(strategy)
                .map_err(|e| anyhow::anyhow!("--algos: {e}"))?;
            if let Some(batch) = args.batch {
                config.batch_size = batch;
            }
            config.workers = 1;
            config.prior.init_from = args.init_from.clone();
            config.table = table_options(&args.columns);
            let start = match existing_run(&store, &config)? {
                Existing::Finished => {
                    bar.inc(1);
                    continue;
                }
                Existing::Unfinished(experiment) => Start::Resume { experiment },
                Existing::None => Start::New(config),
            };
            let outcome = run_search(&store, start, &SearchOptions::default())?;
            add(&mut spent, &outcome.timings);
            proposals += outcome.proposals;
            bar.inc(1);
        }
        overhead.push((strategy.clone(), spent, proposals));
    }
    bar.finish_and_clear();

    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.store.store.join("report"));
    print_comparisons(&store, Some(&task_name), Some(args.budget), &out)?;
    println!("\nsearch machinery per proposal, this run (evaluation = table look-up, excluded):");
    println!("| strategy | proposals | propose µs | learn µs | record µs | evaluate µs |\n| --- | --- | --- | --- | --- | --- |");
    if overhead.iter().all(|(_, _, n)| *n == 0) {
        println!("(every run was already in the store; nothing was timed)");
    }
    for (name, t, n) in overhead.iter().filter(|(_, _, n)| *n > 0) {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / *n as f64;
        println!(
            "| {name} | {n} | {:.0} | {:.0} | {:.0} | {:.0} |",
            per(t.propose),
            per(t.learn),
            per(t.record),
            per(t.evaluate)
        );
    }
    Ok(())
}

pub fn report(args: ReportArgs) -> Result<()> {
    if args.budget == Some(0) {
        bail!("--budget must be at least 1");
    }
    let store = Store::open_existing(&args.store.store)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.store.store.join("report"));
    print_comparisons(&store, args.task.as_deref(), args.budget, &out)
}

fn print_comparisons(
    store: &Store,
    task: Option<&str>,
    budget: Option<u64>,
    out: &Path,
) -> Result<()> {
    let state = fold_store(store)?;
    let comparisons: Vec<Comparison> = compare(&state, task, budget)?;
    for c in &comparisons {
        println!("{}", c.markdown());
        // One folder per budget, so a bench at another budget never overwrites these files.
        let out = out.join(format!("budget-{}", c.budget));
        let written: Vec<PathBuf> = c.write(&out)?;
        println!(
            "written: {}",
            written
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

enum Existing {
    None,
    Unfinished(u64),
    Finished,
}

/// A bench re-run skips finished runs and resumes unfinished ones with the same settings.
fn existing_run(store: &Store, config: &SearchConfig) -> Result<Existing> {
    let state = fold_store(store)?;
    let wanted = config.to_json();
    for exp in state.experiments.values().rev() {
        if exp.started.config_json == wanted {
            return Ok(if exp.ended.is_some() {
                Existing::Finished
            } else {
                Existing::Unfinished(exp.id)
            });
        }
    }
    Ok(Existing::None)
}

fn add(total: &mut Timings, t: &Timings) {
    total.propose += t.propose;
    total.evaluate += t.evaluate;
    total.learn += t.learn;
    total.record += t.record;
}
