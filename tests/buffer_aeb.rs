//! AEB core: priorities and IS weights on a hand-computed example, the beta schedule, the
//! old-sample cap, reproducible prioritized draws, retention and numerical stability.

use fnas::buffer::{BufferConfig, BufferEntry, BufferError, ExperienceBuffer, Retention};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn entry(index: u64, reward: f64) -> BufferEntry {
    BufferEntry {
        experiment: 7,
        index,
        tokens: vec![1, 2, 3],
        log_probs: vec![-0.5, -1.0, -1.5],
        reward,
    }
}

fn buffer_with(config: BufferConfig, rewards: &[f64]) -> ExperienceBuffer {
    let mut b = ExperienceBuffer::new(config).unwrap();
    for (i, &r) in rewards.iter().enumerate() {
        b.push(entry(i as u64, r)).unwrap();
    }
    b
}

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < tol, "{got:?} vs {want:?}");
    }
}

/// rewards [0.5, 0.7, 0.9], T = 1: e^0.5 = 1.6487212707, e^0.7 = 2.0137527075,
/// e^0.9 = 2.4596031112, sum 6.1220770894.
const E: [f64; 3] = [1.6487212707, 2.0137527075, 2.4596031112];
const SUM: f64 = 6.1220770894;

#[test]
fn priorities_match_hand_computed_softmax() {
    let b = buffer_with(BufferConfig::default(), &[0.5, 0.7, 0.9]);
    let want = [E[0] / SUM, E[1] / SUM, E[2] / SUM]; // 0.26931, 0.32893, 0.40176
    assert_close(&b.priorities(), &want, 1e-9);
    assert_close(&b.priorities(), &[0.2693075, 0.3289329, 0.4017596], 1e-7);
}

#[test]
fn importance_weights_match_hand_computed_formula() {
    let b = buffer_with(BufferConfig::default(), &[0.5, 0.7, 0.9]);
    // beta = 1: S_i = 1 / (3 P_i) = SUM / (3 e^r_i).
    let s1 = [SUM / (3.0 * E[0]), SUM / (3.0 * E[1]), SUM / (3.0 * E[2])];
    assert_close(&b.importance_weights(1.0), &s1, 1e-9);
    assert_close(
        &b.importance_weights(1.0),
        &[1.2377425, 1.0133778, 0.8296836],
        1e-7,
    );
    // beta = 0.5: square roots of the above.
    assert_close(
        &b.importance_weights(0.5),
        &[1.1125388, 1.0066667, 0.9108697],
        1e-7,
    );
    // beta = 0: no correction.
    assert_close(&b.importance_weights(0.0), &[1.0, 1.0, 1.0], 1e-15);
}

#[test]
fn normalized_weights_divide_by_the_maximum() {
    let config = BufferConfig {
        normalize_weights: true,
        ..BufferConfig::default()
    };
    let b = buffer_with(config, &[0.5, 0.7, 0.9]);
    // beta = 1: S_i / S_max = e^(0.5 - r_i) = [1, e^-0.2, e^-0.4].
    assert_close(
        &b.importance_weights(1.0),
        &[1.0, 0.8187308, 0.6703200],
        1e-7,
    );
}

#[test]
fn beta_schedule_endpoints_midpoint_and_clamping() {
    let c = BufferConfig::default();
    assert_eq!(c.beta(0.0), 0.0);
    assert_eq!(c.beta(1.0), 1.0);
    assert!((c.beta(0.25) - 0.25).abs() < 1e-15);
    assert_eq!(c.beta(-3.0), 0.0);
    assert_eq!(c.beta(7.5), 1.0);
    assert_eq!(c.beta(f64::INFINITY), 1.0);
    assert_eq!(c.beta(f64::NAN), 0.0);
    let c = BufferConfig {
        beta_start: 0.4,
        beta_end: 0.8,
        ..BufferConfig::default()
    };
    assert!((c.beta(0.5) - 0.6).abs() < 1e-15);
    let b = ExperienceBuffer::new(c).unwrap();
    assert_eq!(b.beta(0.0), 0.4);
    assert_eq!(b.beta(2.0), 0.8);
}

