//! The critic on a known synthetic relation over the MnasNet one-hot (real libtorch, one
//! thread): it ranks unseen architectures, its U is higher where V is wrong, cross-fitting
//! makes U match the errors on unseen samples, and the reward scale does not matter.
//! Also prints the fit and predict times (run with --nocapture).

mod critic_support;

use critic_support::{one_thread, Data, Relation};
use fnas::critic::{spearman, Critic, CriticConfig};
use std::time::Instant;

fn mean(v: impl IntoIterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in v {
        s += x;
        n += 1;
    }
    s / n as f64
}

/// Refits after every `step` samples on all samples so far, as the pipeline does after each
/// batch; returns the out-of-sample |V - R| and U of every sample predicted just before the
/// fit that first included it.
fn refit_incrementally(critic: &mut Critic, data: &Data, step: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut errors, mut uncertainties) = (Vec::new(), Vec::new());
    let mut end = step;
    while end <= data.inputs.len() {
        if critic.fits() > 0 {
            let fresh = critic.predict(&data.inputs[end - step..end]).unwrap();
            for ((v, u), r) in fresh.iter().zip(&data.rewards[end - step..end]) {
                errors.push((v - r).abs());
                uncertainties.push(*u);
            }
        }
        critic
            .fit(&data.inputs[..end], &data.rewards[..end])
            .unwrap();
        end += step;
    }
    (errors, uncertainties)
}

fn values(critic: &Critic, data: &Data) -> Vec<f64> {
    critic
        .predict(&data.inputs)
        .unwrap()
        .iter()
        .map(|p| p.0)
        .collect()
}

#[test]
fn ranks_held_out_archs_of_a_known_relation() {
    one_thread();
    let rel = Relation::new(11);
    let train = rel.sample(200, 1, 0.2, 0.0);
    let held_out = rel.sample(100, 2, 0.0, 0.0);

    // One fit on 200 samples (a cold-start-sized budget of epochs).
    let cfg = CriticConfig {
        epochs: 100,
        ..CriticConfig::default()
    };
    let mut critic = Critic::new(rel.input_dim(), cfg, 3).unwrap();
    let before = critic.evaluate(&train.inputs, &train.rewards).unwrap();
    let fit = critic.fit(&train.inputs, &train.rewards).unwrap();
    let rho = spearman(&values(&critic, &held_out), &held_out.clean);
    println!("single fit: before {before:?}\n  after {fit:?}\n  held-out spearman {rho:.3}");
    assert!(rho > 0.8, "held-out Spearman {rho}");
    assert!(
        fit.value_loss < 0.5 * before.value_loss,
        "value loss {} -> {}",
        before.value_loss,
        fit.value_loss
    );
    assert!(fit.spearman > before.spearman);

    // The intended use: default config, warm refits every 20 samples.
    let mut critic = Critic::new(rel.input_dim(), CriticConfig::default(), 3).unwrap();
    critic
        .fit(&train.inputs[..20], &train.rewards[..20])
        .unwrap();
    let early = critic.evaluate(&held_out.inputs, &held_out.clean).unwrap();
    refit_incrementally(&mut critic, &train, 20);
    let late = critic.evaluate(&held_out.inputs, &held_out.clean).unwrap();
    println!("incremental: after 20 samples {early:?}\n  after 200 {late:?}");
    assert_eq!(critic.fits(), 11);
    assert!(late.spearman > 0.8, "held-out Spearman {}", late.spearman);
    assert!(late.value_loss < early.value_loss);
}

#[test]
fn uncertainty_is_higher_where_value_is_wrong() {
    one_thread();
    let rel = Relation::new(12);
    // A quarter of the archs (block 1 op = conv) get 6x the reward noise: no V can predict
    // them well, so U must learn to flag them.
    let train = rel.sample(320, 4, 0.2, 1.0);
    let held_out = rel.sample(200, 5, 0.2, 1.0);
    let mut critic = Critic::new(rel.input_dim(), CriticConfig::default(), 4).unwrap();
    refit_incrementally(&mut critic, &train, 32);
    let pred = critic.predict(&held_out.inputs).unwrap();
    let u_noisy = mean(
        pred.iter()
            .zip(&held_out.noisy)
            .filter(|(_, &n)| n)
            .map(|(p, _)| p.1),
    );
    let u_quiet = mean(
        pred.iter()
            .zip(&held_out.noisy)
            .filter(|(_, &n)| !n)
            .map(|(p, _)| p.1),
    );
    let err_noisy = mean(
        pred.iter()
            .zip(&held_out.rewards)
            .zip(&held_out.noisy)
            .filter(|(_, &n)| n)
            .map(|((p, r), _)| (p.0 - r).abs()),
    );
    println!("mean U noisy {u_noisy:.4} quiet {u_quiet:.4}; mean |V-R| noisy {err_noisy:.4}");
    assert!(
        u_noisy > 1.5 * u_quiet,
        "U noisy {u_noisy} vs quiet {u_quiet}"
    );
}

