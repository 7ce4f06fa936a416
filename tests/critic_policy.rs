//! The critic's decision rules and metrics by hand (Spearman, quantile, sigma policies, the
//! confidence test, the 50% fake rule), config validation, and bad inputs turned into errors.

mod critic_support;

use critic_support::one_thread;
use fnas::critic::{
    average_ranks, fake_allowed, is_confident, quantile, spearman, BatchFill, Critic, CriticConfig,
    CriticError, Decision, SigmaPolicy,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn spearman_by_hand() {
    assert!(close(
        spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]),
        1.0
    ));
    assert!(close(
        spearman(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]),
        -1.0
    ));
    // Monotone but not linear: ranks only.
    assert!(close(spearman(&[1.0, 2.0, 3.0], &[1.0, 100.0, 101.0]), 1.0));
    // No ties: 1 - 6 sum d^2 / (n (n^2 - 1)) = 1 - 6*4/120 = 0.8.
    assert!(close(
        spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 1.0, 4.0, 3.0, 5.0]),
        0.8
    ));
    // Ties get average ranks: a -> [1, 2.5, 2.5, 4]; Pearson of ranks = 4.5 / sqrt(4.5 * 5).
    assert!(close(
        spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]),
        4.5 / (4.5f64 * 5.0).sqrt()
    ));
    assert_eq!(
        average_ranks(&[3.0, 1.0, 3.0, 2.0]),
        vec![3.5, 1.0, 3.5, 2.0]
    );
    // Undefined cases are 0, never NaN.
    assert_eq!(spearman(&[1.0], &[2.0]), 0.0);
    assert_eq!(spearman(&[], &[]), 0.0);
    assert_eq!(spearman(&[1.0, 2.0], &[1.0]), 0.0);
    assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), 0.0);
}

#[test]
fn quantile_by_hand() {
    let v = [4.0, 1.0, 3.0, 2.0];
    assert_eq!(quantile(&v, 0.0), Some(1.0));
    assert_eq!(quantile(&v, 1.0), Some(4.0));
    assert_eq!(quantile(&v, 0.5), Some(2.5));
    assert_eq!(quantile(&v, 0.25), Some(1.75));
    assert_eq!(quantile(&[7.0], 0.9), Some(7.0));
    assert_eq!(quantile(&[1.0, f64::NAN, 3.0], 0.5), Some(2.0));
    assert_eq!(quantile(&[], 0.5), None);
    assert_eq!(quantile(&[f64::NAN], 0.5), None);
    assert_eq!(quantile(&v, 1.5), None);
    assert_eq!(quantile(&v, -0.1), None);
}

