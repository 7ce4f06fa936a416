//! The fixed-budget proxy trainer. One `Trainer` lives in one worker thread (tch tensors
//! are Send but not Sync): it turns the shared `Arc<Dataset>` into tensors once and then
//! trains any number of sampled networks on them.
//!
//! Determinism: initial weights (see [`super::init`]) and batch order (see
//! [`super::batches`]) come from the seed via ChaCha8, never from tch's RNG, so the same
//! NetSpec + seed + dataset gives the same accuracy, provided the libtorch thread count is
//! the same (it is process-global: set it once at startup with `tch::set_num_threads`;
//! this module never changes it).

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

use crate::space::net::NetSpec;

use super::batches::EpochSampler;
use super::config::ProxyConfig;
use super::data::{Dataset, Split};
use super::error::TrainError;
use super::init::{init_deterministic, zero_scales};
use super::net::ProxyNet;
use super::plan::{InputShape, NetPlan};

/// Number of final steps whose mean loss is reported (one step's loss is too noisy).
const FINAL_LOSS_WINDOW: usize = 10;

/// The result of training one sampled network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOutcome {
    /// Top-1 accuracy on the validation split, 0..=1 (0 on failure).
    pub accuracy: f64,
    /// Wall time of build + init + training + validation.
    pub train_seconds: f64,
    /// Optimiser steps completed.
    pub steps: usize,
    /// Mean training loss of the last (up to) 10 steps; on divergence, the non-finite loss;
    /// NaN when `steps` is 0 (nothing trained: useful to validate loaded weights).
    pub final_loss: f64,
    /// Why the network produced no usable result (e.g. "loss diverged to NaN at step 12").
    /// A failed network is a legitimate sample with accuracy 0, not an error.
    pub failure: Option<String>,
}

/// A finished run with its trained variables, for callers that store weights.
#[derive(Debug)]
pub struct TrainRun {
    pub outcome: TrainOutcome,
    /// The resolved shapes (channels, strides) the variables were built with.
    pub plan: NetPlan,
    /// The trained variables, named as documented in [`super::net`].
    pub vars: nn::VarStore,
}

/// Hook run after the deterministic initialisation and before the first step, e.g. to
/// copy stored block weights into `b{block}.*` variables.
pub type VarInit<'a> = &'a dyn Fn(&mut nn::VarStore, &NetPlan) -> Result<(), TrainError>;

/// Tensors of one split.
struct SplitTensors {
    images: Tensor,
    labels: Tensor,
}

impl SplitTensors {
    fn new(split: &Split, data: &Dataset) -> Result<Self, TrainError> {
        let shape = [
            split.len() as i64,
            data.channels as i64,
            data.height as i64,
            data.width as i64,
        ];
        Ok(SplitTensors {
            images: Tensor::f_from_slice(&split.images)?.f_view(shape)?,
            labels: Tensor::f_from_slice(&split.labels)?,
        })
    }
}

/// Trains proxy networks on one dataset; create one per worker thread.
pub struct Trainer {
    data: Arc<Dataset>,
    train: SplitTensors,
    val: SplitTensors,
}

impl Trainer {
    /// Builds the dataset's tensors (once per thread).
    pub fn new(data: Arc<Dataset>) -> Result<Self, TrainError> {
        if data.train.is_empty() || data.val.is_empty() {
            return Err(TrainError::BadSplit {
                task: data.name.clone(),
                reason: "train and validation splits must both be non-empty".to_string(),
            });
        }
        let train = SplitTensors::new(&data.train, &data)?;
        let val = SplitTensors::new(&data.val, &data)?;
        Ok(Trainer { data, train, val })
    }

    pub fn dataset(&self) -> &Dataset {
        &self.data
    }

    /// What the dataset imposes on every network (channels, size, classes).
    pub fn input_shape(&self) -> InputShape {
        InputShape {
            channels: self.data.channels,
            height: self.data.height,
            width: self.data.width,
            classes: self.data.classes,
        }
    }

    /// Trains `spec` for `cfg.steps` steps from `seed` and validates it.
    pub fn train(
        &self,
        spec: &NetSpec,
        cfg: &ProxyConfig,
        seed: u64,
    ) -> Result<TrainOutcome, TrainError> {
        Ok(self.train_with(spec, cfg, seed, None)?.outcome)
    }