#[test]
fn old_quota_caps_old_samples_at_half_the_batch() {
    let b = ExperienceBuffer::new(BufferConfig::default()).unwrap();
    for (batch, want) in [
        (0, 0),
        (1, 0),
        (2, 1),
        (3, 1),
        (8, 4),
        (10, 5),
        (11, 5),
        (100, 50),
    ] {
        assert_eq!(b.old_quota(batch), want, "batch {batch}");
    }
    let c = BufferConfig {
        max_old_fraction: 0.29,
        ..BufferConfig::default()
    };
    assert_eq!(c.old_quota(100), 29, "binary rounding of 100 * 0.29");
    let none = BufferConfig {
        max_old_fraction: 0.0,
        ..BufferConfig::default()
    };
    assert_eq!(none.old_quota(10), 0);
    let all = BufferConfig {
        max_old_fraction: 1.0,
        ..BufferConfig::default()
    };
    assert_eq!(all.old_quota(10), 10);
}

#[test]
fn draw_is_deterministic_distinct_and_in_buffer_order() {
    let b = buffer_with(BufferConfig::default(), &[0.1, 0.9, 0.4, 0.7, 0.2, 0.8]);
    let mut r1 = ChaCha8Rng::seed_from_u64(42);
    let mut r2 = ChaCha8Rng::seed_from_u64(42);
    let mut any_difference = false;
    let mut r3 = ChaCha8Rng::seed_from_u64(43);
    for _ in 0..20 {
        let a = b.draw(3, 0.5, &mut r1);
        assert_eq!(a, b.draw(3, 0.5, &mut r2));
        assert_eq!(a.len(), 3);
        let idx: Vec<u64> = a.iter().map(|(e, _)| e.index).collect();
        assert!(idx.windows(2).all(|w| w[0] < w[1]), "{idx:?}");
        let weights = b.importance_weights(0.5);
        for (e, w) in &a {
            assert_eq!(*w, weights[e.index as usize]);
        }
        any_difference |= b.draw(3, 0.5, &mut r3) != a;
    }
    assert!(any_difference, "another seed should give other draws");
    // k larger than the buffer returns every entry once.
    let all = b.draw(50, 1.0, &mut r1);
    assert_eq!(all.len(), 6);
    // An empty buffer draws nothing.
    let empty = ExperienceBuffer::new(BufferConfig::default()).unwrap();
    assert!(empty.draw(3, 1.0, &mut r1).is_empty());
}

#[test]
fn higher_rewards_are_drawn_more_often_in_proportion_to_priority() {
    let b = buffer_with(BufferConfig::default(), &[0.0, 1.0, 2.0]);
    let p = b.priorities(); // 0.0900, 0.2447, 0.6652
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let n = 20_000;
    let mut counts = [0usize; 3];
    for _ in 0..n {
        let d = b.draw(1, 1.0, &mut rng);
        counts[d[0].0.index as usize] += 1;
    }
    assert!(counts[0] < counts[1] && counts[1] < counts[2], "{counts:?}");
    for i in 0..3 {
        let freq = counts[i] as f64 / n as f64;
        assert!((freq - p[i]).abs() < 0.015, "entry {i}: {freq} vs {}", p[i]);
    }
    // Without replacement, k = 2: the lowest-priority entry is the one most often left out.
    let mut left_out = [0usize; 3];
    for _ in 0..5_000 {
        let d = b.draw(2, 1.0, &mut rng);
        let missing = (0..3u64)
            .find(|i| d.iter().all(|(e, _)| e.index != *i))
            .unwrap();
        left_out[missing as usize] += 1;
    }
    assert!(
        left_out[0] > left_out[1] && left_out[1] > left_out[2],
        "{left_out:?}"
    );
}

#[test]
fn recent_retention_keeps_the_last_n_pushes() {
    let rewards: Vec<f64> = (0..15)
        .map(|i| if i % 2 == 0 { 90.0 } else { 10.0 })
        .collect();
    let b = buffer_with(BufferConfig::default(), &rewards);
    assert_eq!(b.len(), 10);
    let idx: Vec<u64> = b.entries().iter().map(|e| e.index).collect();
    assert_eq!(idx, (5..15).collect::<Vec<u64>>());
}

#[test]
fn best_retention_keeps_the_n_highest_rewards_oldest_evicted_on_ties() {
    let config = BufferConfig {
        size: 3,
        retention: Retention::Best,
        ..BufferConfig::default()
    };
    let b = buffer_with(config, &[0.5, 0.9, 0.1, 0.7, 0.5, 0.8, 0.7]);
    let idx: Vec<u64> = b.entries().iter().map(|e| e.index).collect();
    // Rewards by index: 1 -> 0.9, 5 -> 0.8, and the later 0.7 (6) evicts the earlier (3).
    assert_eq!(idx, vec![1, 5, 6]);
}

