//! UAC, the uncertainty-aware critic (FNAS, Section 4.1): a value net V(A) predicts the reward
//! of an architecture from its one-hot embedding and an uncertainty net U(A) predicts how
//! wrong V is. Where U(A) < sigma the pipeline uses V(A) as the reward instead of training
//! the architecture ("fake" sample), at most half of each PPO batch.
//!
//! Files, one job each: [`config`] (hyper-parameters), [`model`] (the two nets, seeded init,
//! fit, predict, evaluate), `mlp` (the raw-tensor MLP), `adam` (hand-written AdamW whose
//! state is checkpointed), [`checkpoint`] (deterministic bytes), [`metrics`] (Spearman,
//! quantile), [`policy`] (sigma, the confidence test, the 50% rule and batch filling),
//! [`error`].
//! Depends on tch and plain data only: the caller turns `Arch`es into inputs with
//! `Space::one_hot` and owns when to fit and what to record.

mod adam;
pub mod checkpoint;
pub mod config;
pub mod error;
pub mod metrics;
mod mlp;
pub mod model;
pub mod policy;

pub use config::CriticConfig;
pub use error::CriticError;
pub use metrics::{average_ranks, quantile, spearman};
pub use model::{Critic, CriticFit};
pub use policy::{fake_allowed, is_confident, BatchFill, Decision, SigmaPolicy};