    /// As [`Trainer::train`], with an optional hook on the initialised variables, and
    /// returning the trained variables. The single place a VarStore is created.
    pub fn train_with(
        &self,
        spec: &NetSpec,
        cfg: &ProxyConfig,
        seed: u64,
        init: Option<VarInit>,
    ) -> Result<TrainRun, TrainError> {
        let start = Instant::now();
        let mut vs = nn::VarStore::new(Device::Cpu);
        let net = ProxyNet::build(&vs.root(), spec, &self.input_shape(), cfg)?;
        init_deterministic(&vs, seed)?;
        if cfg.zero_init_residual {
            zero_scales(&vs, &net.residual_scale_names())?;
        }
        if let Some(hook) = init {
            hook(&mut vs, net.plan())?;
        }
        let mut outcome = self.fit(&net, &vs, cfg, seed)?;
        if outcome.failure.is_none() {
            match self.evaluate(&net, cfg.eval_batch)? {
                Some(acc) => outcome.accuracy = acc,
                None => {
                    outcome.failure =
                        Some("validation outputs are not finite (NaN/inf weights)".to_string())
                }
            }
        }
        outcome.train_seconds = start.elapsed().as_secs_f64();
        Ok(TrainRun {
            outcome,
            plan: net.plan().clone(),
            vars: vs,
        })
    }

    /// The training loop; returns accuracy 0 (filled in later) or a divergence failure.
    fn fit(
        &self,
        net: &ProxyNet,
        vs: &nn::VarStore,
        cfg: &ProxyConfig,
        seed: u64,
    ) -> Result<TrainOutcome, TrainError> {
        let mut opt =
            nn::sgd(cfg.momentum, 0.0, cfg.weight_decay, cfg.nesterov).build(vs, cfg.lr)?;
        let mut sampler = EpochSampler::new(self.data.train.len(), cfg.batch_size, seed);
        let mut recent = std::collections::VecDeque::with_capacity(FINAL_LOSS_WINDOW);
        for step in 0..cfg.steps {
            opt.set_lr(cfg.lr_at(step));
            let idx = Tensor::f_from_slice(sampler.next_batch())?;
            let x = self.train.images.f_index_select(0, &idx)?;
            let y = self.train.labels.f_index_select(0, &idx)?;
            let logits = net.forward(&x, true)?;
            let loss = logits
                .f_log_softmax(-1, Kind::Float)?
                .f_nll_loss::<Tensor>(&y, None, tch::Reduction::Mean, -100)?;
            let value = loss.f_double_value(&[])?;
            if !value.is_finite() {
                let what = if value.is_nan() { "NaN" } else { "inf" };
                return Ok(TrainOutcome {
                    accuracy: 0.0,
                    train_seconds: 0.0,
                    steps: step,
                    final_loss: value,
                    failure: Some(format!("loss diverged to {what} at step {step}")),
                });
            }
            opt.backward_step(&loss);
            if recent.len() == FINAL_LOSS_WINDOW {
                recent.pop_front();
            }
            recent.push_back(value);
        }
        let final_loss = if recent.is_empty() {
            f64::NAN
        } else {
            recent.iter().sum::<f64>() / recent.len() as f64
        };
        Ok(TrainOutcome {
            accuracy: 0.0,
            train_seconds: 0.0,
            steps: cfg.steps,
            final_loss,
            failure: None,
        })
    }

    /// Validation accuracy with batch norm in eval mode and no autograd; None if any
    /// output is not finite (a silently broken net must not score by argmax luck).
    fn evaluate(&self, net: &ProxyNet, eval_batch: usize) -> Result<Option<f64>, TrainError> {
        let n = self.data.val.len() as i64;
        let chunk = eval_batch.max(1) as i64;
        let mut correct = 0i64;
        let mut start = 0i64;
        while start < n {
            let len = chunk.min(n - start);
            let x = self.val.images.f_narrow(0, start, len)?;
            let y = self.val.labels.f_narrow(0, start, len)?;
            let logits = tch::no_grad(|| net.forward(&x, false))?;
            if logits.f_isfinite()?.f_all()?.f_int64_value(&[])? == 0 {
                return Ok(None);
            }
            let hits = logits.f_argmax(-1, false)?.f_eq_tensor(&y)?;
            correct += hits.f_sum(Kind::Int64)?.f_int64_value(&[])?;
            start += len;
        }
        Ok(Some(correct as f64 / n as f64))
    }
}
