//! The search: threads and channels that propose, evaluate, learn and record.

mod config;
mod decider;
mod error;
mod evaluator;
mod journal;
mod learner;
mod lkp;
mod policy;
mod prior;
mod replay_buffer;
mod search;
mod seeds;
mod task;
mod uac;
mod workers;

pub use config::{SearchConfig, StrategyConfig, TableOptions};
pub use error::PipelineError;
pub use evaluator::{
    Evaluation, Evaluator, EvaluatorFactory, TableEvaluatorFactory, TrainedEvaluatorFactory,
};
pub use journal::Journal;
pub use learner::{batch_items, policy_step, replayed_items, single_threaded, BatchItem};
pub use lkp::{plan_sample, LkpConfig, LkpJob, PartInit, TrainedPart};
pub use policy::{Policy, Proposal};
pub use prior::{validate_prior, warm_start, Prior, PriorConfig, PriorCritic, PriorSample};
pub use replay_buffer::{buffer_before, draw_old, old_count};
pub use search::{run_search, SearchOptions, SearchOutcome, Start, Timings};
pub use seeds::{sampling_rng, training_seed};
pub use task::TaskData;
pub use uac::{out_of_sample_errors, CriticState, UacConfig};
