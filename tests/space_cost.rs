//! Acceptance tests of the cost model: the reference networks, counted by `space::cost` at
//! 224x224, must land within 3% of their published MACs and parameter counts.

use fnas::space::{cost, mnas_net, mnasnet_a1, mobilenet_v2, Arch, ConvOp, Cost, Space};

/// Allowed relative deviation from a published figure.
const TOLERANCE: f64 = 0.03;

fn assert_near(what: &str, got: u64, published: f64) {
    let rel = (got as f64 - published) / published;
    assert!(
        rel.abs() <= TOLERANCE,
        "{what}: counted {got}, published {published}, off by {:+.2}% (> {}%)",
        rel * 100.0,
        TOLERANCE * 100.0
    );
}

#[test]
fn mobilenet_v2_matches_published_figures() {
    let net = mobilenet_v2();
    assert_eq!(net.layers.len(), 17);
    let Cost { macs, params } = cost(&net, 224);
    println!("MobileNetV2 1.0: {macs} MACs, {params} params");
    assert_near("MobileNetV2 MACs", macs, 300e6);
    assert_near("MobileNetV2 params", params, 3.4e6);
}

#[test]
fn mnasnet_a1_matches_published_figures() {
    let net = mnasnet_a1();
    assert_eq!(net.layers.len(), 16);
    assert_eq!(net.layers[0].op, ConvOp::DwConv);
    let Cost { macs, params } = cost(&net, 224);
    println!("MnasNet-A1: {macs} MACs, {params} params");
    assert_near("MnasNet-A1 MACs", macs, 312e6);
    assert_near("MnasNet-A1 params", params, 3.9e6);
}

#[test]
fn decoded_mnas_arch_costs_like_the_equivalent_reference() {
    // dwconv k3 (== MbConv(1), MobileNetV2's first block) then the baseline mbconv6/k3/no-SE/
    // identity/x1.0/+0 everywhere: the MobileNetV2 network, so the same figures.
    let space = Space::builtin("mnas").expect("built-in space");
    let mut tokens = [3u8, 0, 0, 1, 1, 1].repeat(7);
    tokens[0] = 1;
    let net = mnas_net(&space, &Arch::new(tokens), 3, 1000).expect("valid arch decodes");
    assert_eq!(cost(&net, 224), cost(&mobilenet_v2(), 224));
}

#[test]
fn cost_grows_with_resolution() {
    let small = cost(&mnasnet_a1(), 112);
    let full = cost(&mnasnet_a1(), 224);
    assert_eq!(small.params, full.params);
    // Conv MACs scale with area; only the classifier does not.
    assert!(full.macs > 3 * small.macs && full.macs < 5 * small.macs);
}
