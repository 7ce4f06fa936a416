//! The proxy network builder: every op/kernel/SE/skip combination on 8x8 inputs, the
//! shrink rules (width, stride clamp), parameter naming and deterministic initialisation.

mod train_common;

use std::collections::BTreeMap;

use fnas::space::net::{ConvOp, LayerSpec, NetSpec, SkipOp};
use fnas::train::init::init_deterministic;
use fnas::train::{plan_net, InputShape, ProxyConfig, ProxyNet, SkipPlan, TrainError};
use tch::{nn, Device, Kind, Tensor};
use train_common::mobilenet_v2;

const DIGITS: InputShape = InputShape {
    channels: 1,
    height: 8,
    width: 8,
    classes: 10,
};
const MNIST: InputShape = InputShape {
    channels: 1,
    height: 28,
    width: 28,
    classes: 10,
};

#[allow(clippy::too_many_arguments)]
fn layer(
    op: ConvOp,
    kernel: usize,
    se: f32,
    skip: SkipOp,
    cin: usize,
    cout: usize,
    stride: usize,
    block: usize,
) -> LayerSpec {
    LayerSpec {
        op,
        kernel,
        se_ratio: se,
        skip,
        in_channels: cin,
        out_channels: cout,
        stride,
        block,
    }
}

/// Three layers exercising in != out with stride 2 (pad channels), in == out with stride 1
/// (identity applies) and in > out with stride 2 (truncate channels), all with one setting.
fn combo_net(op: ConvOp, kernel: usize, se: f32, skip: SkipOp) -> NetSpec {
    NetSpec {
        input_channels: 3,
        stem_channels: 32,
        layers: vec![
            layer(op, kernel, se, skip, 32, 48, 2, 0),
            layer(op, kernel, se, skip, 48, 48, 1, 0),
            layer(op, kernel, se, skip, 48, 24, 2, 1),
        ],
        head_channels: 64,
        classes: 1000,
    }
}

fn build(
    spec: &NetSpec,
    input: &InputShape,
    cfg: &ProxyConfig,
    seed: u64,
) -> (nn::VarStore, ProxyNet) {
    let vs = nn::VarStore::new(Device::Cpu);
    let net = ProxyNet::build(&vs.root(), spec, input, cfg).unwrap();
    init_deterministic(&vs, seed).unwrap();
    (vs, net)
}

fn sorted_vars(vs: &nn::VarStore) -> BTreeMap<String, Tensor> {
    vs.variables().into_iter().collect()
}

#[test]
fn every_combination_builds_and_runs_on_8x8() {
    tch::set_num_threads(1);
    let cfg = ProxyConfig::default();
    let x = Tensor::randn([5, 1, 8, 8], (Kind::Float, Device::Cpu));
    let mut built = 0;
    for op in [
        ConvOp::Conv,
        ConvOp::DwConv,
        ConvOp::MbConv(1),
        ConvOp::MbConv(3),
        ConvOp::MbConv(6),
    ] {
        for kernel in [3, 5] {
            for se in [0.0, 0.25] {
                for skip in [SkipOp::None, SkipOp::Identity, SkipOp::Pool] {
                    let spec = combo_net(op, kernel, se, skip);
                    let (_vs, net) = build(&spec, &DIGITS, &cfg, 3);
                    for train in [true, false] {
                        let y = tch::no_grad(|| net.forward(&x, train)).unwrap();
                        assert_eq!(y.size(), vec![5, 10], "{op:?} k{kernel} se{se} {skip:?}");
                        let finite = y.isfinite().all().int64_value(&[]);
                        assert_eq!(finite, 1, "{op:?} k{kernel} se{se} {skip:?}");
                    }
                    let expected_skips = match skip {
                        SkipOp::None => [SkipPlan::None; 3],
                        SkipOp::Identity => [SkipPlan::None, SkipPlan::Identity, SkipPlan::None],
                        SkipOp::Pool => [SkipPlan::Pool; 3],
                    };
                    let got: Vec<SkipPlan> = net.plan().layers.iter().map(|l| l.skip).collect();
                    assert_eq!(got, expected_skips);
                    built += 1;
                }
            }
        }
    }
    assert_eq!(built, 60);
}