#[test]
fn cross_fitting_matches_u_to_errors_on_unseen_archs() {
    one_thread();
    let rel = Relation::new(13);
    let train = rel.sample(256, 6, 0.2, 0.5);
    let mut ratio = Vec::new();
    for folds in [0, 4] {
        let cfg = CriticConfig {
            folds,
            ..CriticConfig::default()
        };
        let mut critic = Critic::new(rel.input_dim(), cfg, 5).unwrap();
        let (errors, us) = refit_incrementally(&mut critic, &train, 32);
        // The second half: after the critic has seen at least 128 samples.
        let half = errors.len() / 2;
        let (e, u) = (
            mean(errors[half..].iter().copied()),
            mean(us[half..].iter().copied()),
        );
        let covered = errors[half..]
            .iter()
            .zip(&us[half..])
            .filter(|(e, u)| e <= u)
            .count() as f64
            / (errors.len() - half) as f64;
        println!(
            "folds {folds}: out-of-sample mean |V-R| {e:.4}, mean U {u:.4}, covered {covered:.2}"
        );
        ratio.push(u / e);
    }
    // In-sample errors shrink as V memorises its samples: U learnt from them claims far more
    // accuracy than V has on new archs. Cross-fitted U is on the right scale.
    assert!(ratio[0] < 0.4, "folds 0: U / error = {}", ratio[0]);
    assert!(
        (0.5..2.0).contains(&ratio[1]),
        "folds 4: U / error = {}",
        ratio[1]
    );
}

#[test]
fn reward_scale_does_not_change_the_fit() {
    one_thread();
    let unit = Relation::scaled(14, 0.7, 0.05);
    let percent = Relation::scaled(14, 70.0, 5.0);
    let a = unit.sample(128, 7, 0.2, 0.0);
    let b = percent.sample(128, 7, 0.2, 0.0);
    let mut ca = Critic::new(unit.input_dim(), CriticConfig::default(), 6).unwrap();
    let mut cb = Critic::new(percent.input_dim(), CriticConfig::default(), 6).unwrap();
    refit_incrementally(&mut ca, &a, 32);
    refit_incrementally(&mut cb, &b, 32);
    let test = unit.sample(50, 8, 0.0, 0.0);
    let pa = ca.predict(&test.inputs).unwrap();
    let pb = cb.predict(&test.inputs).unwrap();
    for ((va, ua), (vb, ub)) in pa.iter().zip(&pb) {
        assert!((vb / 100.0 - va).abs() < 1e-4, "V {va} vs {vb}");
        assert!((ub / 100.0 - ua).abs() < 1e-4, "U {ua} vs {ub}");
    }
    let (ma, sa) = ca.reward_scale();
    let (mb, sb) = cb.reward_scale();
    assert!((mb / 100.0 - ma).abs() < 1e-9 && (sb / 100.0 - sa).abs() < 1e-9);
}

/// Figures for the report: one default fit on 300 samples (fresh critic and warm refit) and
/// one prediction for a single arch, on one thread. Minimum of several runs; no assertions
/// on time (the machine is shared).
#[test]
fn measure_fit_and_predict_time() {
    one_thread();
    let rel = Relation::new(15);
    let data = rel.sample(300, 9, 0.2, 0.0);
    let mut fresh = f64::INFINITY;
    let mut warm = f64::INFINITY;
    let mut critic = Critic::new(rel.input_dim(), CriticConfig::default(), 7).unwrap();
    for _ in 0..5 {
        let mut c = Critic::new(rel.input_dim(), CriticConfig::default(), 7).unwrap();
        let t = Instant::now();
        c.fit(&data.inputs, &data.rewards).unwrap();
        fresh = fresh.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        critic.fit(&data.inputs, &data.rewards).unwrap();
        warm = warm.min(t.elapsed().as_secs_f64());
    }
    let one = &data.inputs[..1];
    let mut predict = f64::INFINITY;
    for _ in 0..200 {
        let t = Instant::now();
        let p = critic.predict(one).unwrap();
        predict = predict.min(t.elapsed().as_secs_f64());
        assert_eq!(p.len(), 1);
    }
    let t = Instant::now();
    critic.predict(&data.inputs).unwrap();
    let batch = t.elapsed().as_secs_f64();
    println!(
        "params {} | fit 300 samples: fresh {:.1} ms, warm refit {:.1} ms | predict 1 arch {:.1} us, 300 archs {:.2} ms",
        critic.num_params(),
        fresh * 1e3,
        warm * 1e3,
        predict * 1e6,
        batch * 1e3
    );
}
