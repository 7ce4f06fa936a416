//! The search: threads and channels that sample, evaluate, learn and record.

mod config;
mod error;
mod evaluator;
mod journal;
mod learner;
mod search;
mod seeds;
mod workers;

pub use config::SearchConfig;
pub use error::PipelineError;
pub use evaluator::{Evaluation, Evaluator, EvaluatorFactory, TrainedEvaluatorFactory};
pub use journal::Journal;
pub use learner::{policy_step, BatchItem};
pub use search::{batch_items, run_search, SearchOptions, SearchOutcome, Start};
pub use seeds::{sampling_rng, training_seed};
