//! `fnas log`, `fnas top` and `fnas replay`: read-only views folded from the log.

use anyhow::{bail, Result};

use fnas::replay::{fold_store, verify_store, ExperimentState, Experiments};
use fnas::report::{
    event_line, experiment_header, out_of_sample, quality_over_time, top_rows, transfer_quality,
    CriticQuality,
};
use fnas::space::Space;
use fnas::store::{codec, Event, Store};

use super::args::{CriticArgs, CriticCommand, LogArgs, ReplayArgs, TopArgs};

/// `--kind` takes a full kind name (`reward_observed`) or one word of it that names a
/// single kind (`reward`, `sampled`, `policy`, `critic`, `started`, `ended`, `task`).
fn kind_filter(kind: &str) -> Result<&'static str> {
    let names = codec::KINDS.iter().map(|k| k.name);
    let matches: Vec<&'static str> = names
        .clone()
        .filter(|n| *n == kind || n.split('_').any(|w| w == kind))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        _ => bail!(
            "--kind {kind}: {} event kind (expected one of {})",
            if matches.is_empty() {
                "unknown"
            } else {
                "ambiguous"
            },
            names.collect::<Vec<_>>().join(", ")
        ),
    }
}

pub fn log(args: LogArgs) -> Result<()> {
    let kind = args.kind.as_deref().map(kind_filter).transpose()?;
    let store = Store::open_existing(&args.store.store)?;
    if let Some(id) = args.experiment {
        if !matches!(store.get(id)?, Some(Event::ExperimentStarted(_))) {
            bail!(
                "--experiment {id}: no experiment {id} in store {} (see `fnas top`)",
                args.store.store.display()
            );
        }
    }
    let mut lines: Vec<(u64, Event)> = Vec::new();
    for item in store.scan(1) {
        let (seq, event) = item?;
        let in_experiment = match (args.experiment, &event) {
            (None, _) => true,
            (Some(id), Event::ExperimentStarted(_)) => seq == id,
            (Some(id), e) => e.experiment() == Some(id),
        };
        if in_experiment && kind.is_none_or(|k| event.kind_name() == k) {
            lines.push((seq, event));
        }
    }
    if let Some(n) = args.tail {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    for (seq, event) in lines {
        if args.json {
            println!(
                "{}",
                serde_json::json!({ "seq": seq, "kind": event.kind_name(), "event": event })
            );
        } else {
            println!("{}", event_line(seq, &event));
        }
    }
    Ok(())
}

fn chosen(state: &Experiments, id: Option<u64>) -> Result<Vec<&ExperimentState>> {
    match id {
        Some(id) => Ok(vec![state.get(id)?]),
        None => Ok(state.experiments.values().collect()),
    }
}

pub fn top(args: TopArgs) -> Result<()> {
    let store = Store::open_existing(&args.store.store)?;
    let state = fold_store(&store)?;
    let exps = chosen(&state, args.experiment)?;
    if exps.is_empty() {
        bail!(
            "store {} holds no experiments yet",
            args.store.store.display()
        );
    }
    for exp in exps {
        let space = Space::builtin(&exp.started.space).ok();
        let rows = top_rows(exp, space.as_ref(), args.n);
        if args.json {
            for row in rows {
                println!("{}", serde_json::to_string(&row)?);
            }
            continue;
        }
        println!("{}", experiment_header(exp));
        println!(
            "{:>4} {:>6} {:>8} {:>8} {:>8} {:>7}  arch",
            "rank", "index", "reward", "acc%", "MACs(M)", "params"
        );
        for (rank, row) in rows.iter().enumerate() {
            println!(
                "{:>4} {:>6} {:>8.4} {:>8.2} {:>8.1} {:>7}  {}{}",
                rank + 1,
                row.index,
                row.reward,
                row.accuracy * 100.0,
                row.macs as f64 / 1e6,
                if row.params == 0 {
                    "-".to_string()
                } else {
                    format!("{:.2}M", row.params as f64 / 1e6)
                },
                row.arch,
                row.failure
                    .as_ref()
                    .map(|f| format!("  [{f}]"))
                    .unwrap_or_default()
            );
            if !row.description.is_empty() {
                println!("{:>40}{}", "", row.description);
            }
        }
    }
    Ok(())
}

pub fn replay(args: ReplayArgs) -> Result<()> {
    let store = Store::open_existing(&args.store.store)?;
    let started = std::time::Instant::now();
    if !args.verify {
        let state = fold_store(&store)?;
        println!(
            "replayed {} events: {} tasks, {} experiments in {:.3}s",
            store.last_seq()?,
            state.tasks.len(),
            state.experiments.len(),
            started.elapsed().as_secs_f64()
        );
        for exp in state.experiments.values() {
            println!("  {}", experiment_header(exp));
        }
        return Ok(());
    }
    let report = verify_store(&store)?;
    println!(
        "verified {} events, {} experiments, {} policy updates recomputed in {:.3}s",
        report.events,
        report.experiments,
        report.policy_updates_checked,
        started.elapsed().as_secs_f64()
    );
    if report.ok() {
        println!("OK: rebuilt state is identical to what the live runs recorded");
        Ok(())
    } else {
        for p in &report.problems {
            println!("MISMATCH: {p}");
        }
        bail!("replay --verify found {} problem(s)", report.problems.len())
    }
}

pub fn critic(args: CriticArgs) -> Result<()> {
    let CriticCommand::Eval(args) = args.command;
    let store = Store::open_existing(&args.store.store)?;
    let state = fold_store(&store)?;
    let exp = state.get(args.experiment)?;
    if exp.critics.is_empty() {
        bail!(
            "--experiment {}: this experiment has no critic (search with --modules uac)",
            args.experiment
        );
    }
    let overall = CriticQuality::of(&out_of_sample(exp));
    let over_time = quality_over_time(exp, args.window);
    let transfer = match args.on {
        Some(id) => {
            let target = state.get(id)?;
            if target.started.space_hash != exp.started.space_hash {
                bail!(
                    "--on {id}: experiment {id} searched another space than experiment {}",
                    exp.id
                );
            }
            Some(transfer_quality(
                store.blobs(),
                exp,
                target,
                &Space::builtin(&exp.started.space)?,
            )?)
        }
        None => None,
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "out_of_sample": overall, "over_time": over_time, "on": transfer })
        );
        return Ok(());
    }
    let line = |q: &CriticQuality| {
        format!(
            "n={:<5} spearman={:>6.3}  mean|V-R|={:.4}  |V-R|<=U {:>5.1}%",
            q.samples,
            q.spearman,
            q.mean_abs_error,
            q.coverage * 100.0
        )
    };
    println!("{}", experiment_header(exp));
    println!(
        "out of sample (estimate recorded before evaluation): {}",
        line(&overall)
    );
    for (i, q) in over_time.iter().enumerate() {
        println!("  window {:>3}: {}", i + 1, line(q));
    }
    if let (Some(q), Some(id)) = (transfer, args.on) {
        println!(
            "final critic on experiment {id}'s measured samples: {}",
            line(&q)
        );
    }
    Ok(())
}
