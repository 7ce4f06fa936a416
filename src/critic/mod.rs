//! UAC, the uncertainty-aware critic (FNAS, Section 4.1): a value net V(A) predicts the reward
//! of an architecture from its one-hot embedding and an uncertainty net U(A) predicts how
//! wrong V is. Where U(A) < sigma the pipeline uses V(A) as the reward instead of training
//! the architecture ("fake" sample), at most half of each PPO batch.
//!
//! U is trained on cross-fitted (out-of-sample) errors of V by default, see [`model`] and
//! `CriticConfig::folds` for why.
//!
//! Files, one job each: [`config`] (hyper-parameters), [`model`] (the nets, seeded init,
//! predict, evaluate), `fit` (losses and the training loop), `mlp` (the stacked raw-tensor
//! MLPs), [`checkpoint`] (deterministic bytes), [`metrics`] (Spearman, quantile), [`policy`]
//! (sigma, the confidence test, the 50% rule and batch filling), [`error`]. The optimiser
//! (AdamW, whose state is checkpointed), the checkpoint container, the seeded init and the
//! config range checks are shared with the controller in [`crate::nn`].
//! Depends on tch and plain data only: the caller turns `Arch`es into inputs with
//! `Space::one_hot` and owns when to fit and what to record.

pub mod checkpoint;
pub mod config;
pub mod error;
mod fit;
pub mod metrics;
mod mlp;
pub mod model;
pub mod policy;

pub use config::CriticConfig;
pub use error::CriticError;
pub use metrics::{average_ranks, quantile, spearman};
pub use model::{Critic, CriticFit};
pub use policy::{fake_allowed, is_confident, BatchFill, Decision, SigmaPolicy};
