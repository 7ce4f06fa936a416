//! Shared helpers of the train_* integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use fnas::space::net::{ConvOp, LayerSpec, NetSpec, SkipOp};

/// /work/shared/data resolved relative to the crate (../shared/data), or None with a
/// printed reason so data-dependent tests skip instead of failing on other machines.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: {} is absent", dir.display());
        None
    }
}

/// A NetSpec from MobileNetV2-style (t, c, n, s) rows: MBConv(t) 3x3 (Conv when t == 0),
/// identity skips, one searchable block per row.
pub fn from_rows(stem: usize, rows: &[(u32, usize, usize, usize)], head: usize) -> NetSpec {
    let mut layers = Vec::new();
    let mut cin = stem;
    for (block, &(t, c, n, s)) in rows.iter().enumerate() {
        for i in 0..n {
            layers.push(LayerSpec {
                op: if t == 0 {
                    ConvOp::Conv
                } else {
                    ConvOp::MbConv(t)
                },
                kernel: 3,
                se_ratio: 0.0,
                skip: SkipOp::Identity,
                in_channels: cin,
                out_channels: c,
                stride: if i == 0 { s } else { 1 },
                block,
            });
            cin = c;
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

/// MobileNetV2 (stem 32, 7 blocks, head 1280).
pub fn mobilenet_v2() -> NetSpec {
    from_rows(
        32,
        &[
            (1, 16, 1, 1),
            (6, 24, 2, 2),
            (6, 32, 3, 2),
            (6, 64, 4, 2),
            (6, 96, 3, 1),
            (6, 160, 3, 2),
            (6, 320, 1, 1),
        ],
        1280,
    )
}

/// A deliberately weak network: one plain 3x3 conv block of 8 channels, tiny head.
pub fn tiny_net() -> NetSpec {
    from_rows(8, &[(0, 8, 1, 2)], 16)
}

/// MobileNetV2's skeleton with every layer's op, kernel, SE ratio and skip replaced.
pub fn mbv2_variant(op: ConvOp, kernel: usize, se_ratio: f32, skip: SkipOp) -> NetSpec {
    let mut spec = mobilenet_v2();
    for l in &mut spec.layers {
        l.op = op;
        l.kernel = kernel;
        l.se_ratio = se_ratio;
        l.skip = skip;
    }
    spec
}
