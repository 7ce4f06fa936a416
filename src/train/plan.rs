//! The proxy network's concrete shape: a full-size `NetSpec` (written for 224x224 ImageNet)
//! resolved against a small dataset and a `ProxyConfig` into per-layer channels, effective
//! strides and feature-map sizes. Separate from the builder so the shapes can be inspected
//! (and tested, and used to match stored block weights) without creating any tensor.
//!
//! Rules:
//! * input channels and classes come from the dataset, not from the spec;
//! * channels c -> `max(4, round(c * width_mult))`; MBConv expansion = scaled input x e;
//!   SE reduced width = `max(1, floor(scaled_input * se_ratio))`;
//! * stem: stride 2 only if the input's smaller side >= `stem_stride_min_input` and the
//!   result stays >= `min_feature`, else stride 1;
//! * body: a layer of stride s > 1 runs at stride 1 when `ceil(side / s) < min_feature`
//!   (side = the smaller side of its input map). Later layers are clamped first in
//!   effect, since the map only shrinks: e.g. MobileNetV2 on 8x8 digits: stem s1 (8x8),
//!   blocks 2 and 3 downsample to 4x4 and 2x2, blocks 4 and 6 are clamped to stride 1;
//!   on 28x28 MNIST: stem 14x14, blocks 2, 3, 4 -> 7, 4, 2, block 6 clamped;
//! * an `Identity` skip is used only where the effective stride is 1 and in == out
//!   channels (else no skip); a `Pool` skip is always used (parameter-free).

use serde::{Deserialize, Serialize};

use crate::space::net::{ConvOp, NetSpec, SkipOp};

use super::config::ProxyConfig;
use super::error::TrainError;

/// What the dataset imposes on the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputShape {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub classes: usize,
}

/// The skip path as actually built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipPlan {
    None,
    Identity,
    Pool,
}

/// One body layer, resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerPlan {
    /// Searchable block of the spec, and the layer's index inside it (parameter names
    /// are `b{block}.l{index}.*`).
    pub block: usize,
    pub index: usize,
    pub op: ConvOp,
    pub kernel: usize,
    /// Stride of the spec and the stride actually used after the clamp.
    pub spec_stride: usize,
    pub stride: usize,
    pub in_channels: usize,
    /// Channels the depthwise conv (and SE) run on: expanded for MBConv, the input
    /// channels for DwConv, the output channels for Conv.
    pub mid_channels: usize,
    pub out_channels: usize,
    /// Reduced SE width, or None without SE.
    pub se_channels: Option<usize>,
    pub skip: SkipPlan,
    /// Input and output map sizes (height, width).
    pub in_size: (usize, usize),
    pub out_size: (usize, usize),
}

/// The whole proxy network, resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetPlan {
    pub input: InputShape,
    pub stem_channels: usize,
    pub stem_stride: usize,
    pub stem_size: (usize, usize),
    pub layers: Vec<LayerPlan>,
    pub head_channels: usize,
    /// Map size entering global pooling.
    pub final_size: (usize, usize),
}

/// Resolves `spec` for `input` under `cfg`'s shrink rules; errors name the bad layer.
pub fn plan_net(
    spec: &NetSpec,
    input: &InputShape,
    cfg: &ProxyConfig,
) -> Result<NetPlan, TrainError> {
    cfg.validate()?;
    check_input(input)?;
    check_spec(spec)?;
    let side = input.height.min(input.width);
    let stem_stride = if side >= cfg.stem_stride_min_input && side.div_ceil(2) >= cfg.min_feature {
        2
    } else {
        1
    };
    let stem_size = down(input.height, input.width, stem_stride);
    let stem_channels = cfg.scale_channels(spec.stem_channels);
    let mut size = stem_size;
    let mut channels = stem_channels;
    let mut layers = Vec::with_capacity(spec.layers.len());
    let mut index_in_block = std::collections::BTreeMap::new();
    for l in &spec.layers {
        let index = index_in_block.entry(l.block).or_insert(0usize);
        let stride = if l.stride > 1 && size.0.min(size.1).div_ceil(l.stride) < cfg.min_feature {
            1
        } else {
            l.stride
        };
        let out_channels = cfg.scale_channels(l.out_channels);
        let mid_channels = match l.op {
            ConvOp::Conv => out_channels,
            ConvOp::DwConv => channels,
            ConvOp::MbConv(e) => channels * e as usize,
        };
        let se_channels = (l.se_ratio > 0.0)
            .then(|| ((channels as f64 * f64::from(l.se_ratio)).floor() as usize).max(1));
        let skip = match l.skip {
            SkipOp::None => SkipPlan::None,
            SkipOp::Identity if stride == 1 && channels == out_channels => SkipPlan::Identity,
            SkipOp::Identity => SkipPlan::None,
            SkipOp::Pool => SkipPlan::Pool,
        };
        let out_size = down(size.0, size.1, stride);
        layers.push(LayerPlan {
            block: l.block,
            index: *index,
            op: l.op,
            kernel: l.kernel,
            spec_stride: l.stride,
            stride,
            in_channels: channels,
            mid_channels,
            out_channels,
            se_channels,
            skip,
            in_size: size,
            out_size,
        });
        *index += 1;
        size = out_size;
        channels = out_channels;
    }
    Ok(NetPlan {
        input: *input,
        stem_channels,
        stem_stride,
        stem_size,
        layers,
        head_channels: cfg.scale_channels(spec.head_channels),
        final_size: size,
    })
}

/// Output size of a same-padded conv (odd kernel, padding k/2) or a ceil-mode pool.
fn down(h: usize, w: usize, stride: usize) -> (usize, usize) {
    (h.div_ceil(stride), w.div_ceil(stride))
}

fn check_input(input: &InputShape) -> Result<(), TrainError> {
    if input.channels == 0 || input.height == 0 || input.width == 0 || input.classes < 2 {
        return Err(TrainError::Incompatible {
            reason: format!("dataset shape {input:?} cannot feed a network"),
        });
    }
    Ok(())
}

/// Structural checks the builder relies on; each message names the layer.
fn check_spec(spec: &NetSpec) -> Result<(), TrainError> {
    let bad = |reason: String| Err(TrainError::InvalidNet { reason });
    if spec.stem_channels == 0 || spec.head_channels == 0 {
        return bad("stem and head channels must be positive".to_string());
    }
    let mut prev = spec.stem_channels;
    for (i, l) in spec.layers.iter().enumerate() {
        let at = format!("layer {i} (block {})", l.block);
        if l.in_channels != prev {
            return bad(format!(
                "{at}: in_channels {} but the previous layer outputs {prev}",
                l.in_channels
            ));
        }
        if l.out_channels == 0 {
            return bad(format!("{at}: out_channels must be positive"));
        }
        if l.kernel == 0 || l.kernel % 2 == 0 {
            return bad(format!("{at}: kernel {} must be odd", l.kernel));
        }
        if l.stride == 0 {
            return bad(format!("{at}: stride must be at least 1"));
        }
        if let ConvOp::MbConv(0) = l.op {
            return bad(format!("{at}: MBConv expansion must be at least 1"));
        }
        if !(l.se_ratio.is_finite() && (0.0..=1.0).contains(&l.se_ratio)) {
            return bad(format!("{at}: se_ratio {} must be in [0, 1]", l.se_ratio));
        }
        prev = l.out_channels;
    }
    Ok(())
}
