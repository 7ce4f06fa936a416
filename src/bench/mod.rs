//! Benchmark harness: scores search strategies on tabular NAS benchmarks, where evaluating an
//! architecture is reading its row (../shared/benchmarks). Holds the table evaluator, the
//! baseline proposers (random search, regularized evolution), multi-seed statistics and the
//! best-so-far plot. Self-contained: no tch, sled or pipeline types, so the pipeline and the
//! `bench` command can both build on it.

mod canonical;
pub mod error;
mod evolution;
mod plot;
mod proposer;
mod random;
pub mod simulate;
pub mod stats;
pub mod table;
mod tdist;

pub use canonical::{space_canonical, stage_identity_canonical};
pub use error::BenchError;
pub use evolution::RegularizedEvolution;
pub use plot::plot_best_so_far;
pub use proposer::{uniform_arch, Proposer};
pub use random::RandomSearch;
pub use simulate::{run_on_table, Distinct, TableRun};
pub use stats::{
    best_at, best_so_far, best_so_far_curve, regret_at, summarize, Interval, Reach, Summary,
};
pub use table::{parse_encoding, BenchTable, Row, TableFormat, Threshold};
pub use tdist::t_quantile;
