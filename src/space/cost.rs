//! Multiply-accumulates and parameters of a full network, the "latency" term of the reward
//! (ACC x (MACs/T)^w) and the figures reported next to every architecture.
//!
//! Convention (chosen to reproduce the published MobileNetV2 / MnasNet-A1 figures, which the
//! tests in tests/space_cost.rs check):
//! - MACs: one per multiply-add of every conv and of the final linear layer, at the spatial
//!   size of the layer's output ("same" padding: `ceil(h / stride)`). SE convs are counted at
//!   1x1 (they act on the pooled vector). BN, activations, pooling, SE gating, skip additions
//!   and biases are not counted.
//! - Params: conv kernels and the biases of the layers that have one (SE convs and the
//!   classifier; convs followed by BN have none). BN scale/shift are NOT counted: that is the
//!   convention behind the published tables (it gives MobileNetV2 3.47M, the TF-slim figure,
//!   vs 3.4M in the paper; MnasNet-A1 3.85M vs 3.9M). Counting BN would give 3.50M and 3.89M,
//!   putting MobileNetV2 3.1% above its published 3.4M.

use super::net::{same_out, ConvOp, NetSpec};

/// Size of a network at one input resolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cost {
    pub macs: u64,
    pub params: u64,
}

/// Counts `net` at `resolution x resolution` input (224 for the figure that is reported and
/// used in the reward). See the module doc for the convention.
pub fn cost(net: &NetSpec, resolution: usize) -> Cost {
    let mut c = Counter::default();
    let mut h = same_out(resolution, 2);
    c.conv_bn(3, net.input_channels, net.stem_channels, 1, h);
    for layer in &net.layers {
        let out_h = same_out(h, layer.stride);
        let (cin, cout, k) = (layer.in_channels, layer.out_channels, layer.kernel);
        match layer.op {
            ConvOp::Conv => c.conv_bn(k, cin, cout, 1, out_h),
            ConvOp::DwConv => c.conv_bn(k, cin, cin, cin, out_h),
            ConvOp::MbConv(e) => {
                let mid = layer.inner_channels();
                if e != 1 {
                    c.conv_bn(1, cin, mid, 1, h);
                }
                c.conv_bn(k, mid, mid, mid, out_h);
            }
        }
        if let Some(reduced) = layer.se_channels() {
            let inner = layer.inner_channels();
            c.linear(inner, reduced);
            c.linear(reduced, inner);
        }
        if layer.op != ConvOp::Conv {
            c.conv_bn(1, layer.inner_channels(), cout, 1, out_h);
        }
        h = out_h;
    }
    let last = net
        .layers
        .last()
        .map_or(net.stem_channels, |l| l.out_channels);
    c.conv_bn(1, last, net.head_channels, 1, h);
    c.linear(net.head_channels, net.classes);
    Cost {
        macs: c.macs,
        params: c.params,
    }
}

#[derive(Default)]
struct Counter {
    macs: u64,
    params: u64,
}

impl Counter {
    /// A kxk conv without bias (`groups` = 1 dense, = channels depthwise) followed by BN
    /// (not counted, see the module doc), producing an `out_h x out_h` map.
    fn conv_bn(&mut self, k: usize, cin: usize, cout: usize, groups: usize, out_h: usize) {
        let weights = (k * k * (cin / groups.max(1)) * cout) as u64;
        self.params += weights;
        self.macs += weights * (out_h * out_h) as u64;
    }

    /// A dense layer with bias on a vector (the classifier, or a 1x1 SE conv after pooling).
    fn linear(&mut self, cin: usize, cout: usize) {
        let weights = (cin * cout) as u64;
        self.params += weights + cout as u64;
        self.macs += weights;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::net::{LayerSpec, SkipOp};

    fn net(layers: Vec<LayerSpec>) -> NetSpec {
        NetSpec {
            input_channels: 3,
            stem_channels: 8,
            layers,
            head_channels: 16,
            classes: 10,
        }
    }

    fn layer(
        op: ConvOp,
        kernel: usize,
        se_ratio: f32,
        cin: usize,
        cout: usize,
        stride: usize,
    ) -> LayerSpec {
        LayerSpec {
            op,
            kernel,
            se_ratio,
            skip: SkipOp::None,
            in_channels: cin,
            out_channels: cout,
            stride,
            block: 0,
        }
    }

    #[test]
    fn stem_head_classifier_by_hand() {
        // stem 3x3x3x8 at 16x16, head 8->16 at 16x16, fc 16->10 with bias.
        let c = cost(&net(vec![]), 32);
        assert_eq!(c.params, 216 + 128 + 170);
        assert_eq!(c.macs, 216 * 256 + 128 * 256 + 160);
    }

    #[test]
    fn mbconv_with_se_by_hand() {
        let c = cost(&net(vec![layer(ConvOp::MbConv(6), 3, 0.25, 8, 16, 2)]), 32);
        // expand 8->48 @16x16, dw 3x3x48 @8x8, SE 48->2->48 (+bias), project 48->16 @8x8,
        // head 16->16 @8x8, plus stem and fc.
        let params = 216 + 384 + 432 + (96 + 2) + (96 + 48) + 768 + 256 + 170;
        let macs = 55296 + 384 * 256 + 432 * 64 + 96 + 96 + 768 * 64 + 256 * 64 + 160;
        assert_eq!(c, Cost { macs, params });
    }

    #[test]
    fn conv_and_dwconv_with_odd_resolution_by_hand() {
        let layers = vec![
            layer(ConvOp::Conv, 5, 0.0, 8, 8, 2),
            layer(ConvOp::DwConv, 3, 0.5, 8, 12, 1),
        ];
        // 33 -> stem 17 -> conv s2 9 ("same": ceil).
        let c = cost(&net(layers), 33);
        let params = 216 + 1600 + 72 + (32 + 4) + (32 + 8) + 96 + 192 + 170;
        let macs = 216 * 289 + 1600 * 81 + 72 * 81 + 32 + 32 + 96 * 81 + 192 * 81 + 160;
        assert_eq!(c, Cost { macs, params });
    }

    #[test]
    fn equivalences() {
        // MbConv(1) has no expansion: it is a DwConv.
        let dw = cost(&net(vec![layer(ConvOp::DwConv, 5, 0.25, 8, 16, 2)]), 64);
        let mb1 = cost(&net(vec![layer(ConvOp::MbConv(1), 5, 0.25, 8, 16, 2)]), 64);
        assert_eq!(dw, mb1);
        // Skip paths cost nothing.
        let mut pooled = layer(ConvOp::MbConv(3), 3, 0.0, 8, 16, 2);
        pooled.skip = SkipOp::Pool;
        let plain = layer(ConvOp::MbConv(3), 3, 0.0, 8, 16, 2);
        assert_eq!(cost(&net(vec![pooled]), 64), cost(&net(vec![plain]), 64));
    }
}
