//! PPO update of the controller on real libtorch: learning a toy reward, clipping, sample
//! weights, bit-exact resume through a checkpoint, and input validation.

use fnas::agent::{
    AgentError, Controller, ControllerConfig, EmaBaseline, PpoSample, Sampled, UpdateStats,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn mnas_sizes() -> Vec<usize> {
    [4, 2, 2, 3, 3, 3].repeat(7)
}

/// Builds a controller with libtorch on one thread: these tensors are tiny, and on a shared
/// 2-core machine OpenMP's second thread only adds spin-waiting (10x slower measured).
fn ctl(sizes: &[usize], cfg: ControllerConfig, seed: u64) -> Controller {
    tch::set_num_threads(1);
    Controller::new(sizes, cfg, seed).unwrap()
}

/// Toy reward: fraction of positions that chose token 0.
fn zeros_reward(tokens: &[u8]) -> f64 {
    tokens.iter().filter(|&&t| t == 0).count() as f64 / tokens.len() as f64
}

fn to_batch(samples: &[Sampled], advantages: &[f64]) -> Vec<PpoSample> {
    samples
        .iter()
        .zip(advantages)
        .map(|(s, &a)| PpoSample {
            tokens: s.tokens.clone(),
            old_log_probs: s.log_probs.clone(),
            advantage: a,
            weight: 1.0,
        })
        .collect()
}

/// A batch sampled from `c` with arbitrary fixed advantages.
fn some_batch(c: &Controller, n: usize, seed: u64) -> Vec<PpoSample> {
    let s = c.sample_batch(n, &mut ChaCha8Rng::seed_from_u64(seed));
    let adv: Vec<f64> = (0..n)
        .map(|i| (i as f64 - n as f64 / 2.0) / n as f64)
        .collect();
    to_batch(&s, &adv)
}

fn seq_log_prob(c: &Controller, tokens: &[u8]) -> f64 {
    c.log_probs(&[tokens.to_vec()]).unwrap()[0]
        .iter()
        .map(|&x| x as f64)
        .sum()
}

#[test]
fn ppo_with_ema_baseline_learns_a_toy_reward() {
    let cfg = ControllerConfig {
        lr: 5e-3,
        epochs: 4,
        ..Default::default()
    };
    let mut c = ctl(&mnas_sizes(), cfg, 0);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut baseline = EmaBaseline::default();
    let mut means = Vec::new();
    for _ in 0..30 {
        let samples = c.sample_batch(20, &mut rng);
        let rewards: Vec<f64> = samples.iter().map(|s| zeros_reward(&s.tokens)).collect();
        means.push(rewards.iter().sum::<f64>() / rewards.len() as f64);
        let adv = baseline.advantages(&rewards);
        let stats = c.update(&to_batch(&samples, &adv)).unwrap();
        assert!(stats.loss.is_finite() && stats.entropy > 0.0);
    }
    let first = means[0];
    let last: f64 = means[25..].iter().sum::<f64>() / 5.0;
    println!("mean reward: first batch {first:.3}, last 5 batches {last:.3}");
    // Near-uniform initial policy: E[reward] = mean(1/choices) = 0.375.
    assert!(first < 0.45, "first {first}");
    assert!(last > first + 0.2, "first {first}, last {last}");
}

#[test]
fn an_update_raises_the_probability_of_positive_advantage_samples() {
    let mut c = ctl(&mnas_sizes(), ControllerConfig::default(), 1);
    let s = c.sample(&mut ChaCha8Rng::seed_from_u64(1));
    let before = seq_log_prob(&c, &s.tokens);
    let stats = c
        .update(&to_batch(std::slice::from_ref(&s), &[1.0]))
        .unwrap();
    let after = seq_log_prob(&c, &s.tokens);
    assert!(after > before, "before {before}, after {after}");
    assert_eq!(c.optimizer_steps(), 10);
    assert!(stats.grad_norm > 0.0 && stats.approx_kl >= 0.0);
    assert_eq!(stats.mean_advantage, 1.0);
}

fn clip_cfg(lr: f64, epochs: usize, clip: f64) -> ControllerConfig {
    ControllerConfig {
        lr,
        epochs,
        clip,
        entropy_coef: 0.0,
        max_grad_norm: f64::INFINITY,
        ..Default::default()
    }
}

/// Updates a fresh controller once on one sample with a large positive advantage; returns the
/// ratio exp(sum logp_new - sum logp_old) afterwards and the update's stats.
fn update_one(cfg: ControllerConfig) -> (f64, UpdateStats) {
    let mut c = ctl(&mnas_sizes(), cfg, 2);
    let s = c.sample(&mut ChaCha8Rng::seed_from_u64(2));
    let stats = c
        .update(&to_batch(std::slice::from_ref(&s), &[10.0]))
        .unwrap();
    let ratio = (seq_log_prob(&c, &s.tokens) - s.total_log_prob()).exp();
    (ratio, stats)
}

#[test]
fn a_ratio_beyond_the_clip_range_gives_no_gradient() {
    // lr 1e-3: the first Adam step already pushes the ratio past 1.2.
    let (r1, one) = update_one(clip_cfg(1e-3, 1, 0.2));
    assert!(r1 > 1.2, "first step must leave the clip range, ratio {r1}");
    let (_, two) = update_one(clip_cfg(1e-3, 2, 0.2));
    // Epoch 1 is identical to the one-epoch update; epoch 2 is fully clipped: zero gradient.
    assert_eq!(two.clip_fraction, 0.5);
    assert!(one.grad_norm > 0.0);
    assert!((two.grad_norm - one.grad_norm / 2.0).abs() <= 1e-12 * one.grad_norm);
    // Without clipping the second epoch still has a gradient.
    let (_, free) = update_one(clip_cfg(1e-3, 2, 1e6));
    assert_eq!(free.clip_fraction, 0.0);
    assert!(free.grad_norm > one.grad_norm / 2.0 * 1.01);
}

#[test]
fn clipping_stops_the_ratio_from_running_away() {
    let (clipped, c_stats) = update_one(clip_cfg(5e-5, 40, 0.2));
    let (unclipped, u_stats) = update_one(clip_cfg(5e-5, 40, 1e6));
    println!(
        "after 40 epochs: ratio clipped {clipped:.3} (clip fraction {:.3}), unclipped {unclipped:.3}",
        c_stats.clip_fraction
    );
    assert!(
        c_stats.clip_fraction > 0.0,
        "later epochs must see a clipped ratio"
    );
    assert_eq!(u_stats.clip_fraction, 0.0);
    assert!(clipped > 1.2);
    // Past 1.2 the clipped objective has zero gradient and only Adam's momentum carries the
    // ratio a little further; the unclipped objective keeps pushing.
    assert!(
        unclipped > 1.3 * clipped,
        "clipped {clipped}, unclipped {unclipped}"
    );
}

#[test]
fn zero_weight_samples_have_no_effect_and_weights_are_relative() {
    let sizes = mnas_sizes();
    let base = ctl(&sizes, ControllerConfig::default(), 3);
    let bytes = base.to_bytes();
    let batch = some_batch(&base, 6, 3);

    let mut plain = Controller::from_bytes(&bytes).unwrap();
    let s_plain = plain.update(&batch).unwrap();

    // Same batch plus zero-weight samples with extreme advantages, anywhere in the batch.
    let mut extra = some_batch(&base, 3, 99);
    for e in &mut extra {
        e.weight = 0.0;
        e.advantage = 1e6;
    }
    let mut padded = vec![extra[0].clone()];
    padded.extend(batch[..3].iter().cloned());
    padded.push(extra[1].clone());
    padded.extend(batch[3..].iter().cloned());
    padded.push(extra[2].clone());
    let mut with_zeros = Controller::from_bytes(&bytes).unwrap();
    let s_zeros = with_zeros.update(&padded).unwrap();
    assert_eq!(plain.to_bytes(), with_zeros.to_bytes());
    assert_eq!(s_plain, s_zeros);

    // Scaling every weight by the same factor changes nothing (self-normalised weights)...
    let doubled: Vec<PpoSample> = batch
        .iter()
        .map(|s| PpoSample {
            weight: 2.0,
            ..s.clone()
        })
        .collect();
    let mut scaled = Controller::from_bytes(&bytes).unwrap();
    scaled.update(&doubled).unwrap();
    assert_eq!(plain.to_bytes(), scaled.to_bytes());

    // ...but unequal weights do change the update (the weights are really used).
    let mut skewed_batch = batch.clone();
    skewed_batch[0].weight = 5.0;
    let mut skewed = Controller::from_bytes(&bytes).unwrap();
    skewed.update(&skewed_batch).unwrap();
    assert_ne!(plain.to_bytes(), skewed.to_bytes());
}

#[test]
fn resume_from_checkpoint_continues_bit_for_bit() {
    let sizes = mnas_sizes();
    let mut a = ctl(&sizes, ControllerConfig::default(), 4);
    let b1 = some_batch(&a, 8, 40);
    a.update(&b1).unwrap();
    let saved = a.to_bytes();
    let mut b = Controller::from_bytes_checked(&saved, &sizes).unwrap();
    assert_eq!(b.to_bytes(), saved);
    assert_eq!(b.optimizer_steps(), a.optimizer_steps());

    let b2 = some_batch(&a, 8, 41);
    let sa = a.update(&b2).unwrap();
    let sb = b.update(&b2).unwrap();
    assert_eq!(sa, sb);
    assert_eq!(a.to_bytes(), b.to_bytes());
    let mut ra = ChaCha8Rng::seed_from_u64(5);
    let mut rb = ChaCha8Rng::seed_from_u64(5);
    assert_eq!(a.sample_batch(10, &mut ra), b.sample_batch(10, &mut rb));
}

#[test]
fn bad_batches_are_errors_and_leave_the_controller_unchanged() {
    let mut c = ctl(&[3, 2, 4], ControllerConfig::default(), 5);
    let before = c.to_bytes();
    let good = some_batch(&c, 2, 5);
    let with = |f: &dyn Fn(&mut PpoSample)| {
        let mut b = good.clone();
        f(&mut b[1]);
        b
    };
    let cases: Vec<(Vec<PpoSample>, &str)> = vec![
        (vec![], "empty"),
        (with(&|s| s.tokens.push(0)), "long tokens"),
        (with(&|s| s.tokens[2] = 4), "token out of range"),
        (
            with(&|s| s.old_log_probs.pop().map(|_| ()).unwrap()),
            "short log-probs",
        ),
        (with(&|s| s.old_log_probs[0] = f32::NAN), "NaN log-prob"),
        (with(&|s| s.advantage = f64::INFINITY), "inf advantage"),
        (with(&|s| s.weight = -1.0), "negative weight"),
        (with(&|s| s.weight = f64::NAN), "NaN weight"),
    ];
    for (batch, what) in &cases {
        assert!(c.update(batch).is_err(), "{what} must be rejected");
    }
    let all_zero: Vec<PpoSample> = good
        .iter()
        .map(|s| PpoSample {
            weight: 0.0,
            ..s.clone()
        })
        .collect();
    assert!(matches!(c.update(&all_zero), Err(AgentError::EmptyBatch)));
    assert!(matches!(
        c.update(&with(&|s| s.tokens[2] = 4)),
        Err(AgentError::TokenRange {
            index: 1,
            position: 2,
            token: 4,
            choices: 4
        })
    ));
    assert_eq!(c.to_bytes(), before);
    assert_eq!(c.optimizer_steps(), 0);
}
