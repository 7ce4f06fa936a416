//! `fnas export`, `fnas import`, `fnas tasks` and `fnas replay --experiment ID --into DIR`:
//! moving knowledge between stores (see `fnas::lifelong`).

use std::io::Cursor;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use fnas::lifelong::{
    export_file, export_to, import_file, import_from, list_tasks, ExportReport, ImportReport,
    Selection, What,
};
use fnas::store::Store;

use super::args::{ReplayArgs, StoreArg};

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The task whose knowledge is exported (see `fnas tasks`).
    #[arg(long)]
    pub task: String,
    /// What to export, comma-separated: pool (trained blocks), critic (the task's critic
    /// updates), history (every event of the task's experiments).
    #[arg(long, value_delimiter = ',', default_value = "pool,critic")]
    pub what: Vec<String>,
    /// The package file to write (replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The package file written by `fnas export`.
    #[arg(value_name = "PACKAGE")]
    pub package: PathBuf,
}

#[derive(Debug, Args)]
pub struct TasksArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// One JSON object per task.
    #[arg(long)]
    pub json: bool,
}

pub fn export(args: ExportArgs) -> Result<()> {
    let what = What::parse(&args.what)?;
    let store = Store::open_existing(&args.store.store)?;
    let t = Instant::now();
    let selection = Selection::Task {
        task: args.task.clone(),
        what,
    };
    let report = export_file(&store, &selection, &args.out)
        .with_context(|| format!("export --task {} --out {}", args.task, args.out.display()))?;
    print_export(
        &report,
        &args.out.display().to_string(),
        t.elapsed().as_secs_f64(),
    );
    Ok(())
}

pub fn import(args: ImportArgs) -> Result<()> {
    // A refused package must not leave a new empty store behind.
    std::fs::metadata(&args.package)
        .with_context(|| format!("package {}", args.package.display()))?;
    let dir = &args.store.store;
    let created = !dir.exists();
    let store = Store::open(dir)?;
    let t = Instant::now();
    let report = match import_file(&store, &args.package) {
        Ok(r) => r,
        Err(e) => {
            drop(store);
            if created {
                // Only what this command created a moment ago, holding nothing: the package
                // was refused before any event was appended.
                let _ = std::fs::remove_dir_all(dir);
            }
            return Err(e.into());
        }
    };
    print_import(
        &report,
        &args.package.display().to_string(),
        t.elapsed().as_secs_f64(),
    );
    Ok(())
}

pub fn tasks(args: TasksArgs) -> Result<()> {
    let store = Store::open_existing(&args.store.store)?;
    let tasks = list_tasks(&store)?;
    if args.json {
        for t in &tasks {
            println!("{}", serde_json::to_string(t)?);
        }
        return Ok(());
    }
    println!(
        "{:<16} {:<14} {:<12} {:>7} {:>11} {:>7} {:>7} {:>10} {:>7}",
        "task",
        "fingerprint",
        "shape",
        "classes",
        "experiments",
        "samples",
        "critics",
        "pool",
        "imports"
    );
    for t in &tasks {
        let shape: Vec<String> = t.input_shape.iter().map(u32::to_string).collect();
        println!(
            "{:<16} {:<14} {:<12} {:>7} {:>11} {:>7} {:>7} {:>10} {:>7}",
            t.task,
            t.fingerprint.get(..12).unwrap_or(&t.fingerprint),
            shape.join("x"),
            t.classes,
            t.experiments,
            t.samples,
            t.critics,
            t.pool_blocks,
            t.imports
        );
    }
    Ok(())
}

/// Rebuilds one experiment's history in another store through the same path as
/// export + import (an in-memory package), so provenance is recorded the same way.
pub fn replay_into(args: ReplayArgs) -> Result<()> {
    let (Some(experiment), Some(into)) = (args.experiment, args.into.as_ref()) else {
        anyhow::bail!("replay --into needs --experiment ID");
    };
    if args.verify {
        anyhow::bail!("--verify cannot be combined with --into; run `fnas replay --store {} --verify` afterwards", into.display());
    }
    let source = Store::open_existing(&args.store.store)?;
    let label = format!(
        "experiment {experiment} of store {}",
        source.dir().display()
    );
    let mut bytes = Vec::new();
    let t = Instant::now();
    export_to(
        &source,
        &Selection::Experiment(experiment),
        &mut bytes,
        &label,
    )?;
    drop(source);
    let target = Store::open(into).with_context(|| format!("--into {}", into.display()))?;
    let report = import_from(&target, &mut Cursor::new(bytes), &label)?;
    print_import(&report, &label, t.elapsed().as_secs_f64());
    if let Some(m) = report.experiments.iter().find(|m| m.source == experiment) {
        println!(
            "experiment {} is experiment {} in {}",
            experiment,
            m.target,
            into.display()
        );
    }
    Ok(())
}

fn print_export(r: &ExportReport, out: &str, seconds: f64) {
    let h = &r.header;
    println!(
        "exported {} of task '{}' to {out}: {} events (source seq {}..={}), {} blobs, {} experiments, {} bytes in {seconds:.2}s",
        h.what.join(","),
        h.task,
        h.events,
        h.source_first_seq,
        h.source_last_seq,
        h.blobs,
        h.experiments.len(),
        r.bytes
    );
    println!("package {}", r.id);
}

fn print_import(r: &ImportReport, from: &str, seconds: f64) {
    if r.already {
        println!(
            "package {} ({from}) was already imported (event {}): nothing to do",
            &r.package[..12.min(r.package.len())],
            r.imported_seq
        );
        return;
    }
    println!(
        "imported {} of task '{}' from {from}: {} events at seq {}..={}, {} blobs ({} new), {} experiments, provenance event {} in {seconds:.2}s",
        r.what.join(","),
        r.task,
        r.events,
        r.target_first_seq,
        r.target_last_seq,
        r.blobs,
        r.new_blobs,
        r.experiments.len(),
        r.imported_seq
    );
    for m in &r.experiments {
        println!("  experiment {} -> {}", m.source, m.target);
    }
}