#[test]
fn sigma_policies() {
    assert_eq!(SigmaPolicy::Fixed(0.02).sigma(&[]), 0.02);
    assert_eq!(SigmaPolicy::Fixed(0.02).sigma(&[9.0; 100]), 0.02);
    let q = SigmaPolicy::Quantile { q: 0.5, window: 4 };
    assert!(q.validate().is_ok());
    // Too few honest errors: nothing may be faked.
    assert_eq!(q.sigma(&[]), 0.0);
    assert_eq!(q.sigma(&[1.0, 2.0, 3.0]), 0.0);
    // Only the last `window` errors count.
    assert_eq!(q.sigma(&[100.0, 1.0, 2.0, 3.0, 4.0]), 2.5);
    let q90 = SigmaPolicy::Quantile { q: 0.9, window: 3 };
    assert!(close(q90.sigma(&[0.0, 1.0, 2.0]), 1.8));

    for bad in [
        SigmaPolicy::Fixed(-0.1),
        SigmaPolicy::Fixed(f64::NAN),
        SigmaPolicy::Fixed(f64::INFINITY),
        SigmaPolicy::Quantile { q: 1.5, window: 4 },
        SigmaPolicy::Quantile { q: 0.5, window: 0 },
    ] {
        assert!(
            matches!(bad.validate(), Err(CriticError::SigmaPolicy { .. })),
            "{bad:?}"
        );
        assert_eq!(bad.sigma(&[1.0; 10]), 0.0, "{bad:?}");
    }
    let err = SigmaPolicy::Quantile { q: 0.5, window: 0 }
        .validate()
        .unwrap_err();
    assert!(err.to_string().contains("window"), "{err}");

    // As it appears in a JSON config.
    let json = r#"{"quantile":{"q":0.5,"window":64}}"#;
    let parsed: SigmaPolicy = serde_json::from_str(json).unwrap();
    assert_eq!(parsed, SigmaPolicy::Quantile { q: 0.5, window: 64 });
    assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
    let fixed: SigmaPolicy = serde_json::from_str(r#"{"fixed":0.01}"#).unwrap();
    assert_eq!(fixed, SigmaPolicy::Fixed(0.01));
}

#[test]
fn confidence_threshold() {
    assert!(is_confident(0.01, 0.02));
    assert!(!is_confident(0.02, 0.02));
    assert!(!is_confident(0.03, 0.02));
    assert!(!is_confident(0.0, 0.0), "sigma 0 never fakes");
    assert!(!is_confident(f64::NAN, 1.0));
}

#[test]
fn at_most_half_of_a_batch_is_fake() {
    for (batch, max_fake) in [(8, 4), (7, 3), (2, 1), (1, 0), (0, 0)] {
        let allowed = (0..=batch).filter(|&f| fake_allowed(f, batch)).count();
        assert_eq!(allowed, max_fake, "batch {batch}");
        assert!(!fake_allowed(max_fake, batch));
    }
}

#[test]
fn batch_filling_caps_fakes_and_terminates() {
    // A critic confident on 3 of every 4 proposals, sigma 0.1.
    let mut fill = BatchFill::new(8, 100);
    let mut offers = 0;
    let mut decisions = Vec::new();
    while !fill.is_full() {
        let u = if offers % 4 == 3 { 0.5 } else { 0.01 };
        decisions.push(fill.offer(u, 0.1));
        offers += 1;
        assert!(offers < 1000, "filling does not terminate");
    }
    assert_eq!((fill.fake, fill.real), (4, 4));
    let count = |d| decisions.iter().filter(|&&x| x == d).count();
    assert_eq!(count(Decision::Fake), 4);
    assert_eq!(count(Decision::Real), 4);
    assert_eq!(count(Decision::Resample), fill.resampled);
    // The first four confident proposals became fakes, later confident ones were resampled.
    assert_eq!(
        &decisions[..5],
        &[
            Decision::Fake,
            Decision::Fake,
            Decision::Fake,
            Decision::Real,
            Decision::Fake
        ]
    );
    assert_eq!(
        fill.offer(0.5, 0.1),
        Decision::Resample,
        "a full batch takes nothing"
    );
    assert_eq!(fill.real, 4);

    // Confident on everything: after max_resamples drops the rest is trained, so it ends.
    let mut fill = BatchFill::new(8, 5);
    let mut offers = 0;
    while !fill.is_full() {
        fill.offer(0.0, 1.0);
        offers += 1;
    }
    assert_eq!((fill.fake, fill.real, fill.resampled), (4, 4, 5));
    assert_eq!(offers, 8 + 5);

    // sigma 0: never fake, every proposal trained.
    let mut fill = BatchFill::new(3, 5);
    for _ in 0..3 {
        assert_eq!(fill.offer(0.0, 0.0), Decision::Real);
    }
    assert!(fill.is_full());
}

#[test]
fn config_validation_names_the_field() {
    assert!(CriticConfig::default().validate().is_ok());
    let cases: Vec<(&str, CriticConfig)> = vec![
        (
            "hidden",
            CriticConfig {
                hidden: 0,
                ..Default::default()
            },
        ),
        (
            "layers",
            CriticConfig {
                layers: 0,
                ..Default::default()
            },
        ),
        (
            "lr",
            CriticConfig {
                lr: f64::NAN,
                ..Default::default()
            },
        ),
        (
            "lr",
            CriticConfig {
                lr: 0.0,
                ..Default::default()
            },
        ),
        (
            "epochs",
            CriticConfig {
                epochs: 0,
                ..Default::default()
            },
        ),
        (
            "folds",
            CriticConfig {
                folds: 1,
                ..Default::default()
            },
        ),
        (
            "weight_decay",
            CriticConfig {
                weight_decay: -1.0,
                ..Default::default()
            },
        ),
        (
            "weight_decay",
            CriticConfig {
                weight_decay: 1000.0,
                ..Default::default()
            },
        ),
        (
            "adam_beta1",
            CriticConfig {
                adam_beta1: 1.0,
                ..Default::default()
            },
        ),
        (
            "adam_beta2",
            CriticConfig {
                adam_beta2: -0.1,
                ..Default::default()
            },
        ),
        (
            "adam_eps",
            CriticConfig {
                adam_eps: 0.0,
                ..Default::default()
            },
        ),
    ];
    for (field, cfg) in cases {
        match cfg.validate() {
            Err(CriticError::Config { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected Config error, got {other:?}"),
        }
    }
    // Partial configs fill in the defaults; unknown fields are refused.
    let cfg: CriticConfig = toml::from_str("hidden = 32\nfolds = 0").unwrap();
    assert_eq!(cfg.hidden, 32);
    assert_eq!(cfg.folds, 0);
    assert_eq!(cfg.epochs, CriticConfig::default().epochs);
    assert!(toml::from_str::<CriticConfig>("hiden = 32").is_err());
}

#[test]
fn bad_inputs_are_errors() {
    one_thread();
    assert!(matches!(
        Critic::new(0, CriticConfig::default(), 1),
        Err(CriticError::InputDim { found: 0, .. })
    ));
    assert!(matches!(
        Critic::new(
            119,
            CriticConfig {
                folds: 1,
                ..Default::default()
            },
            1
        ),
        Err(CriticError::Config { field: "folds", .. })
    ));
    let mut critic = Critic::new(119, CriticConfig::default(), 1).unwrap();
    let good = vec![0.0f32; 119];
    let short = vec![0.0f32; 118];

    let err = critic.predict(&[good.clone(), short.clone()]).unwrap_err();
    assert!(
        matches!(
            err,
            CriticError::InputLength {
                index: 1,
                expected: 119,
                found: 118
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("#1"), "{err}");
    assert!(critic.predict(&[]).unwrap().is_empty());

    let err = critic.fit(&[short], &[0.5]).unwrap_err();
    assert!(
        matches!(err, CriticError::InputLength { index: 0, .. }),
        "{err:?}"
    );

    let mut nan = good.clone();
    nan[7] = f32::NAN;
    let err = critic.fit(&[good.clone(), nan], &[0.5, 0.6]).unwrap_err();
    assert!(
        matches!(
            err,
            CriticError::InputValue {
                index: 1,
                position: 7,
                ..
            }
        ),
        "{err:?}"
    );
    let err = critic
        .fit(std::slice::from_ref(&good), &[f64::INFINITY])
        .unwrap_err();
    assert!(
        matches!(err, CriticError::Reward { index: 0, .. }),
        "{err:?}"
    );
    let err = critic
        .fit(std::slice::from_ref(&good), &[0.5, 0.6])
        .unwrap_err();
    assert!(
        matches!(
            err,
            CriticError::LengthMismatch {
                inputs: 1,
                rewards: 2
            }
        ),
        "{err:?}"
    );
    assert!(matches!(critic.fit(&[], &[]), Err(CriticError::NoSamples)));
    assert!(matches!(
        critic.evaluate(&[], &[]),
        Err(CriticError::NoSamples)
    ));
    // Nothing above touched the critic.
    assert_eq!(critic.fits(), 0);
    assert_eq!(critic.optimizer_steps(), 0);

    // A single sample (constant rewards) fits without dividing by zero.
    let fit = critic.fit(std::slice::from_ref(&good), &[0.5]).unwrap();
    assert!(fit.value_loss.is_finite() && fit.uncertainty_loss.is_finite());
    assert_eq!(critic.reward_scale(), (0.5, 1.0));
    let p = critic.predict(&[good]).unwrap();
    assert!(p[0].0.is_finite() && p[0].1 > 0.0);
}
