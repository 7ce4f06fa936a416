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
    /// Compare strategies x seeds on a benchmark table; prints and writes the comparison.
    Bench(BenchArgs),
    /// The comparison table and plot of the benchmark runs in a store, from events alone.
    Report(ReportArgs),
    /// The uncertainty-aware critic: `fnas critic eval` reports how good it is.
    Critic(CriticArgs),
    /// The lifelong knowledge pool (`--modules lkp`): `fnas pool stats`.
    Pool(super::pool::PoolArgs),
    /// Write a task's knowledge (pool, critic, history) as a self-contained package file.
    Export(super::lifelong::ExportArgs),
    /// Add a knowledge package to a store (verified first; importing it again is a no-op).
    Import(super::lifelong::ImportArgs),
    /// List the tasks of a store with their experiments and knowledge counts.
    Tasks(super::lifelong::TasksArgs),
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
    /// Task: `digits` (built in, no files needed), `idx:DIR` (MNIST-style IDX files),
    /// `cifar:DIR` (CIFAR-10 binary batches) or `table:FILE.csv` (a tabular benchmark; give
    /// its space with --space nb-macro or --space nb201).
    #[arg(long, default_value = "digits")]
    pub task: String,
    /// Strategy: fnas (the default: the controller with the best measured FNAS modules, see
    /// docs/bench), mnas (LSTM controller + PPO alone), rs (random search), re / re_pP_sS
    /// (regularized evolution, population P, tournament S).
    #[arg(long, default_value = "fnas")]
    pub algo: String,
    /// FNAS modules added to the mnas or fnas strategy, comma-separated: uac (uncertainty-aware
    /// critic), aeb (experience buffer), lkp (knowledge pool of trained block weights; image
    /// tasks). fnas already has uac and aeb, so with it only lkp is left to add.
    #[arg(long, value_delimiter = ',')]
    pub modules: Vec<String>,
    #[command(flatten)]
    pub table: TableArgs,
    /// Stop after this many proposals even if fewer distinct architectures were evaluated
    /// (default: 5 x budget).
    #[arg(long)]
    pub max_proposals: Option<u64>,
    /// Name to register the task under (default: `digits`, or the data directory's name).
    #[arg(long)]
    pub task_name: Option<String>,
    /// Search space: mnas, nb-macro or nb201.
    #[arg(long, default_value = "mnas")]
    pub space: String,
    /// Number of distinct architectures to evaluate (repeats are free).
    #[arg(long, default_value_t = 40)]
    pub budget: u64,
    /// Architectures per policy update (default: the strategy's; 10 for fnas, 20 otherwise).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Seed of the whole search: architecture draws, training and critic all derive from it,
    /// so the same seed reproduces the same search.
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
    /// Warm start: the critic starts from the latest critic of this task of the store (own
    /// or imported) and is fine-tuned on this search's samples (needs uac: the default
    /// `--algo fnas` has it; with `--algo mnas`, add `--modules uac`).
    #[arg(long, value_name = "TASK")]
    pub init_from: Option<String>,
    /// Warm start: the critic is pre-trained on the real samples of this recorded
    /// experiment (own or imported; needs uac, as --init-from).
    #[arg(long, value_name = "ID")]
    pub warm_from: Option<u64>,
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
    /// With --into: the experiment whose history is rebuilt in another store.
    #[arg(long, value_name = "ID", requires = "into")]
    pub experiment: Option<u64>,
    /// Rebuild experiment --experiment (with what its replay needs) in this store.
    #[arg(long, value_name = "DIR", requires = "experiment")]
    pub into: Option<PathBuf>,
}

/// Columns of a `table:` task.
#[derive(Debug, Args, Clone)]
pub struct TableArgs {
    /// Table column used as accuracy (default: test_acc_mean for NAS-Bench-Macro, test_acc
    /// for NAS-Bench-201).
    #[arg(long)]
    pub accuracy_column: Option<String>,
    /// Table column used as cost (default: flops / flops_M).
    #[arg(long)]
    pub cost_column: Option<String>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Benchmark table, e.g. ../shared/benchmarks/nb201_cifar10.csv.
    #[arg(long, value_name = "FILE.csv")]
    pub table: std::path::PathBuf,
    /// Space of the table: nb-macro or nb201.
    #[arg(long)]
    pub space: String,
    #[command(flatten)]
    pub columns: TableArgs,
    /// Strategies, comma-separated: fnas (the default strategy), mnas, rs, re, re_pP_sS;
    /// modules join with `+` (mnas+uac.sel64+aeb).
    #[arg(long, default_value = "rs,re,mnas,fnas", value_delimiter = ',')]
    pub algos: Vec<String>,
    /// Number of seeds per strategy (seeds 0..N-1).
    #[arg(long, default_value_t = 10)]
    pub seeds: u64,
    /// Distinct evaluations per run.
    #[arg(long, default_value_t = 300)]
    pub budget: u64,
    /// Architectures per policy update of the mnas controller (default: the strategy's; 10
    /// for fnas, 20 otherwise).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Warm arm: every run starts from the knowledge of this task of the store (its latest
    /// critic and its measured history; own runs or an imported package), as
    /// `fnas search --init-from TASK` does.
    #[arg(long, value_name = "TASK")]
    pub init_from: Option<String>,
    /// Directory for the CSV, JSON and plot files (default: <store>/report).
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Only experiments on this task (default: every table task in the store).
    #[arg(long)]
    pub task: Option<String>,
    /// Only the first N distinct evaluations of each run count (default: the runs' budget).
    #[arg(long)]
    pub budget: Option<u64>,
    /// Directory for the CSV, JSON and plot files (default: <store>/report).
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct CriticArgs {
    #[command(subcommand)]
    pub command: CriticCommand,
}

#[derive(Debug, Subcommand)]
pub enum CriticCommand {
    /// Spearman of V vs R, mean |V-R| and how often |V-R| <= U: on the experiment's own
    /// measured samples as the critic saw them before they were evaluated (out of sample),
    /// over the course of the search, and optionally on another experiment's samples.
    Eval(CriticEvalArgs),
}

#[derive(Debug, Args)]
pub struct CriticEvalArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Experiment whose critic is judged (searched with --modules uac).
    #[arg(long, value_name = "ID")]
    pub experiment: u64,
    /// Also apply its final critic to this experiment's measured samples.
    #[arg(long, value_name = "ID")]
    pub on: Option<u64>,
    /// Samples per window of the over-time table.
    #[arg(long, default_value_t = 25)]
    pub window: usize,
    #[arg(long)]
    pub json: bool,
}
