//! Shape adaptation of stored parts (src/pool/adapt.rs), one rule per test, on hand-built
//! variables; then a real network: a part reloaded into its own architecture reproduces the
//! trained accuracy, and parts load into an architecture that differs in every dimension.

use std::sync::Arc;

use fnas::pool::{load_part, PartKind, PartTensor, PartWeights};
use fnas::space::{mnas_net, Arch, Space};
use fnas::train::{load_task, DataOptions, NetPlan, ProxyConfig, TrainError, Trainer};
use tch::nn::VarStore;
use tch::{Device, Tensor};

const FRESH: f32 = 7.0;

/// A VarStore with the given (full name, shape) variables, all filled with FRESH.
fn vars(spec: &[(&str, &[i64])]) -> VarStore {
    let vs = VarStore::new(Device::Cpu);
    for (name, shape) in spec {
        let mut path = vs.root();
        let parts: Vec<&str> = name.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            path = path / *p;
        }
        let _ = path.var(
            parts[parts.len() - 1],
            shape,
            tch::nn::Init::Const(FRESH as f64),
        );
    }
    vs
}

fn values(vs: &VarStore, name: &str) -> Vec<f32> {
    let t = vs.variables()[name].reshape([-1]);
    Vec::<f32>::try_from(&t).unwrap()
}

/// A stored tensor whose value at flat position i is i + 1 (never 0, never FRESH).
fn stored(name: &str, shape: &[i64]) -> PartTensor {
    let n: i64 = shape.iter().product();
    PartTensor {
        name: name.into(),
        shape: shape.to_vec(),
        values: (0..n).map(|i| i as f32 + 1.0).collect(),
    }
}

fn weights(mut t: Vec<PartTensor>) -> PartWeights {
    t.sort_by(|a, b| a.name.cmp(&b.name));
    PartWeights { tensors: t }
}

#[test]
fn channel_slicing_keeps_the_first_filters() {
    let vs = vars(&[("b0.l0.conv.conv.weight", &[2, 3, 1, 1])]);
    let w = weights(vec![stored("l0.conv.conv.weight", &[4, 5, 1, 1])]);
    let r = load_part(&vs, PartKind::Block(0), &w, true).unwrap();
    assert_eq!(r.copied, vec!["b0.l0.conv.conv.weight"]);
    // rows 0, 1 of the stored [4, 5] matrix, first 3 inputs each
    assert_eq!(
        values(&vs, "b0.l0.conv.conv.weight"),
        vec![1., 2., 3., 6., 7., 8.]
    );
}

#[test]
fn wider_outputs_keep_fresh_init_and_new_inputs_are_zero() {
    let vs = vars(&[("b0.l0.conv.conv.weight", &[3, 3, 1, 1])]);
    let w = weights(vec![stored("l0.conv.conv.weight", &[2, 2, 1, 1])]);
    load_part(&vs, PartKind::Block(0), &w, true).unwrap();
    assert_eq!(
        values(&vs, "b0.l0.conv.conv.weight"),
        vec![1., 2., 0., 3., 4., 0., FRESH, FRESH, FRESH]
    );
}

#[test]
fn one_d_tensors_copy_the_overlap_and_keep_fresh_beyond() {
    let vs = vars(&[("stem.bn.running_var", &[4]), ("stem.bn.weight", &[2])]);
    let w = weights(vec![
        stored("stem.bn.running_var", &[2]),
        stored("stem.bn.weight", &[3]),
    ]);
    load_part(&vs, PartKind::Stem, &w, true).unwrap();
    assert_eq!(
        values(&vs, "stem.bn.running_var"),
        vec![1., 2., FRESH, FRESH]
    );
    assert_eq!(values(&vs, "stem.bn.weight"), vec![1., 2.]);
}

#[test]
fn kernel_five_to_three_is_a_centre_crop() {
    let vs = vars(&[("b1.l0.dw.conv.weight", &[1, 1, 3, 3])]);
    let w = weights(vec![stored("l0.dw.conv.weight", &[1, 1, 5, 5])]);
    load_part(&vs, PartKind::Block(1), &w, true).unwrap();
    // the 5x5 holds 1..=25 row-major; its centre 3x3 starts at (1, 1) = 7
    assert_eq!(
        values(&vs, "b1.l0.dw.conv.weight"),
        vec![7., 8., 9., 12., 13., 14., 17., 18., 19.]
    );
}

