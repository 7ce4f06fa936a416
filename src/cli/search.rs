//! `fnas search`: builds the config from flags (or takes it from the log on --resume).

use std::path::Path;

use anyhow::{bail, Context, Result};

use fnas::pipeline::{run_search, SearchConfig, SearchOptions, Start, TableOptions};
use fnas::space::Space;
use fnas::store::Store;

use super::args::{SearchArgs, TableArgs};

pub fn run(args: SearchArgs) -> Result<()> {
    let start = match args.resume {
        Some(experiment) => {
            reject_with_resume(&args)?;
            Start::Resume { experiment }
        }
        None => Start::New(config_from_flags(&args)?),
    };
    let store = Store::open(&args.store.store)?;
    let options = SearchOptions { show_progress: !args.quiet, print_acks: args.print_acks };
    let outcome = run_search(&store, start, &options)?;
    let space_name = args.space.clone();
    eprintln!(
        "experiment {} finished: {} distinct evaluations in {:.1}s, summary {}",
        outcome.experiment,
        outcome.evaluations,
        outcome.seconds,
        outcome.summary_hash.get(..12).unwrap_or(&outcome.summary_hash)
    );
    if let Some((index, arch, reward, accuracy)) = &outcome.best {
        let described = Space::builtin(&space_name).map(|s| s.describe(arch)).unwrap_or_default();
        println!(
            "best #{index}: reward {reward:.4}, accuracy {:.2}%, arch {arch}\n  {described}",
            accuracy * 100.0
        );
    }
    println!("experiment {}", outcome.experiment);
    Ok(())
}

/// Settings of a resumed search come from its log; a flag that would change them is an error
/// rather than silently ignored.
fn reject_with_resume(args: &SearchArgs) -> Result<()> {
    let changed = [
        (args.steps.is_some(), "--steps"),
        (args.width_mult.is_some(), "--width-mult"),
        (args.target_macs.is_some(), "--target-macs"),
        (args.max_train.is_some(), "--max-train"),
        (args.max_val.is_some(), "--max-val"),
        (args.workers.is_some(), "--workers"),
        (args.task_name.is_some(), "--task-name"),
        (args.max_proposals.is_some(), "--max-proposals"),
        (args.table.accuracy_column.is_some(), "--accuracy-column"),
        (args.table.cost_column.is_some(), "--cost-column"),
        (!args.modules.is_empty(), "--modules"),
    ];
    if let Some((_, flag)) = changed.iter().find(|(set, _)| *set) {
        bail!("{flag} cannot be combined with --resume: a resumed search keeps the settings recorded in its log");
    }
    Ok(())
}

fn config_from_flags(args: &SearchArgs) -> Result<SearchConfig> {
    Space::builtin(&args.space).with_context(|| format!("--space {}", args.space))?;
    let task_name = args.task_name.clone().unwrap_or_else(|| default_task_name(&args.task));
    let mut config = SearchConfig::new(&args.task, &task_name, &args.space, args.seed, args.budget);
    config.batch_size = args.batch;
    if let Some(workers) = args.workers {
        config.workers = workers;
    }
    if let Some(steps) = args.steps {
        if steps == 0 {
            bail!("--steps must be at least 1");
        }
        config.proxy.steps = steps;
    }
    if let Some(w) = args.width_mult {
        if !(w > 0.0 && w <= 4.0) {
            bail!("--width-mult must be in (0, 4], got {w}");
        }
        config.proxy.width_mult = w;
    }
    if let Some(t) = args.target_macs {
        if !(t > 0.0 && t.is_finite()) {
            bail!("--target-macs must be a positive number, got {t}");
        }
        config.objective.target_macs = t;
    }
    config.data.max_train = args.max_train.or(config.data.max_train);
    config.data.max_val = args.max_val.or(config.data.max_val);
    config.set_strategy(&args.algo).map_err(|e| anyhow::anyhow!("--algo: {e}"))?;
    let modules: Vec<&str> = args.modules.iter().map(String::as_str).collect();
    let strategy = config.strategy.clone();
    config.set_modules(&strategy, &modules).map_err(|e| anyhow::anyhow!("--modules: {e}"))?;
    config.table = table_options(&args.table);
    if let Some(cap) = args.max_proposals {
        config.max_proposals = cap;
    }
    Ok(config)
}

/// Column flags of a `table:` task.
pub fn table_options(args: &TableArgs) -> TableOptions {
    TableOptions { accuracy_column: args.accuracy_column.clone(), cost_column: args.cost_column.clone() }
}

/// `idx:../data/mnist` registers as `mnist`; `digits` as itself.
pub fn default_task_name(spec: &str) -> String {
    match spec.split_once(':') {
        Some((_, dir)) => Path::new(dir.trim_end_matches('/'))
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| spec.to_string()),
        None => spec.to_string(),
    }
}

