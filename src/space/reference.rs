//! Published reference networks written as explicit block lists: they anchor the cost model
//! to known figures (tests/space_cost.rs) and serve as baselines in reports.

use super::net::{ConvOp, LayerSpec, NetSpec, SkipOp};

/// One stage of a reference network: `repeats` layers of the same op, the first strided.
struct Stage {
    op: ConvOp,
    kernel: usize,
    se_ratio: f32,
    out: usize,
    repeats: usize,
    stride: usize,
}

const fn stage(
    op: ConvOp,
    kernel: usize,
    se_ratio: f32,
    out: usize,
    repeats: usize,
    stride: usize,
) -> Stage {
    Stage {
        op,
        kernel,
        se_ratio,
        out,
        repeats,
        stride,
    }
}

/// MobileNetV2 1.0 (Sandler et al., 2018) at 1000 classes: published ~300M MACs, 3.4M params.
pub fn mobilenet_v2() -> NetSpec {
    use ConvOp::MbConv;
    build(
        32,
        &[
            stage(MbConv(1), 3, 0.0, 16, 1, 1),
            stage(MbConv(6), 3, 0.0, 24, 2, 2),
            stage(MbConv(6), 3, 0.0, 32, 3, 2),
            stage(MbConv(6), 3, 0.0, 64, 4, 2),
            stage(MbConv(6), 3, 0.0, 96, 3, 1),
            stage(MbConv(6), 3, 0.0, 160, 3, 2),
            stage(MbConv(6), 3, 0.0, 320, 1, 1),
        ],
        1280,
    )
}

/// MnasNet-A1 (Tan et al., 2019) at 1000 classes: published 312M MACs, 3.9M params.
pub fn mnasnet_a1() -> NetSpec {
    use ConvOp::{DwConv, MbConv};
    build(
        32,
        &[
            stage(DwConv, 3, 0.0, 16, 1, 1),
            stage(MbConv(6), 3, 0.0, 24, 2, 2),
            stage(MbConv(3), 5, 0.25, 40, 3, 2),
            stage(MbConv(6), 3, 0.0, 80, 4, 2),
            stage(MbConv(6), 3, 0.25, 112, 2, 1),
            stage(MbConv(6), 5, 0.25, 160, 3, 2),
            stage(MbConv(6), 3, 0.0, 320, 1, 1),
        ],
        1280,
    )
}

/// RGB input, ImageNet classes, identity skips exactly where shapes match; stage i = block i.
fn build(stem: usize, stages: &[Stage], head: usize) -> NetSpec {
    let mut layers = Vec::new();
    let mut in_channels = stem;
    for (block, s) in stages.iter().enumerate() {
        for i in 0..s.repeats {
            let stride = if i == 0 { s.stride } else { 1 };
            let skip = if stride == 1 && in_channels == s.out {
                SkipOp::Identity
            } else {
                SkipOp::None
            };
            layers.push(LayerSpec {
                op: s.op,
                kernel: s.kernel,
                se_ratio: s.se_ratio,
                skip,
                in_channels,
                out_channels: s.out,
                stride,
                block,
            });
            in_channels = s.out;
        }
    }
    NetSpec {
        input_channels: 3,
        stem_channels: stem,
        layers,
        head_channels: head,
        classes: 1000,
    }
}
