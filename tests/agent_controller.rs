//! Controller construction, sampling, teacher-forced log-probs, validation and checkpoints,
//! on real libtorch.

use fnas::agent::{AgentError, Controller, ControllerConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The MnasNet space: 7 blocks x [op, kernel, se, skip, filters, layers].
fn mnas_sizes() -> Vec<usize> {
    [4, 2, 2, 3, 3, 3].repeat(7)
}

/// One libtorch thread: the tensors are tiny and a second OpenMP thread only spin-waits on a
/// shared 2-core machine.
fn ctl(sizes: &[usize], seed: u64) -> Controller {
    tch::set_num_threads(1);
    Controller::new(sizes, ControllerConfig::default(), seed).unwrap()
}

#[test]
fn same_seed_gives_same_init_bytes_and_samples() {
    let a = ctl(&mnas_sizes(), 7);
    let b = ctl(&mnas_sizes(), 7);
    assert_eq!(a.to_bytes(), b.to_bytes());
    let mut ra = ChaCha8Rng::seed_from_u64(1);
    let mut rb = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..5 {
        assert_eq!(a.sample(&mut ra), b.sample(&mut rb));
    }
    assert_eq!(a.sample_batch(8, &mut ra), b.sample_batch(8, &mut rb));
}

#[test]
fn different_seeds_differ() {
    let a = ctl(&mnas_sizes(), 1);
    let b = ctl(&mnas_sizes(), 2);
    assert_ne!(a.to_bytes(), b.to_bytes());
    // Same sampling RNG, different weights: the log-probs must differ.
    let sa = a.sample_batch(4, &mut ChaCha8Rng::seed_from_u64(3));
    let sb = b.sample_batch(4, &mut ChaCha8Rng::seed_from_u64(3));
    assert_ne!(sa, sb);
    // Same weights, different sampling RNG: the tokens must differ.
    let s1 = a.sample_batch(4, &mut ChaCha8Rng::seed_from_u64(10));
    let s2 = a.sample_batch(4, &mut ChaCha8Rng::seed_from_u64(11));
    assert_ne!(
        s1.iter().map(|s| &s.tokens).collect::<Vec<_>>(),
        s2.iter().map(|s| &s.tokens).collect::<Vec<_>>()
    );
}

#[test]
fn init_values_are_bounded_by_init_scale() {
    let cfg = ControllerConfig {
        init_scale: 0.05,
        ..Default::default()
    };
    let c = Controller::new(&[3, 3], cfg, 0).unwrap();
    // At init every weight is tiny, so every distribution is close to uniform.
    let probs = c.probabilities(&[vec![0, 0]]).unwrap();
    for pos in &probs[0] {
        for &p in pos {
            assert!((p - 1.0 / 3.0).abs() < 0.05, "p = {p}");
        }
    }
}

#[test]
fn sampled_tokens_are_in_range_and_cover_choices() {
    let sizes = mnas_sizes();
    let c = ctl(&sizes, 0);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let samples = c.sample_batch(200, &mut rng);
    let mut seen = vec![vec![false; 4]; sizes.len()];
    for s in &samples {
        assert_eq!(s.tokens.len(), sizes.len());
        assert_eq!(s.log_probs.len(), sizes.len());
        for (p, (&t, &lp)) in s.tokens.iter().zip(&s.log_probs).enumerate() {
            assert!((t as usize) < sizes[p]);
            assert!(lp <= 0.0 && lp.is_finite());
            seen[p][t as usize] = true;
        }
    }
    for (p, &n) in sizes.iter().enumerate() {
        assert!(
            seen[p][..n].iter().all(|&x| x),
            "position {p} never drew some token"
        );
    }
}

#[test]
fn sampling_log_probs_equal_teacher_forced() {
    for sizes in [mnas_sizes(), vec![3; 8], vec![5; 6]] {
        let c = ctl(&sizes, 11);
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let mut samples = c.sample_batch(16, &mut rng);
        samples.push(c.sample(&mut rng));
        let tokens: Vec<Vec<u8>> = samples.iter().map(|s| s.tokens.clone()).collect();
        let tf = c.log_probs(&tokens).unwrap();
        for (s, lp) in samples.iter().zip(&tf) {
            for (a, b) in s.log_probs.iter().zip(lp) {
                assert!((a - b).abs() < 1e-5, "sampled {a} vs teacher-forced {b}");
            }
        }
    }
}

#[test]
fn sample_batch_equals_successive_samples() {
    let c = ctl(&mnas_sizes(), 4);
    let mut r1 = ChaCha8Rng::seed_from_u64(9);
    let mut r2 = ChaCha8Rng::seed_from_u64(9);
    let batch = c.sample_batch(6, &mut r1);
    let singles: Vec<_> = (0..6).map(|_| c.sample(&mut r2)).collect();
    for (b, s) in batch.iter().zip(&singles) {
        assert_eq!(b.tokens, s.tokens);
        for (x, y) in b.log_probs.iter().zip(&s.log_probs) {
            assert!((x - y).abs() < 1e-5);
        }
    }
    // Both consumed the RNG identically.
    assert_eq!(r1, r2);
}

#[test]
fn probabilities_are_distributions_consistent_with_log_probs() {
    let sizes = mnas_sizes();
    let c = ctl(&sizes, 3);
    let s = c.sample_batch(3, &mut ChaCha8Rng::seed_from_u64(0));
    let tokens: Vec<Vec<u8>> = s.iter().map(|x| x.tokens.clone()).collect();
    let probs = c.probabilities(&tokens).unwrap();
    let lps = c.log_probs(&tokens).unwrap();
    for i in 0..tokens.len() {
        assert_eq!(probs[i].len(), sizes.len());
        for p in 0..sizes.len() {
            assert_eq!(probs[i][p].len(), sizes[p]);
            let total: f32 = probs[i][p].iter().sum();
            assert!((total - 1.0).abs() < 1e-5);
            let chosen = probs[i][p][tokens[i][p] as usize];
            assert!((chosen.ln() - lps[i][p]).abs() < 1e-5);
        }
    }
}

#[test]
fn bad_token_vectors_are_errors() {
    let c = ctl(&[4, 2, 3], 0);
    assert!(matches!(
        c.log_probs(&[vec![0, 1]]),
        Err(AgentError::TokenLength {
            index: 0,
            expected: 3,
            found: 2
        })
    ));
    assert!(matches!(
        c.log_probs(&[vec![0, 1, 2], vec![3, 2, 0]]),
        Err(AgentError::TokenRange {
            index: 1,
            position: 1,
            token: 2,
            choices: 2
        })
    ));
    assert!(c.probabilities(&[vec![0, 0, 3]]).is_err());
    assert!(c.log_probs(&[]).unwrap().is_empty());
}

#[test]
fn bad_sizes_and_configs_are_errors() {
    let cfg = ControllerConfig::default();
    for sizes in [vec![], vec![3, 0], vec![257]] {
        assert!(matches!(
            Controller::new(&sizes, cfg.clone(), 0),
            Err(AgentError::DecisionSizes { .. })
        ));
    }
    assert!(Controller::new(&[256, 1], cfg.clone(), 0).is_ok());
    let bad = [
        ControllerConfig {
            hidden: 0,
            ..cfg.clone()
        },
        ControllerConfig {
            lr: -1.0,
            ..cfg.clone()
        },
        ControllerConfig {
            clip: f64::NAN,
            ..cfg.clone()
        },
        ControllerConfig {
            epochs: 0,
            ..cfg.clone()
        },
        ControllerConfig {
            adam_beta2: 1.0,
            ..cfg.clone()
        },
        ControllerConfig {
            max_grad_norm: 0.0,
            ..cfg.clone()
        },
    ];
    for b in bad {
        assert!(matches!(
            Controller::new(&[2, 2], b, 0),
            Err(AgentError::Config { .. })
        ));
    }
}

#[test]
fn checkpoint_round_trip_is_byte_identical_and_samples_identically() {
    let sizes = mnas_sizes();
    let cfg = ControllerConfig {
        hidden: 32,
        ..Default::default()
    };
    tch::set_num_threads(1);
    let a = Controller::new(&sizes, cfg.clone(), 21).unwrap();
    let bytes = a.to_bytes();
    let b = Controller::from_bytes(&bytes).unwrap();
    assert_eq!(b.to_bytes(), bytes);
    assert_eq!(b.config(), &cfg);
    assert_eq!(b.decision_sizes(), sizes.as_slice());
    let sa = a.sample_batch(10, &mut ChaCha8Rng::seed_from_u64(2));
    let sb = b.sample_batch(10, &mut ChaCha8Rng::seed_from_u64(2));
    assert_eq!(sa, sb);
    let c = Controller::from_bytes_checked(&bytes, &sizes).unwrap();
    assert_eq!(c.to_bytes(), bytes);
}

#[test]
fn checkpoint_rejects_corruption_and_other_spaces() {
    let a = ctl(&[3, 3, 3], 0);
    let bytes = a.to_bytes();
    assert!(matches!(
        Controller::from_bytes_checked(&bytes, &[3, 3]),
        Err(AgentError::DecisionSizesMismatch { .. })
    ));
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    assert!(matches!(
        Controller::from_bytes(&flipped),
        Err(AgentError::CheckpointCorrupt { .. })
    ));
    assert!(matches!(
        Controller::from_bytes(&bytes[..bytes.len() - 1]),
        Err(AgentError::CheckpointCorrupt { .. })
    ));
    assert!(Controller::from_bytes(&[]).is_err());
    assert!(Controller::from_bytes(b"not a checkpoint at all, definitely not one").is_err());
}
