//! Mini-batch index sampling from a seed: epoch-wise shuffles (every sample once per
//! epoch) drawn from a ChaCha8 stream, never from tch's global RNG, so a (seed, dataset)
//! pair yields the same batches in any thread.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Stream of the batch RNG; the init RNG uses per-variable streams keyed by name hashes.
const BATCH_STREAM: u64 = 0x0BA7_C4E5;

/// Yields batches of sample indices, reshuffling at each epoch boundary.
pub struct EpochSampler {
    rng: ChaCha8Rng,
    order: Vec<i64>,
    pos: usize,
    batch: usize,
}

impl EpochSampler {
    /// `batch` is clamped to `1..=n`; `n` must be positive (the dataset guarantees it).
    pub fn new(n: usize, batch: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(BATCH_STREAM);
        let mut order: Vec<i64> = (0..n as i64).collect();
        order.shuffle(&mut rng);
        EpochSampler {
            rng,
            order,
            pos: 0,
            batch: batch.clamp(1, n.max(1)),
        }
    }

    /// The next batch. A batch never straddles epochs: the tail shorter than a batch is
    /// dropped (so every batch has the same size and BN statistics are comparable).
    pub fn next_batch(&mut self) -> &[i64] {
        if self.pos + self.batch > self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.pos = 0;
        }
        let start = self.pos;
        self.pos += self.batch;
        &self.order[start..self.pos]
    }
}
