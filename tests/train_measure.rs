//! Timing of the default proxy on digits and MNIST (ignored: run explicitly with
//! `cargo test --release --test train_measure -- --ignored --nocapture --test-threads 1`).
//! Env overrides for sweeps: STEPS, BS, LR, W, SEEDS, MAX_TRAIN, MAX_VAL.

mod train_common;

use std::sync::Arc;

use fnas::space::net::{ConvOp, SkipOp};
use fnas::train::{load_task, DataOptions, ProxyConfig, Trainer};
use train_common::{mbv2_variant, mobilenet_v2, shared_data, tiny_net};

fn env<T: std::str::FromStr>(key: &str) -> Option<T> {
    std::env::var(key).ok().and_then(|v| v.parse().ok())
}

fn config() -> ProxyConfig {
    let d = ProxyConfig::default();
    ProxyConfig {
        steps: env("STEPS").unwrap_or(d.steps),
        batch_size: env("BS").unwrap_or(d.batch_size),
        lr: env("LR").unwrap_or(d.lr),
        width_mult: env("W").unwrap_or(d.width_mult),
        ..d
    }
}

fn measure(spec: &str, opts: &DataOptions) {
    tch::set_num_threads(1);
    let cfg = config();
    let t0 = std::time::Instant::now();
    let data = Arc::new(load_task(spec, opts).expect("load"));
    let load = t0.elapsed().as_secs_f64();
    println!(
        "{spec}: train={} val={} load={load:.2}s cfg={cfg:?}",
        data.train.len(),
        data.val.len()
    );
    let trainer = Trainer::new(data.clone()).expect("trainer");
    let seeds: u64 = env("SEEDS").unwrap_or(2);
    let mut nets = vec![("mobilenet_v2", mobilenet_v2()), ("tiny", tiny_net())];
    if std::env::var("VARIANTS").is_ok() {
        nets.extend([
            (
                "mbconv3 k5 se no-skip",
                mbv2_variant(ConvOp::MbConv(3), 5, 0.25, SkipOp::None),
            ),
            (
                "dwconv k3 pool-skip",
                mbv2_variant(ConvOp::DwConv, 3, 0.0, SkipOp::Pool),
            ),
            (
                "conv k3 identity",
                mbv2_variant(ConvOp::Conv, 3, 0.0, SkipOp::Identity),
            ),
            (
                "mbconv6 k3 no-skip",
                mbv2_variant(ConvOp::MbConv(6), 3, 0.0, SkipOp::None),
            ),
        ]);
    }
    for (name, net) in nets {
        for seed in 1..=seeds {
            let out = trainer.train(&net, &cfg, seed).expect("train");
            println!(
                "  {name} seed={seed}: acc={:.4} loss={:.4} {:.2}s failure={:?}",
                out.accuracy, out.final_loss, out.train_seconds, out.failure
            );
        }
    }
}

#[test]
#[ignore]
fn measure_digits() {
    let opts = DataOptions {
        max_train: env("MAX_TRAIN"),
        max_val: env("MAX_VAL"),
        ..DataOptions::default()
    };
    measure("digits", &opts);
}

#[test]
#[ignore]
fn measure_mnist() {
    let Some(dir) = shared_data("mnist") else {
        return;
    };
    let opts = DataOptions {
        max_train: Some(env("MAX_TRAIN").unwrap_or(4000)),
        max_val: Some(env("MAX_VAL").unwrap_or(1000)),
        ..DataOptions::default()
    };
    measure(&format!("idx:{}", dir.display()), &opts);
}
