//! Proxy training: datasets (built-in UCI digits, MNIST-style IDX, CIFAR-10 binary), a
//! network builder that instantiates a full-size `NetSpec` for small inputs, a
//! fixed-budget deterministic trainer, and the MnasNet reward.
//!
//! Knows nothing of the event log: it turns (NetSpec, seed, dataset) into a
//! `TrainOutcome` (and optionally trained variables) and the caller records it.

pub mod batches;
pub mod cifar;
pub mod config;
pub mod data;
pub mod digits;
pub mod error;
pub mod idx;
pub mod init;
mod layers;
pub mod net;
pub mod objective;
pub mod plan;
pub mod raw;
pub mod read;
pub mod trainer;

pub use config::{LrSchedule, ProxyConfig};
pub use data::{load_task, DataOptions, Dataset, Split};
pub use error::TrainError;
pub use net::{block_prefix, ProxyNet};
pub use objective::Objective;
pub use plan::{plan_net, InputShape, LayerPlan, NetPlan, SkipPlan};
pub use raw::RawImages;
pub use trainer::{TrainOutcome, TrainRun, Trainer, VarInit};
