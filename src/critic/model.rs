//! The critic: a value net V(A) and an uncertainty net U(A) over an architecture's one-hot
//! embedding, their seeded construction, the predictions and their evaluation (the fit is
//! in `fit`).
//!
//! Losses (FNAS, Section 4.1), on standardised rewards r = (R - mean) / std:
//! `L_V = mean |V(A) - r(A)|` and `L_U = mean |U(A) - e(A)|` with `e` detached, so U learns
//! to predict how wrong V is and never pulls V. U ends in a softplus, so it is positive.
//! `e(A)` is `|V(A) - r(A)|` itself with `folds = 0` (the paper's literal loss), or, with
//! `folds = K`, `|V_k(A) - r(A)|` where `V_k` is one of K extra value nets trained like V but
//! without fold k, the fold holding A (cross-fitting: an honest, out-of-sample error).
//!
//! All nets are members of one [`StackedMlp`]: member 0 is V, members `1..=K` the fold nets,
//! the last one U. One AdamW minimises the sum of their losses; their variables are disjoint
//! slices of the stacked tensors, so this is `K + 2` independent fits sharing the batches.

use tch::Tensor;

use super::config::{CriticConfig, MAX_WIDTH};
use super::error::CriticError;
use super::metrics::spearman;
use super::mlp::{layout, Segment, StackedMlp};
use crate::nn::tensor::overwrite;
use crate::nn::{Adam, SeededUniform};

/// Name of the critic's single optimised variable (the flat tensor behind all stacked nets,
/// see `mlp`) in its Adam state and checkpoints.
const FLAT: &str = "nets";

/// How well the critic matches a set of real samples, all in reward units. Returned by
/// `fit` (measured on the data it was fitted on, so optimistic) and `evaluate` (any data);
/// the very type a `critic_updated` event records, so no conversion can drop a field.
pub use crate::store::CriticFit;

/// The affine map between rewards and the standardised targets the nets learn:
/// `R = mean + std * r`. Refreshed at every fit from the rewards given, so one config works
/// for 0..1 accuracies and 0..100 percentages alike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale {
    pub mean: f64,
    pub std: f64,
}

impl Scale {
    /// Identity scale, used before the first fit.
    pub const IDENTITY: Scale = Scale {
        mean: 0.0,
        std: 1.0,
    };

    /// Mean and population standard deviation of `rewards` (non-empty, finite). A constant
    /// set gets std 1 so the targets are all 0 instead of a division by zero.
    pub(crate) fn of(rewards: &[f64]) -> Scale {
        let n = rewards.len() as f64;
        let mean = rewards.iter().sum::<f64>() / n;
        let var = rewards.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n;
        let std = var.sqrt();
        let std = if std.is_finite() && std > 0.0 {
            std
        } else {
            1.0
        };
        Scale { mean, std }
    }
}

/// Value and uncertainty nets with their own AdamW state.
///
/// Not `Sync` (tch tensors are not); give each thread its own, and share it as `to_bytes()`.
/// Bit-exact reproducibility (same bytes + same data -> same fit and predictions) assumes the
/// same libtorch build and a fixed intra-op thread count; run it with
/// `tch::set_num_threads(1)` (the tensors are tiny, a second thread does not help).
pub struct Critic {
    pub(crate) cfg: CriticConfig,
    pub(crate) input_dim: usize,
    /// Construction seed: the init of a cold refit and the base of the mini-batch shuffles.
    pub(crate) seed: u64,
    /// Number of completed fits; selects the shuffle stream of the next fit.
    pub(crate) fits: u64,
    pub(crate) scale: Scale,
    /// The layer tensors inside the flat variable, in name order.
    pub(crate) segments: Vec<Segment>,
    /// V, the fold nets, then U (see the module doc).
    pub(crate) nets: StackedMlp,
    /// Owns the flat variable (its one slot, named `FLAT`) and its moments.
    pub(crate) adam: Adam,
}

