//! The experience buffer itself: a bounded, ordered list of past samples whose contents depend
//! only on the sequence of pushes, so folding reward events from the log rebuilds exactly the
//! buffer the live search had.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::config::{BufferConfig, Retention};
use super::draw::gumbel_top_k;
use super::entry::BufferEntry;
use super::error::BufferError;
use super::priority;

/// Past samples in push order (oldest first), at most `config.size` of them. A `Vec`, never a
/// hash map, so every query iterates in the same order live and on replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperienceBuffer {
    config: BufferConfig,
    entries: Vec<BufferEntry>,
}

impl ExperienceBuffer {
    /// An empty buffer; fails if the config is out of range.
    pub fn new(config: BufferConfig) -> Result<Self, BufferError> {
        config.validate()?;
        Ok(ExperienceBuffer {
            config,
            entries: Vec::new(),
        })
    }

    /// The settings the buffer was built with.
    pub fn config(&self) -> &BufferConfig {
        &self.config
    }

    /// Current entries, oldest push first.
    pub fn entries(&self) -> &[BufferEntry] {
        &self.entries
    }

    /// Current number of entries (the N of S_i = (N P_i)^-beta).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True before the first push.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a sample (push in reward-event order), then evicts one entry if over capacity:
    /// the oldest under `Retention::Recent`; under `Retention::Best` the lowest reward, the
    /// oldest among equals (so the new entry is itself evicted if it is strictly the worst).
    pub fn push(&mut self, entry: BufferEntry) -> Result<(), BufferError> {
        entry.validate()?;
        self.entries.push(entry);
        if self.entries.len() > self.config.size {
            let victim = match self.config.retention {
                Retention::Recent => 0,
                Retention::Best => self.worst_position(),
            };
            self.entries.remove(victim);
        }
        Ok(())
    }

    /// Position of the lowest reward; the first (oldest) one on ties.
    fn worst_position(&self) -> usize {
        let mut worst = 0;
        for (i, e) in self.entries.iter().enumerate() {
            if e.reward < self.entries[worst].reward {
                worst = i;
            }
        }
        worst
    }

    fn log_priorities(&self) -> Vec<f64> {
        let rewards: Vec<f64> = self.entries.iter().map(|e| e.reward).collect();
        priority::log_priorities(&rewards, self.config.temperature)
    }

    /// P_i = exp(r_i/T) / sum_j exp(r_j/T), in entry order; sums to 1 (empty if no entries).
    pub fn priorities(&self) -> Vec<f64> {
        self.log_priorities().into_iter().map(f64::exp).collect()
    }

    /// S_i = (N P_i)^-beta in entry order, N = current length; divided by max S when
    /// `config.normalize_weights` (off by default: the paper's formula as is).
    pub fn importance_weights(&self, beta: f64) -> Vec<f64> {
        priority::importance_weights(&self.log_priorities(), beta, self.config.normalize_weights)
    }

    /// Draws min(k, len) distinct entries by priority, without replacement (a PPO batch should
    /// not count the same old sample twice), each with its weight S_i at `beta`. Returned in
    /// buffer order (oldest first). Consumes exactly `len` uniforms from `rng`.
    pub fn draw(&self, k: usize, beta: f64, rng: &mut ChaCha8Rng) -> Vec<(BufferEntry, f64)> {
        let log_p = self.log_priorities();
        let weights = priority::importance_weights(&log_p, beta, self.config.normalize_weights);
        gumbel_top_k(&log_p, k, rng)
            .into_iter()
            .map(|i| (self.entries[i].clone(), weights[i]))
            .collect()
    }

    /// Old-sample cap for a PPO batch: floor(batch_size * max_old_fraction).
    pub fn old_quota(&self, batch_size: usize) -> usize {
        self.config.old_quota(batch_size)
    }

    /// IS exponent at search progress (see [`BufferConfig::beta`]).
    pub fn beta(&self, progress: f64) -> f64 {
        self.config.beta(progress)
    }
}
