//! `fnas pool stats`: size, coverage, iterations and hit ratios of a store's knowledge pool,
//! folded from its `block_checkpointed` events.

use anyhow::Result;
use clap::{Args, Subcommand};

use fnas::pool::{fold_pool, pool_stats, PoolStats};
use fnas::store::Store;

use super::args::StoreArg;

#[derive(Debug, Args)]
pub struct PoolArgs {
    #[command(subcommand)]
    pub command: PoolCommand,
}

#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// Entries, distinct blobs and bytes, keys covered per part, training iterations, and
    /// the hit ratio of each experiment that used the pool (with its history).
    Stats(PoolStatsArgs),
}

#[derive(Debug, Args)]
pub struct PoolStatsArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Samples per window of the hit-ratio history.
    #[arg(long, default_value_t = 20)]
    pub window: usize,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: PoolArgs) -> Result<()> {
    match args.command {
        PoolCommand::Stats(a) => stats(a),
    }
}

fn stats(args: PoolStatsArgs) -> Result<()> {
    let store = Store::open_existing(&args.store.store)?;
    let stats = pool_stats(&fold_pool(&store)?, args.window);
    if args.json {
        println!("{}", serde_json::to_string(&stats)?);
    } else {
        print!("{}", render(&stats));
    }
    Ok(())
}

fn part_name(part: u32, head: u32) -> String {
    match part {
        0 => "stem".into(),
        p if p == head => "head".into(),
        p => format!("b{p}"),
    }
}

/// The text form of `fnas pool stats`.
fn render(s: &PoolStats) -> String {
    let mut out = format!(
        "pool: {} entries ({} recallable: trained from a fresh init), {} distinct blobs, {:.1} MiB\n",
        s.entries,
        s.recallable,
        s.distinct_blobs,
        s.blob_bytes as f64 / (1024.0 * 1024.0)
    );
    if s.entries == 0 {
        out.push_str("(empty: search with --modules lkp to fill it)\n");
        return out;
    }
    let head = s.keys.keys().max().copied().unwrap_or(0);
    out.push_str("keys covered per part (stored / recallable):");
    for (part, (all, rec)) in &s.keys {
        out.push_str(&format!(" {} {all}/{rec}", part_name(*part, head)));
    }
    out.push('\n');
    out.push_str("iterations:");
    for (it, n) in &s.iterations {
        out.push_str(&format!(" {it} x{n}"));
    }
    out.push('\n');
    out.push_str("hit ratio (blocks initialised from a pool match):\n");
    for e in &s.experiments {
        let history: Vec<String> = e
            .history
            .iter()
            .map(|r| format!("{:.0}%", r * 100.0))
            .collect();
        out.push_str(&format!(
            "  experiment {} ({}): {}/{} blocks = {:.1}% over {} samples; per {} samples: {}\n",
            e.experiment,
            e.task,
            e.hits,
            e.blocks,
            e.ratio * 100.0,
            e.samples,
            e.window,
            history.join(" ")
        ));
    }
    out
}