#[test]
fn kernel_three_to_five_is_centred_with_a_zero_border() {
    let vs = vars(&[("b1.l0.dw.conv.weight", &[1, 1, 5, 5])]);
    let w = weights(vec![stored("l0.dw.conv.weight", &[1, 1, 3, 3])]);
    load_part(&vs, PartKind::Block(1), &w, true).unwrap();
    let v = values(&vs, "b1.l0.dw.conv.weight");
    let mut expected = vec![0.0; 25];
    for r in 0..3 {
        for c in 0..3 {
            expected[(r + 1) * 5 + c + 1] = (r * 3 + c + 1) as f32;
        }
    }
    assert_eq!(v, expected);
    // Same response: a 3x3 conv and its padded 5x5 agree on an input (padding k/2 each).
    let x = Tensor::from_slice(&(0..49).map(|i| (i % 5) as f32 - 2.0).collect::<Vec<_>>())
        .view([1, 1, 7, 7]);
    let k3 = Tensor::from_slice(&(1..=9).map(|i| i as f32).collect::<Vec<_>>()).view([1, 1, 3, 3]);
    let k5 = Tensor::from_slice(&v).view([1, 1, 5, 5]);
    let a = x.conv2d::<&Tensor>(&k3, None, [1, 1], [1, 1], [1, 1], 1);
    let b = x.conv2d::<&Tensor>(&k5, None, [1, 1], [2, 2], [1, 1], 1);
    assert!(a.allclose(&b, 1e-5, 1e-5, false));
}

#[test]
fn extra_layers_copy_the_last_stored_one_and_surplus_is_dropped() {
    let vs = vars(&[
        ("b2.l0.project.bn.bias", &[2]),
        ("b2.l1.project.bn.bias", &[2]),
        ("b2.l2.project.bn.bias", &[2]),
    ]);
    let mut l1 = stored("l1.project.bn.bias", &[2]);
    l1.values = vec![10., 20.];
    let w = weights(vec![stored("l0.project.bn.bias", &[2]), l1]);
    load_part(&vs, PartKind::Block(2), &w, true).unwrap();
    assert_eq!(values(&vs, "b2.l0.project.bn.bias"), vec![1., 2.]);
    assert_eq!(values(&vs, "b2.l1.project.bn.bias"), vec![10., 20.]);
    assert_eq!(values(&vs, "b2.l2.project.bn.bias"), vec![10., 20.]);
    // fewer new layers than stored: only the ones that exist are written
    let vs = vars(&[("b2.l0.project.bn.bias", &[2])]);
    let r = load_part(&vs, PartKind::Block(2), &w, true).unwrap();
    assert_eq!(r.copied.len(), 1);
}

#[test]
fn se_absent_from_the_stored_part_keeps_fresh_init_and_extra_se_is_ignored() {
    let vs = vars(&[
        ("b0.l0.se.reduce.weight", &[1, 4, 1, 1]),
        ("b0.l0.dw.bn.bias", &[4]),
    ]);
    let w = weights(vec![stored("l0.dw.bn.bias", &[4])]);
    let r = load_part(&vs, PartKind::Block(0), &w, true).unwrap();
    assert_eq!(r.fresh, vec!["b0.l0.se.reduce.weight"]);
    assert_eq!(values(&vs, "b0.l0.se.reduce.weight"), vec![FRESH; 4]);
    let vs = vars(&[("b0.l0.dw.bn.bias", &[4])]);
    let w = weights(vec![
        stored("l0.dw.bn.bias", &[4]),
        stored("l0.se.reduce.weight", &[1, 4, 1, 1]),
    ]);
    let r = load_part(&vs, PartKind::Block(0), &w, true).unwrap();
    assert_eq!(r.copied, vec!["b0.l0.dw.bn.bias"]);
}

#[test]
fn classifier_is_copied_only_from_the_same_task() {
    let spec: &[(&str, &[i64])] = &[("head.bn.bias", &[2]), ("fc.bias", &[2])];
    let w = weights(vec![stored("head.bn.bias", &[2]), stored("fc.bias", &[2])]);
    let vs = vars(spec);
    load_part(&vs, PartKind::Head, &w, false).unwrap();
    assert_eq!(values(&vs, "head.bn.bias"), vec![1., 2.]);
    assert_eq!(values(&vs, "fc.bias"), vec![FRESH, FRESH]);
    let vs = vars(spec);
    load_part(&vs, PartKind::Head, &w, true).unwrap();
    assert_eq!(values(&vs, "fc.bias"), vec![1., 2.]);
}

