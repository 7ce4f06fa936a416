//! Trainer tests on the built-in digits with real libtorch: determinism across threads,
//! learning above chance, ranking of a weak vs a reasonable net, divergence handling and
//! the variable hook.

mod train_common;

use std::sync::Arc;

use fnas::space::net::{ConvOp, SkipOp};
use fnas::train::{
    load_task, DataOptions, Dataset, LrSchedule, Objective, ProxyConfig, TrainError, Trainer,
};
use tch::Kind;
use train_common::{from_rows, mbv2_variant, tiny_net};

fn digits() -> Arc<Dataset> {
    tch::set_num_threads(1);
    Arc::new(load_task("digits", &DataOptions::default()).expect("digits load"))
}

/// A short net that trains in well under a second on digits.
fn small_net() -> fnas::space::net::NetSpec {
    from_rows(16, &[(0, 16, 1, 1), (3, 24, 2, 2), (3, 32, 2, 2)], 64)
}

#[test]
fn same_seed_same_result_in_other_threads() {
    let data = digits();
    let cfg = ProxyConfig {
        steps: 30,
        ..ProxyConfig::default()
    };
    let run = |seed: u64| {
        let data = data.clone();
        let cfg = cfg.clone();
        std::thread::spawn(move || {
            let trainer = Trainer::new(data).unwrap();
            trainer.train(&small_net(), &cfg, seed).unwrap()
        })
        .join()
        .unwrap()
    };
    let (a, b, c) = (run(5), run(5), run(6));
    assert!(a.failure.is_none(), "{a:?}");
    assert_eq!(a.accuracy, b.accuracy);
    assert_eq!(a.final_loss, b.final_loss);
    assert_eq!(a.steps, 30);
    assert_ne!(
        a.final_loss, c.final_loss,
        "another seed should give another run"
    );
}

#[test]
fn reasonable_net_learns_digits_and_beats_a_weak_one() {
    let trainer = Trainer::new(digits()).unwrap();
    let cfg = ProxyConfig::default();
    let good = trainer
        .train(
            &mbv2_variant(ConvOp::Conv, 3, 0.0, SkipOp::Identity),
            &cfg,
            1,
        )
        .unwrap();
    let weak = trainer.train(&tiny_net(), &cfg, 1).unwrap();
    println!("good {good:?}\nweak {weak:?}");
    assert!(good.failure.is_none() && weak.failure.is_none());
    assert!(
        good.accuracy > 0.8,
        "accuracy {} (chance is 0.1)",
        good.accuracy
    );
    assert!(
        good.accuracy > weak.accuracy + 0.2,
        "{} vs {}",
        good.accuracy,
        weak.accuracy
    );
    assert!(good.final_loss.is_finite() && good.final_loss < weak.final_loss);
    assert!((0.0..=1.0).contains(&weak.accuracy));
}

#[test]
fn diverging_network_reports_failure_not_error() {
    let trainer = Trainer::new(digits()).unwrap();
    let cfg = ProxyConfig {
        lr: 1e6,
        schedule: LrSchedule::Constant,
        steps: 30,
        ..ProxyConfig::default()
    };
    let out = trainer.train(&small_net(), &cfg, 7).unwrap();
    assert_eq!(out.accuracy, 0.0);
    let failure = out.failure.expect("lr 1e6 must diverge");
    assert!(failure.starts_with("loss diverged to "), "{failure}");
    assert!(
        failure.ends_with(&format!("at step {}", out.steps)),
        "{failure}"
    );
    assert!(out.steps < 30);
    assert!(!out.final_loss.is_finite());
}

#[test]
fn hook_sees_plan_and_can_poison_weights() {
    let trainer = Trainer::new(digits()).unwrap();
    let cfg = ProxyConfig {
        steps: 5,
        ..ProxyConfig::default()
    };
    let seen = std::cell::Cell::new(0usize);
    let count = |vs: &mut tch::nn::VarStore, plan: &fnas::train::NetPlan| {
        seen.set(plan.layers.len());
        assert!(vs.variables().contains_key("b1.l0.dw.conv.weight"));
        Ok(())
    };
    let run = trainer
        .train_with(&small_net(), &cfg, 1, Some(&count))
        .unwrap();
    assert_eq!(seen.get(), 5);
    assert!(run.outcome.failure.is_none());
    assert!(run.vars.variables().keys().any(|k| k.starts_with("b2.")));
    assert_eq!(run.plan.layers.len(), 5);

    // NaN weights from a hook: a failure (accuracy 0), never a panic or an Err.
    let poison = |vs: &mut tch::nn::VarStore, _: &fnas::train::NetPlan| {
        let mut w = vs.variables()["fc.weight"].shallow_clone();
        let _ = tch::no_grad(|| w.fill_(f64::NAN));
        Ok(())
    };
    let out = trainer
        .train_with(&small_net(), &cfg, 1, Some(&poison))
        .unwrap()
        .outcome;
    assert_eq!(out.accuracy, 0.0);
    assert!(out.failure.is_some());

    // Hook errors propagate.
    let fail = |_: &mut tch::nn::VarStore, _: &fnas::train::NetPlan| {
        Err(TrainError::InvalidNet {
            reason: "stored block shape".into(),
        })
    };
    let err = trainer
        .train_with(&small_net(), &cfg, 1, Some(&fail))
        .unwrap_err();
    assert!(err.to_string().contains("stored block shape"));
}

#[test]
fn trained_weights_differ_from_initial_ones() {
    let trainer = Trainer::new(digits()).unwrap();
    let cfg = ProxyConfig {
        steps: 3,
        ..ProxyConfig::default()
    };
    let before = trainer
        .train_with(
            &small_net(),
            &ProxyConfig {
                steps: 0,
                ..cfg.clone()
            },
            9,
            None,
        )
        .unwrap();
    let after = trainer.train_with(&small_net(), &cfg, 9, None).unwrap();
    let w0 = &before.vars.variables()["b1.l0.expand.conv.weight"];
    let w1 = &after.vars.variables()["b1.l0.expand.conv.weight"];
    assert!((w0 - w1).abs().sum(Kind::Float).double_value(&[]) > 0.0);
    assert_eq!(before.outcome.steps, 0);
}

#[test]
fn invalid_config_is_an_error_naming_the_field() {
    let trainer = Trainer::new(digits()).unwrap();
    let cfg = ProxyConfig {
        batch_size: 0,
        ..ProxyConfig::default()
    };
    let err = trainer.train(&small_net(), &cfg, 1).unwrap_err();
    assert!(err.to_string().contains("batch_size"), "{err}");
}

#[test]
fn objective_is_mnas_soft_constraint() {
    let o = Objective::default();
    assert_eq!((o.target_macs, o.exponent), (300e6, -0.07));
    assert_eq!(o.reward(0.9, 300e6), 0.9);
    let expensive = o.reward(0.9, 600e6);
    assert!((expensive - 0.9 * 2f64.powf(-0.07)).abs() < 1e-12);
    assert!(expensive < 0.9 && o.reward(0.9, 150e6) > 0.9);
    let flat = Objective { exponent: 0.0, ..o };
    assert_eq!(flat.reward(0.5, 1e9), 0.5);
    assert_eq!(o.reward(0.7, 0.0), 0.7);
}
