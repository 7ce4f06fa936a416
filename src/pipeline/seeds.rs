//! Per-sample seeds derived from the experiment seed and the sample index, so sampling and
//! training of sample i do not depend on thread timing or on whether the search was resumed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Stream tags keep the sampling and training seeds of one sample independent.
const SAMPLING: u64 = 0x7361_6d70_6c65;
const TRAINING: u64 = 0x0074_7261_696e;

/// SplitMix64 finaliser: a cheap, well-mixed function of its input.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn derive(seed: u64, stream: u64, index: u64) -> u64 {
    mix(mix(mix(seed) ^ stream) ^ index)
}

/// The generator that draws sample `index`'s architecture from the policy; `attempt` > 0
/// when a proposal for that position was dropped (UAC's fake quota was full) and redrawn.
pub fn sampling_rng(seed: u64, index: u64, attempt: u64) -> ChaCha8Rng {
    let base = derive(seed, SAMPLING, index);
    ChaCha8Rng::seed_from_u64(if attempt == 0 {
        base
    } else {
        mix(base ^ mix(attempt))
    })
}

/// The seed of sample `index`'s network initialisation and mini-batch order.
pub fn training_seed(seed: u64, index: u64) -> u64 {
    derive(seed, TRAINING, index)
}
