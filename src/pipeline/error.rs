use thiserror::Error;

use crate::agent::AgentError;
use crate::bench::BenchError;
use crate::critic::CriticError;
use crate::pool::PoolError;
use crate::replay::ReplayError;
use crate::space::SpaceError;
use crate::store::StoreError;
use crate::train::TrainError;

/// Why a search could not start or continue. Events acknowledged before the error stay in
/// the store; `--resume` continues from them.
#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error(transparent)]
    Space(#[from] SpaceError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error(transparent)]
    Bench(#[from] BenchError),
    #[error(transparent)]
    Critic(#[from] CriticError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("{0}")]
    Invalid(String),
    #[error("trainer worker failed: {0}")]
    Worker(String),
}