#[test]
fn gradients_reach_every_trainable_variable() {
    let cfg = ProxyConfig {
        zero_init_residual: false,
        ..ProxyConfig::default()
    };
    let spec = combo_net(ConvOp::MbConv(3), 5, 0.25, SkipOp::Pool);
    let (vs, net) = build(&spec, &DIGITS, &cfg, 1);
    let x = Tensor::randn([4, 1, 8, 8], (Kind::Float, Device::Cpu));
    let y = Tensor::from_slice(&[0i64, 1, 2, 3]);
    net.forward(&x, true)
        .unwrap()
        .cross_entropy_for_logits(&y)
        .backward();
    for (name, t) in sorted_vars(&vs) {
        if t.requires_grad() {
            let g = t.grad();
            assert!(g.defined(), "{name} has no gradient");
            assert!(
                g.abs().sum(Kind::Float).double_value(&[]) > 0.0,
                "{name} gradient is zero"
            );
        }
    }
}

#[test]
fn mobilenet_v2_plan_follows_the_shrink_rules() {
    let cfg = ProxyConfig::default();
    let spec = mobilenet_v2();
    let digits = plan_net(&spec, &DIGITS, &cfg).unwrap();
    assert_eq!(digits.stem_stride, 1);
    assert_eq!(digits.stem_channels, 8); // 32 * 0.25
    assert_eq!(digits.head_channels, 320);
    let strides: Vec<usize> = digits.layers.iter().map(|l| l.stride).collect();
    // blocks: 1x16 s1 | 2x24 s2 | 3x32 s2 | 4x64 s2 (clamped) | 3x96 | 3x160 s2 (clamped) | 320
    assert_eq!(
        strides,
        vec![1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    );
    assert_eq!(digits.final_size, (2, 2));
    assert_eq!(digits.layers[0].out_channels, 4); // round(16 * 0.25) = 4 (min 4)
    assert_eq!(digits.layers[1].mid_channels, 24); // 4 * 6
    assert_eq!(digits.layers[1].index, 0);
    assert_eq!(digits.layers[2].index, 1);
    assert_eq!(digits.layers[2].skip, SkipPlan::Identity);

    let mnist = plan_net(&spec, &MNIST, &cfg).unwrap();
    assert_eq!(mnist.stem_stride, 2);
    assert_eq!(mnist.stem_size, (14, 14));
    let sizes: Vec<(usize, usize)> = mnist.layers.iter().map(|l| l.out_size).collect();
    assert_eq!(sizes[1], (7, 7));
    assert_eq!(sizes[3], (4, 4));
    assert_eq!(sizes[6], (2, 2));
    assert_eq!(mnist.final_size, (2, 2));
    assert_eq!(mnist.layers[13].spec_stride, 2);
    assert_eq!(mnist.layers[13].stride, 1);

    // Width multiplier and SE width.
    let wide = ProxyConfig {
        width_mult: 1.0,
        ..ProxyConfig::default()
    };
    let mut se_spec = spec.clone();
    se_spec.layers[3].se_ratio = 0.25;
    let p = plan_net(&se_spec, &MNIST, &wide).unwrap();
    assert_eq!(p.layers[3].in_channels, 24);
    assert_eq!(p.layers[3].se_channels, Some(6));
    let narrow = ProxyConfig {
        width_mult: 0.05,
        ..ProxyConfig::default()
    };
    let p = plan_net(&se_spec, &MNIST, &narrow).unwrap();
    assert_eq!(p.layers[3].in_channels, 4); // min 4
    assert_eq!(p.layers[3].se_channels, Some(1)); // floor(4 * 0.25) = 1
}

#[test]
fn parameters_are_named_per_block() {
    let spec = mobilenet_v2();
    let (vs, net) = build(&spec, &DIGITS, &ProxyConfig::default(), 1);
    let vars = sorted_vars(&vs);
    for name in vars.keys() {
        let ok = name.starts_with("stem.")
            || name.starts_with("head.")
            || name.starts_with("fc.")
            || (name.starts_with('b')
                && name.split('.').nth(1).is_some_and(|l| l.starts_with('l')));
        assert!(ok, "unexpected variable name {name}");
    }
    for block in 0..7 {
        assert!(
            vars.keys().any(|n| n.starts_with(&format!("b{block}.l0."))),
            "block {block}"
        );
    }
    assert!(vars.contains_key("b0.l0.dw.conv.weight"));
    assert!(!vars.contains_key("b0.l0.expand.conv.weight")); // MBConv1 has no expansion
    assert!(vars.contains_key("b1.l1.expand.bn.running_var"));
    assert!(vars.contains_key("fc.weight"));
    assert_eq!(vars["b1.l0.dw.conv.weight"].size(), vec![24, 1, 3, 3]);
    // Residual scales: the 10 identity layers of MobileNetV2 (stride clamps add none
    // because in != out at every block's first layer except the first block's).
    assert_eq!(net.residual_scale_names().len(), 10);
    assert!(net
        .residual_scale_names()
        .iter()
        .all(|n| n.ends_with("project.bn.weight")));
}

#[test]
fn initialisation_is_seeded_and_per_variable() {
    let spec = mobilenet_v2();
    let cfg = ProxyConfig::default();
    let (a, _) = build(&spec, &DIGITS, &cfg, 42);
    let (b, _) = build(&spec, &DIGITS, &cfg, 42);
    let (c, _) = build(&spec, &DIGITS, &cfg, 43);
    let (va, vb, vc) = (sorted_vars(&a), sorted_vars(&b), sorted_vars(&c));
    let w = "b2.l1.expand.conv.weight";
    for (name, t) in &va {
        assert!(t.equal(&vb[name]), "{name} differs for the same seed");
    }
    assert!(!va[w].equal(&vc[w]));
    // Kaiming normal, fan-in: std close to sqrt(2 / fan_in).
    let stem = &va["stem.conv.weight"];
    let big = &va["b6.l0.expand.conv.weight"]; // [480, 40, 1, 1]
    let std = big.std(true).double_value(&[]);
    assert!((std - (2.0f64 / 40.0).sqrt()).abs() < 0.02, "std {std}");
    assert_eq!(stem.size(), vec![8, 1, 3, 3]);
    assert_eq!(va["b3.l0.project.bn.weight"].min().double_value(&[]), 1.0);
    assert_eq!(
        va["b3.l0.project.bn.bias"].abs().max().double_value(&[]),
        0.0
    );

    // A variable's initial value depends only on (seed, name, shape): dropping the last
    // block leaves every other variable unchanged.
    let mut shorter = spec.clone();
    shorter.layers.pop();
    let (d, _) = build(&shorter, &DIGITS, &cfg, 42);
    let vd = sorted_vars(&d);
    for (name, t) in &vd {
        if !name.starts_with("head.") {
            assert!(
                t.equal(&va[name]),
                "{name} changed when another block was removed"
            );
        }
    }
}

#[test]
fn invalid_specs_name_the_layer() {
    let cfg = ProxyConfig::default();
    let mut spec = mobilenet_v2();
    spec.layers[2].in_channels = 99;
    let err = plan_net(&spec, &DIGITS, &cfg).unwrap_err();
    assert!(matches!(err, TrainError::InvalidNet { .. }));
    assert!(err.to_string().contains("layer 2 (block 1)"), "{err}");

    let mut spec = mobilenet_v2();
    spec.layers[4].kernel = 4;
    assert!(plan_net(&spec, &DIGITS, &cfg)
        .unwrap_err()
        .to_string()
        .contains("kernel 4"));

    let mut spec = mobilenet_v2();
    spec.layers[0].op = ConvOp::MbConv(0);
    assert!(plan_net(&spec, &DIGITS, &cfg).is_err());

    let bad_cfg = ProxyConfig {
        width_mult: 0.0,
        ..ProxyConfig::default()
    };
    let err = plan_net(&mobilenet_v2(), &DIGITS, &bad_cfg).unwrap_err();
    assert!(err.to_string().contains("width_mult"), "{err}");
}
