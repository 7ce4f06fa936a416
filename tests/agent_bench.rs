//! Timing of the controller on the 42-position MnasNet space with one libtorch thread.
//! Ignored by default (no timing assertions in tests); run with
//! `cargo test --release --test agent_bench -- --ignored --nocapture`.

use std::time::Instant;

use fnas::agent::{Controller, ControllerConfig, EmaBaseline, PpoSample};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn per_call(label: &str, reps: u32, mut f: impl FnMut()) {
    f(); // warm-up
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    let ms = t.elapsed().as_secs_f64() * 1e3 / reps as f64;
    println!("{label:<48} {ms:>9.3} ms");
}

#[test]
#[ignore]
fn controller_timings() {
    tch::set_num_threads(1);
    let sizes = [4, 2, 2, 3, 3, 3].repeat(7);
    let mut c = Controller::new(&sizes, ControllerConfig::default(), 0).unwrap();
    println!(
        "params: {}, checkpoint bytes: {}",
        c.num_params(),
        c.to_bytes().len()
    );
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    per_call("sample() one 42-token arch", 200, || {
        c.sample(&mut rng);
    });
    per_call("sample_batch(20), per call", 50, || {
        c.sample_batch(20, &mut rng);
    });
    let samples = c.sample_batch(20, &mut rng);
    let tokens: Vec<Vec<u8>> = samples.iter().map(|s| s.tokens.clone()).collect();
    per_call("log_probs of 20 (teacher-forced, no grad)", 50, || {
        c.log_probs(&tokens).unwrap();
    });
    let mut baseline = EmaBaseline::default();
    let rewards: Vec<f64> = (0..20).map(|i| i as f64 / 20.0).collect();
    let adv = baseline.advantages(&rewards);
    let batch: Vec<PpoSample> = samples
        .iter()
        .zip(&adv)
        .map(|(s, &a)| PpoSample {
            tokens: s.tokens.clone(),
            old_log_probs: s.log_probs.clone(),
            advantage: a,
            weight: 1.0,
        })
        .collect();
    let epochs = c.config().epochs;
    per_call(&format!("update(batch 20, {epochs} epochs)"), 10, || {
        c.update(&batch).unwrap();
    });
    per_call("to_bytes", 20, || {
        c.to_bytes();
    });
    let bytes = c.to_bytes();
    per_call("from_bytes", 20, || {
        Controller::from_bytes(&bytes).unwrap();
    });
}

/// Why sampling uses `lstm_cell` rather than `nn::LSTM::step`: per-op costs of one
/// controller step at batch 1 (times are per 1000 calls).
#[test]
#[ignore]
fn op_timings() {
    use tch::nn::{self, Module, RNN};
    use tch::{Device, Kind, Tensor};
    tch::set_num_threads(1);
    let vs = nn::VarStore::new(Device::Cpu);
    let lstm = nn::lstm(vs.root() / "l", 100, 100, Default::default());
    let head = nn::linear(vs.root() / "h", 100, 4, Default::default());
    let x = Tensor::zeros([1, 100], (Kind::Float, Device::Cpu));
    let st = lstm.zero_state(1);
    tch::no_grad(|| {
        per_call("lstm.step x1000", 5, || {
            for _ in 0..1000 {
                let _ = lstm.step(&x, &st);
            }
        });
        let vars = vs.variables();
        let w = |n: &str| vars[n].shallow_clone();
        let (wih, whh, bih, bhh) = (
            w("l.weight_ih_l0"),
            w("l.weight_hh_l0"),
            w("l.bias_ih_l0"),
            w("l.bias_hh_l0"),
        );
        let h0 = Tensor::zeros([1, 100], (Kind::Float, Device::Cpu));
        per_call("lstm_cell x1000", 5, || {
            for _ in 0..1000 {
                let _ = x.lstm_cell(&[&h0, &h0], &wih, &whh, Some(&bih), Some(&bhh));
            }
        });
        let h = lstm.step(&x, &st).h().squeeze_dim(0);
        per_call("head+log_softmax x1000", 5, || {
            for _ in 0..1000 {
                let _ = head.forward(&h).log_softmax(-1, Kind::Float);
            }
        });
        let l = head.forward(&h).log_softmax(-1, Kind::Float);
        per_call("to vec x1000", 5, || {
            for _ in 0..1000 {
                let _ = Vec::<Vec<f32>>::try_from(&l).unwrap();
            }
        });
    });
}

/// Are samples and updates bit-identical across libtorch thread counts?
#[test]
#[ignore]
fn thread_count_sensitivity() {
    let sizes = [4, 2, 2, 3, 3, 3].repeat(7);
    for hidden in [32, 100] {
        let cfg = ControllerConfig {
            hidden,
            ..Default::default()
        };
        let mut out = Vec::new();
        for threads in [1, 2] {
            tch::set_num_threads(threads);
            let mut c = Controller::new(&sizes, cfg.clone(), 0).unwrap();
            let s = c.sample_batch(20, &mut ChaCha8Rng::seed_from_u64(0));
            let one = c.sample(&mut ChaCha8Rng::seed_from_u64(0));
            let batch: Vec<PpoSample> = s
                .iter()
                .enumerate()
                .map(|(i, x)| PpoSample {
                    tokens: x.tokens.clone(),
                    old_log_probs: x.log_probs.clone(),
                    advantage: i as f64 / 20.0 - 0.5,
                    weight: 1.0,
                })
                .collect();
            c.update(&batch).unwrap();
            out.push((s, one, c.to_bytes()));
        }
        let (a, b) = (&out[0], &out[1]);
        let same_tokens = a.0.iter().zip(&b.0).all(|(x, y)| x.tokens == y.tokens);
        println!(
            "batch samples identical: {}, tokens identical: {same_tokens}",
            a.0 == b.0
        );
        println!("single sample identical: {}", a.1 == b.1);
        println!(
            "hidden {hidden}: bytes after update identical: {}",
            a.2 == b.2
        );
    }
}