#[test]
fn rebuilding_from_the_same_pushes_gives_the_same_buffer_and_draws() {
    let rewards = [
        88.1, 91.3, 90.2, 89.9, 92.4, 87.0, 91.0, 90.5, 88.8, 91.7, 92.0, 86.5,
    ];
    let live = buffer_with(BufferConfig::default(), &rewards);
    let replayed = buffer_with(BufferConfig::default(), &rewards);
    assert_eq!(live, replayed);
    let mut r1 = ChaCha8Rng::seed_from_u64(9);
    let mut r2 = ChaCha8Rng::seed_from_u64(9);
    assert_eq!(live.draw(4, 0.3, &mut r1), replayed.draw(4, 0.3, &mut r2));
}

#[test]
fn large_rewards_give_finite_priorities_and_weights() {
    let rewards = [85.2, 90.1, 93.7, 91.4, 88.0, 94.2, 0.0];
    let b = buffer_with(BufferConfig::default(), &rewards);
    let p = b.priorities();
    assert!(p.iter().all(|x| x.is_finite() && *x >= 0.0), "{p:?}");
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    for beta in [0.0, 0.5, 1.0] {
        let w = b.importance_weights(beta);
        assert!(
            w.iter().all(|x| x.is_finite() && *x > 0.0),
            "beta {beta}: {w:?}"
        );
    }
    // The reward-0 entry has P ~ e^-94 yet its weight stays finite (log-space arithmetic).
    assert!(b.importance_weights(1.0)[6] > 1e39);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let d = b.draw(3, 1.0, &mut rng);
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|(_, w)| w.is_finite()));
    // Even a reward gap far beyond f64's exp range stays finite (saturates).
    let extreme = buffer_with(BufferConfig::default(), &[0.0, 5000.0]);
    assert!(extreme.priorities().iter().all(|x| x.is_finite()));
    assert!(extreme
        .importance_weights(1.0)
        .iter()
        .all(|x| x.is_finite()));
    assert_eq!(extreme.draw(1, 1.0, &mut rng)[0].0.index, 1);
}

#[test]
fn bad_configs_and_entries_are_rejected_with_the_field_named() {
    let cases = [
        (
            "size",
            BufferConfig {
                size: 0,
                ..BufferConfig::default()
            },
        ),
        (
            "temperature",
            BufferConfig {
                temperature: 0.0,
                ..BufferConfig::default()
            },
        ),
        (
            "max_old_fraction",
            BufferConfig {
                max_old_fraction: 1.5,
                ..BufferConfig::default()
            },
        ),
        (
            "beta_end",
            BufferConfig {
                beta_end: f64::NAN,
                ..BufferConfig::default()
            },
        ),
    ];
    for (field, config) in cases {
        match ExperienceBuffer::new(config) {
            Err(BufferError::Config { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let mut b = ExperienceBuffer::new(BufferConfig::default()).unwrap();
    let err = b.push(entry(3, f64::NAN)).unwrap_err().to_string();
    assert!(err.contains("index 3") && err.contains("reward"), "{err}");
    let mut short = entry(4, 0.5);
    short.log_probs.pop();
    let err = b.push(short).unwrap_err().to_string();
    assert!(err.contains("2 log-probs for 3 tokens"), "{err}");
    assert!(b.is_empty());
}

#[test]
fn config_defaults_and_serde() {
    let c: BufferConfig = toml::from_str("").unwrap();
    assert_eq!(c, BufferConfig::default());
    assert_eq!(
        (
            c.size,
            c.temperature,
            c.max_old_fraction,
            c.beta_start,
            c.beta_end
        ),
        (10, 1.0, 0.5, 0.0, 1.0)
    );
    assert_eq!(c.retention, Retention::Recent);
    assert!(!c.normalize_weights);
    let c: BufferConfig = toml::from_str("retention = \"best\"\ntemperature = 5.0").unwrap();
    assert_eq!((c.retention, c.temperature), (Retention::Best, 5.0));
    assert!(toml::from_str::<BufferConfig>("sise = 3").is_err());
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<BufferConfig>(&json).unwrap(), c);
}
