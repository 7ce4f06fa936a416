//! Command-line grammar. Every flag a user can get wrong is named in its error message.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Fast sampling-based neural architecture search with a store that never forgets.
#[derive(Debug, Parser)]
#[command(name = "fnas", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run (or resume) an architecture search; every step is recorded in the store.
    Search(SearchArgs),
    /// Print the event log.
    Log(LogArgs),
    /// Rank the best architectures found.
    Top(TopArgs),
    /// Rebuild all state from the log; --verify audits it against the live run.
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct StoreArg {
    /// Store directory (created on first use).
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Task: `digits` (built in, no files needed), `idx:DIR` (MNIST-style IDX files) or
    /// `cifar:DIR` (CIFAR-10 binary batches).
    #[arg(long, default_value = "digits")]
    pub task: String,
    /// Name to register the task under (default: `digits`, or the data directory's name).
    #[arg(long)]
    pub task_name: Option<String>,
    /// Search space.
    #[arg(long, default_value = "mnas")]
    pub space: String,
    /// Number of architectures to sample and evaluate.
    #[arg(long, default_value_t = 40)]
    pub budget: u64,
    /// Architectures per policy update.
    #[arg(long, default_value_t = 20)]
    pub batch: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Trainer threads (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Training steps per sampled network (default: the proxy's).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Channel multiplier of the proxy networks (default: the proxy's).
    #[arg(long)]
    pub width_mult: Option<f64>,
    /// Target MACs T of the reward ACC x (MACs/T)^w.
    #[arg(long)]
    pub target_macs: Option<f64>,
    /// Cap on training images (default: the task's).
    #[arg(long)]
    pub max_train: Option<usize>,
    /// Cap on validation images (default: the task's).
    #[arg(long)]
    pub max_val: Option<usize>,
    /// Continue experiment ID from its last policy update (other settings come from the log).
    #[arg(long, value_name = "ID")]
    pub resume: Option<u64>,
    /// Print `ack <seq> <kind>` on stdout after each durable append.
    #[arg(long, hide = true)]
    pub print_acks: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(flatten)]
    pub store: StoreArg,
    #[arg(long, value_name = "ID")]
    pub experiment: Option<u64>,
    /// Only events of this kind: task, started, sampled, reward, policy, ended (or the full
    /// names, e.g. reward_observed).
    #[arg(long)]
    pub kind: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// At most this many events (the last ones).
    #[arg(long)]
    pub tail: Option<usize>,
}

#[derive(Debug, Args)]
pub struct TopArgs {
    #[command(flatten)]
    pub store: StoreArg,
    #[arg(long, value_name = "ID")]
    pub experiment: Option<u64>,
    #[arg(short = 'n', long, default_value_t = 10)]
    pub n: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Check rebuilt policies and summaries against the recorded ones (exit 1 on mismatch).
    #[arg(long)]
    pub verify: bool,
}