#[test]
fn mismatched_rank_or_missing_name_keeps_fresh_init() {
    let vs = vars(&[("stem.conv.weight", &[2, 1, 3, 3])]);
    let w = weights(vec![stored("stem.conv.weight", &[2, 9])]);
    let r = load_part(&vs, PartKind::Stem, &w, true).unwrap();
    assert_eq!(r.fresh, vec!["stem.conv.weight"]);
    assert_eq!(values(&vs, "stem.conv.weight"), vec![FRESH; 18]);
}

#[test]
fn blob_round_trip_is_exact_and_damage_is_refused() {
    let w = weights(vec![stored("l0.a", &[2, 3]), stored("l1.b", &[4])]);
    let bytes = w.encode();
    assert_eq!(bytes, w.encode());
    assert_eq!(PartWeights::decode(&bytes, "x").unwrap(), w);
    let mut bad = bytes.clone();
    bad[25] ^= 1;
    assert!(PartWeights::decode(&bad, "x")
        .unwrap_err()
        .to_string()
        .contains("checksum"));
    assert!(PartWeights::decode(&bytes[..10], "blobname")
        .unwrap_err()
        .to_string()
        .contains("blobname"));
}

/// Trains `tokens` on digits (few steps), optionally initialising every part from `from`.
fn train(
    trainer: &Trainer,
    space: &Space,
    tokens: &[u8],
    steps: usize,
    from: Option<&[PartWeights]>,
) -> (f64, Vec<PartWeights>) {
    let cfg = ProxyConfig {
        steps,
        ..ProxyConfig::default()
    };
    let net = mnas_net(space, &Arch::new(tokens.to_vec()), 1, 10).unwrap();
    let blocks = space.num_blocks();
    let kinds: Vec<PartKind> = (0..blocks as u32 + 2)
        .map(|p| fnas::pool::part_kind(p, blocks).unwrap())
        .collect();
    let hook = |vs: &mut VarStore, _: &NetPlan| -> Result<(), TrainError> {
        for (kind, w) in kinds.iter().zip(from.unwrap_or(&[])) {
            load_part(vs, *kind, w, true).map_err(|e| TrainError::InvalidNet {
                reason: e.to_string(),
            })?;
        }
        Ok(())
    };
    let run = trainer
        .train_with(&net, &cfg, 5, from.map(|_| &hook as fnas::train::VarInit))
        .unwrap();
    assert!(run.outcome.failure.is_none(), "{:?}", run.outcome.failure);
    let parts = kinds
        .iter()
        .map(|k| PartWeights::extract(&run.vars, *k).unwrap())
        .collect();
    (run.outcome.accuracy, parts)
}

#[test]
fn real_network_reload_reproduces_accuracy_and_any_shape_loads() {
    tch::set_num_threads(1);
    let space = Space::builtin("mnas").unwrap();
    let opts = DataOptions {
        max_train: Some(400),
        max_val: Some(200),
        ..DataOptions::default()
    };
    let trainer = Trainer::new(Arc::new(load_task("digits", &opts).unwrap())).unwrap();
    // mbconv6 k5 se0.25 id f1.25 n+1 in every block
    let a = [3u8, 1, 1, 1, 2, 2].repeat(7);
    let (acc, parts) = train(&trainer, &space, &a, 30, None);
    assert!(acc > 0.3, "accuracy {acc}");
    // Exact key: 0 more steps from the stored parts gives the trained network back.
    let (again, reloaded) = train(&trainer, &space, &a, 0, Some(&parts));
    assert_eq!(again, acc);
    assert_eq!(reloaded, parts);
    // Every dimension differs: op mbconv3, k3, no SE, no skip, f0.75, n-1.
    let b = [2u8, 0, 0, 0, 0, 0].repeat(7);
    let (acc_b, _) = train(&trainer, &space, &b, 0, Some(&parts));
    assert!((0.0..=1.0).contains(&acc_b));
    // And back from the smaller one into the bigger one.
    let (_, small) = train(&trainer, &space, &b, 5, None);
    let (acc_a, _) = train(&trainer, &space, &a, 0, Some(&small));
    assert!((0.0..=1.0).contains(&acc_a));
}