impl Critic {
    /// Builds a critic reading embeddings of length `input_dim` whose initial weights are a
    /// pure function of `seed`, `input_dim` and `cfg`: every stacked layer tensor, in name
    /// order, is filled from `ChaCha8Rng::seed_from_u64(seed)` with uniform(-1/sqrt(fan_in),
    /// 1/sqrt(fan_in)) values (PyTorch's `nn.Linear` default range).
    /// tch's global RNG is never used.
    pub fn new(input_dim: usize, cfg: CriticConfig, seed: u64) -> Result<Critic, CriticError> {
        cfg.validate()?;
        if input_dim == 0 || input_dim > MAX_WIDTH {
            return Err(CriticError::InputDim {
                found: input_dim,
                max: MAX_WIDTH,
            });
        }
        let segments = layout(members(&cfg), input_dim, cfg.hidden, cfg.layers);
        let (nets, flat) = StackedMlp::new(&segments)?;
        let critic = Critic {
            cfg,
            input_dim,
            seed,
            fits: 0,
            scale: Scale::IDENTITY,
            segments,
            nets,
            adam: Adam::new(vec![(FLAT.to_string(), flat)]),
        };
        critic.init_uniform()?;
        Ok(critic)
    }

    /// Overwrites the flat variable with seeded uniform values, segment by segment.
    pub(crate) fn init_uniform(&self) -> Result<(), CriticError> {
        let mut uniform = SeededUniform::new(self.seed);
        let mut values = Vec::with_capacity(self.num_params());
        for seg in &self.segments {
            values.extend(uniform.draw(seg.numel(), 1.0 / (seg.fan_in as f32).sqrt()));
        }
        Ok(overwrite(self.flat(), &values)?)
    }

    /// The flat variable all stacked layer tensors are views into.
    fn flat(&self) -> &Tensor {
        // Internal invariant: `new` gives the Adam state exactly one slot, the flat variable.
        &self.adam.slots()[0].param
    }

    /// The settings this critic was built (or loaded) with.
    pub fn config(&self) -> &CriticConfig {
        &self.cfg
    }

    /// Length of the embeddings this critic reads.
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// The construction seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Number of completed `fit` calls (restored by checkpoints).
    pub fn fits(&self) -> u64 {
        self.fits
    }

    /// Number of AdamW steps taken so far (restored by checkpoints).
    pub fn optimizer_steps(&self) -> u64 {
        self.adam.step_count()
    }

    /// Total number of trainable scalars of all nets (V, fold nets, U).
    pub fn num_params(&self) -> usize {
        self.adam.num_params()
    }

    /// The `(mean, std)` mapping standardised targets back to reward units, as set by the
    /// last fit (`(0, 1)` before any).
    pub fn reward_scale(&self) -> (f64, f64) {
        (self.scale.mean, self.scale.std)
    }

