//! Projections folded from the log, and the audit that checks a replay against what the
//! live run recorded.

mod error;
mod experiments;
mod projection;
mod verify;

pub use error::ReplayError;
pub use experiments::{ExperimentState, Experiments, SampleRecord};
pub use projection::Projection;
pub use verify::{fold_store, verify_store, VerifyReport};
