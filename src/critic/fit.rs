//! Fitting the critic: the losses of all stacked members on seeded mini-batches, one
//! AdamW step per batch. See `model` for what each member learns.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tch::{Kind, Tensor};

use super::error::CriticError;
use super::model::{check_samples, to_matrix, Critic, CriticFit, Scale};
use crate::nn::AdamHyper;

impl Critic {
    /// Fits V and U on real samples: `inputs[i]` (the one-hot of an architecture) was trained
    /// and got `rewards[i]`. The caller passes ALL real samples so far after each batch, in a
    /// stable order (observation order): sample `i` is in cross-fitting fold `i mod folds`, so
    /// a stable order keeps each fold net from ever seeing its own fold across warm refits.
    ///
    /// With `warm_start` (default) the fit continues from the current weights and AdamW
    /// moments; otherwise it restarts from the construction seed. Either way the result is a
    /// pure function of the critic before the call and the data (mini-batch order comes from
    /// ChaCha8 stream `fits + 1` of the seed, or stream 1 for a cold fit, which therefore
    /// depends on the seed and the data only). The reward scale is re-estimated from
    /// `rewards`; the warm weights are not rescaled for it (the scale moves slowly as samples
    /// accumulate, and the epochs absorb the shift).
    /// Returns the fit metrics on these same samples, in reward units.
    ///
    /// On an error after training started (a non-finite loss), the epochs already taken are
    /// kept and `fits` is not advanced.
    pub fn fit(&mut self, inputs: &[Vec<f32>], rewards: &[f64]) -> Result<CriticFit, CriticError> {
        self.fit_epochs(inputs, rewards, self.cfg.epochs)
    }

    /// `fit` with this many passes over the samples instead of the configured `epochs`: with
    /// few samples an epoch is a single AdamW step, and a caller that wants a minimum number
    /// of steps per refit (the search's `uac.fNNN`) asks for more passes.
    pub fn fit_epochs(
        &mut self,
        inputs: &[Vec<f32>],
        rewards: &[f64],
        epochs: usize,
    ) -> Result<CriticFit, CriticError> {
        check_samples(self, inputs, rewards)?;
        if !self.cfg.warm_start {
            self.init_uniform()?;
            self.adam.reset();
        }
        self.scale = Scale::of(rewards);
        let n = inputs.len();
        let x = to_matrix(inputs, self.input_dim)?;
        let targets: Vec<f32> = rewards
            .iter()
            .map(|r| ((r - self.scale.mean) / self.scale.std) as f32)
            .collect();
        let y = Tensor::f_from_slice(&targets)?;
        let batch = match self.cfg.batch_size {
            0 => n,
            b => b.min(n),
        };
        // Stream 0 is the init; a warm fit uses its own stream per fit, a cold fit always the
        // same one so that it depends on the seed and the data only.
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(if self.cfg.warm_start {
            self.fits + 1
        } else {
            1
        });
        let mut order: Vec<usize> = (0..n).collect();
        let hp = self.hyper();
        let params = self.adam.params();
        for epoch in 0..epochs.max(1) {
            if batch < n {
                shuffle(&mut order, &mut rng);
            }
            for chunk in order.chunks(batch) {
                let (xb, yb) = if batch < n {
                    let idx: Vec<i64> = chunk.iter().map(|&i| i as i64).collect();
                    let idx = Tensor::f_from_slice(&idx)?;
                    (x.f_index_select(0, &idx)?, y.f_index_select(0, &idx)?)
                } else {
                    (x.shallow_clone(), y.shallow_clone())
                };
                let loss = self.loss(&xb, &yb, chunk)?;
                let value = loss.f_double_value(&[])?;
                if !value.is_finite() {
                    return Err(CriticError::NonFinite { epoch, value });
                }
                let grads = Tensor::f_run_backward(&[&loss], &params, false, false)?;
                self.adam.step(&grads, hp);
            }
        }
        self.fits += 1;
        self.evaluate(inputs, rewards)
    }

    /// The summed loss of all members on one batch of standardised targets `y`; `samples`
    /// are the batch rows' indices in the fitted data (they fix each row's fold).
    fn loss(&self, x: &Tensor, y: &Tensor, samples: &[usize]) -> Result<Tensor, CriticError> {
        let k = self.cfg.folds;
        // Outputs [K + 2, B]; |V_m - r| for the value members m = 0..=K: [K + 1, B].
        let out = self.nets.forward(x)?;
        let err = out.f_narrow(0, 0, k as i64 + 1)?.f_sub(y)?.f_abs()?;
        let l_v = if k == 0 {
            err.f_mean(None)?
        } else {
            // Fold net m (1..=K) learns only from rows outside fold m - 1; V (m = 0) from all.
            let b = samples.len();
            let mut mask = vec![1.0f32; (k + 1) * b];
            for (row, &i) in samples.iter().enumerate() {
                mask[(1 + i % k) * b + row] = 0.0;
            }
            let mask = Tensor::f_from_slice(&mask)?.f_view([k as i64 + 1, b as i64])?;
            // Per-member mean over its own rows (at least one row in the divisor).
            let count = mask
                .f_sum_dim_intlist(1, false, Kind::Float)?
                .f_clamp_min(1.0)?;
            err.f_mul(&mask)?
                .f_sum_dim_intlist(1, false, Kind::Float)?
                .f_div(&count)?
                .f_sum(Kind::Float)?
        };
        let target = if k == 0 {
            err.f_select(0, 0)?
        } else {
            // Each row's error under the fold net that did not train on it.
            let idx: Vec<i64> = samples.iter().map(|&i| (1 + i % k) as i64).collect();
            let idx = Tensor::f_from_slice(&idx)?.f_unsqueeze(0)?;
            err.f_gather(0, &idx, false)?.f_squeeze_dim(0)?
        };
        let u = out.f_select(0, k as i64 + 1)?.f_softplus()?;
        let l_u = u.f_sub(&target.detach())?.f_abs()?.f_mean(None)?;
        Ok(l_v.f_add(&l_u)?)
    }

    /// AdamW steps one epoch over `n` samples takes (mini-batches of `batch_size`, 0 = full).
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        match self.cfg.batch_size {
            0 => 1,
            b => n.div_ceil(b.min(n).max(1)).max(1),
        }
    }

    fn hyper(&self) -> AdamHyper {
        AdamHyper {
            lr: self.cfg.lr,
            beta1: self.cfg.adam_beta1,
            beta2: self.cfg.adam_beta2,
            eps: self.cfg.adam_eps,
            weight_decay: self.cfg.weight_decay,
        }
    }
}

/// Fisher-Yates shuffle with an explicit index draw (high 64 bits of a 64x64 product), so the
/// order depends only on the ChaCha8 stream.
fn shuffle(order: &mut [usize], rng: &mut ChaCha8Rng) {
    for i in (1..order.len()).rev() {
        let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
        order.swap(i, j);
    }
}