    /// Checks every input's length against `input_dim` and that all values are finite.
    pub fn validate_inputs(&self, inputs: &[Vec<f32>]) -> Result<(), CriticError> {
        for (index, x) in inputs.iter().enumerate() {
            if x.len() != self.input_dim {
                return Err(CriticError::InputLength {
                    index,
                    expected: self.input_dim,
                    found: x.len(),
                });
            }
            if let Some((position, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(CriticError::InputValue {
                    index,
                    position,
                    value,
                });
            }
        }
        Ok(())
    }

    /// `(V, U)` per input in reward units: V the predicted reward, U the predicted absolute
    /// error of V (>= 0). Computed in one batched pass under `no_grad`.
    pub fn predict(&self, inputs: &[Vec<f32>]) -> Result<Vec<(f64, f64)>, CriticError> {
        self.validate_inputs(inputs)?;
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let x = to_matrix(inputs, self.input_dim)?;
        let last = self.cfg.folds as i64 + 1;
        let (v, u) = tch::no_grad(|| -> Result<(Tensor, Tensor), CriticError> {
            let out = self.nets.forward(&x)?;
            Ok((out.f_select(0, 0)?, out.f_select(0, last)?.f_softplus()?))
        })?;
        let v = Vec::<f32>::try_from(&v)?;
        let u = Vec::<f32>::try_from(&u)?;
        let Scale { mean, std } = self.scale;
        Ok(v.iter()
            .zip(&u)
            .map(|(&v, &u)| (mean + std * f64::from(v), std * f64::from(u)))
            .collect())
    }

    /// The predictions of every value member (V, then the K cross-fitting nets) per input, in
    /// reward units: `result[i][m]`. Their spread is an ensemble estimate of V's uncertainty
    /// that needs no extra training (the fold nets each miss a quarter of the data), an
    /// alternative to U where U has seen few errors yet.
    pub fn predict_members(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f64>>, CriticError> {
        self.validate_inputs(inputs)?;
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let x = to_matrix(inputs, self.input_dim)?;
        let members = self.cfg.folds as i64 + 1;
        let values = tch::no_grad(|| -> Result<Tensor, CriticError> {
            Ok(self
                .nets
                .forward(&x)?
                .f_narrow(0, 0, members)?
                .f_transpose(0, 1)?
                .f_contiguous()?)
        })?;
        let values = Vec::<Vec<f32>>::try_from(&values)?;
        let Scale { mean, std } = self.scale;
        Ok(values
            .into_iter()
            .map(|row| row.into_iter().map(|v| mean + std * f64::from(v)).collect())
            .collect())
    }

    /// How well the critic matches the given real samples (no training): mean |V - R|,
    /// mean |U - |V - R||, Spearman of V vs R and the coverage of |V - R| by U.
    pub fn evaluate(&self, inputs: &[Vec<f32>], rewards: &[f64]) -> Result<CriticFit, CriticError> {
        check_samples(self, inputs, rewards)?;
        let predictions = self.predict(inputs)?;
        let n = rewards.len() as f64;
        let (mut value_loss, mut uncertainty_loss, mut covered) = (0.0, 0.0, 0usize);
        for (&(v, u), &r) in predictions.iter().zip(rewards) {
            let err = (v - r).abs();
            value_loss += err;
            uncertainty_loss += (u - err).abs();
            covered += usize::from(err <= u);
        }
        let values: Vec<f64> = predictions.iter().map(|p| p.0).collect();
        Ok(CriticFit {
            value_loss: value_loss / n,
            uncertainty_loss: uncertainty_loss / n,
            spearman: spearman(&values, rewards),
            coverage: covered as f64 / n,
        })
    }
}

/// Members of the stack: V, one net per fold, U.
pub(crate) fn members(cfg: &CriticConfig) -> usize {
    cfg.folds + 2
}

/// Validates a non-empty set of (input, reward) pairs for `critic`.
pub(crate) fn check_samples(
    critic: &Critic,
    inputs: &[Vec<f32>],
    rewards: &[f64],
) -> Result<(), CriticError> {
    if inputs.len() != rewards.len() {
        return Err(CriticError::LengthMismatch {
            inputs: inputs.len(),
            rewards: rewards.len(),
        });
    }
    if inputs.is_empty() {
        return Err(CriticError::NoSamples);
    }
    critic.validate_inputs(inputs)?;
    if let Some((index, &value)) = rewards.iter().enumerate().find(|(_, r)| !r.is_finite()) {
        return Err(CriticError::Reward { index, value });
    }
    Ok(())
}

/// Stacks validated inputs into a `[n, dim]` float tensor.
pub(crate) fn to_matrix(inputs: &[Vec<f32>], dim: usize) -> Result<Tensor, CriticError> {
    let flat: Vec<f32> = inputs.iter().flatten().copied().collect();
    Ok(Tensor::f_from_slice(&flat)?.f_view([inputs.len() as i64, dim as i64])?)
}
