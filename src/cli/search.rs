//! `fnas search`: builds the config from flags (or takes it from the log on --resume).

use std::path::Path;

use anyhow::{bail, Context, Result};

use fnas::pipeline::{run_search, SearchConfig, SearchOptions, Start, TableOptions};
use fnas::space::Space;
use fnas::store::Store;

use super::args::{SearchArgs, TableArgs};

pub fn run(args: SearchArgs, given: Vec<String>) -> Result<()> {
    let start = match args.resume {
        Some(experiment) => {
            reject_with_resume(&given)?;
            Start::Resume { experiment }
        }
        None => Start::New(config_from_flags(&args)?),
    };
    let created = !args.store.store.exists();
    let store = Store::open(&args.store.store)?;
    let options = SearchOptions {
        show_progress: !args.quiet,
        print_acks: args.print_acks,
        announce: !args.quiet,
    };
    let outcome = match run_search(&store, start, &options) {
        Ok(outcome) => outcome,
        Err(e) => {
            // A search refused before its first event leaves no empty store behind.
            if created && store.last_seq().unwrap_or(1) == 0 {
                let dir = store.dir().to_path_buf();
                drop(store);
                let _ = std::fs::remove_dir_all(dir);
            }
            return Err(e.into());
        }
    };
    eprintln!(
        "experiment {} finished: {} distinct evaluations in {:.1}s, summary {}",
        outcome.experiment,
        outcome.evaluations,
        outcome.seconds,
        outcome
            .summary_hash
            .get(..12)
            .unwrap_or(&outcome.summary_hash)
    );
    if let Some((index, arch, reward, accuracy)) = &outcome.best {
        let described = Space::builtin(&outcome.space)
            .map(|s| s.describe(arch))
            .unwrap_or_default();
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
fn reject_with_resume(given: &[String]) -> Result<()> {
    const ALLOWED: [&str; 4] = ["store", "resume", "quiet", "print-acks"];
    if let Some(flag) = given.iter().find(|f| !ALLOWED.contains(&f.as_str())) {
        bail!("--{flag} cannot be combined with --resume: a resumed search keeps the settings recorded in its log");
    }
    Ok(())
}

fn config_from_flags(args: &SearchArgs) -> Result<SearchConfig> {
    Space::builtin(&args.space).with_context(|| format!("--space {}", args.space))?;
    let task_name = args
        .task_name
        .clone()
        .unwrap_or_else(|| default_task_name(&args.task));
    let mut config = SearchConfig::new(&args.task, &task_name, &args.space, args.seed, args.budget);
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
    for (flag, cap) in [("--max-train", args.max_train), ("--max-val", args.max_val)] {
        if cap == Some(0) {
            bail!("{flag} must be at least 1");
        }
    }
    config.data.max_train = args.max_train.or(config.data.max_train);
    config.data.max_val = args.max_val.or(config.data.max_val);
    config
        .set_strategy(&args.algo)
        .map_err(|e| anyhow::anyhow!("--algo: {e}"))?;
    let modules: Vec<&str> = args.modules.iter().map(String::as_str).collect();
    let strategy = config.strategy.clone();
    config
        .set_modules(&strategy, &modules)
        .map_err(|e| anyhow::anyhow!("--modules: {e}"))?;
    if let Some(batch) = args.batch {
        config.batch_size = batch;
    }
    config.table = table_options(&args.table);
    if let Some(cap) = args.max_proposals {
        config.max_proposals = cap;
    }
    config.prior.init_from = args.init_from.clone();
    config.prior.warm_from = args.warm_from;
    Ok(config)
}

/// Column flags of a `table:` task.
pub fn table_options(args: &TableArgs) -> TableOptions {
    TableOptions {
        accuracy_column: args.accuracy_column.clone(),
        cost_column: args.cost_column.clone(),
    }
}

/// `idx:../data/mnist` registers as `mnist`, `table:../b/nb201_cifar10.csv` as
/// `nb201_cifar10` (search and bench agree, so `--init-from nb201_cifar10` finds either's
/// knowledge); `digits` as itself.
pub fn default_task_name(spec: &str) -> String {
    match spec.split_once(':') {
        Some((_, dir)) => Path::new(dir.trim_end_matches('/'))
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".csv").to_string())
            .unwrap_or_else(|| spec.to_string()),
        None => spec.to_string(),
    }
}
