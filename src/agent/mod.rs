//! The MNAS controller: an LSTM policy that samples architectures as token sequences (one
//! categorical decision per position) and learns from rewards with PPO.
//!
//! Files, one job each: [`config`] (hyper-parameters and their sources), [`controller`] (the
//! network, deterministic init, teacher-forced pass), [`sample`] (reproducible sampling),
//! [`ppo`] (the clipped-surrogate update), `clip` (gradient-norm clipping), [`baseline`] (EMA
//! reward baseline), [`checkpoint`] (deterministic bytes), [`error`]. The optimiser (plain Adam,
//! whose state is checkpointed), the checkpoint container, the seeded init and the config range
//! checks are shared with the critic in [`crate::nn`]. The module knows nothing of where
//! rewards come from.

pub mod baseline;
pub mod checkpoint;
mod clip;
pub mod config;
pub mod controller;
pub mod error;
pub mod ppo;
pub mod sample;

pub use baseline::EmaBaseline;
pub use config::ControllerConfig;
pub use controller::{Controller, MAX_CHOICES};
pub use error::AgentError;
pub use ppo::{PpoSample, UpdateStats};
pub use sample::Sampled;
