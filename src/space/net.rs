//! A concrete network description, independent of any search space: the MnasNet space
//! decodes an `Arch` into it, published reference networks (MobileNetV2, MnasNet-A1) are
//! written in it directly, the cost model counts it and the trainer instantiates it.

use serde::{Deserialize, Serialize};

/// The operator of one layer. `DwConv` is a depthwise-separable conv (depthwise kxk then a
/// linear 1x1 projection); `MbConv(e)` is the inverted bottleneck with expansion ratio e.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConvOp {
    Conv,
    DwConv,
    MbConv(u32),
}

/// The skip path of a layer. `Identity` applies only where shapes match (stride 1 and
/// in == out channels), otherwise it acts as `None`. `Pool` is a parameter-free residual:
/// average-pool by the stride, channels zero-padded or truncated to the output width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipOp {
    None,
    Identity,
    Pool,
}

/// One layer of the network body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerSpec {
    pub op: ConvOp,
    pub kernel: usize,
    /// Squeeze-and-excitation ratio relative to the layer's input channels; 0 = no SE.
    pub se_ratio: f32,
    pub skip: SkipOp,
    pub in_channels: usize,
    pub out_channels: usize,
    pub stride: usize,
    /// Index of the searchable block this layer belongs to (for per-block weights).
    pub block: usize,
}

/// Stem (3x3 conv, stride 2) -> layers -> head (1x1 conv) -> global pool -> linear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetSpec {
    pub input_channels: usize,
    pub stem_channels: usize,
    pub layers: Vec<LayerSpec>,
    pub head_channels: usize,
    pub classes: usize,
}

impl LayerSpec {
    /// Width of the layer's inner feature map, where squeeze-and-excitation acts: the
    /// expanded width `in x e` for `MbConv(e)`, the input width for `DwConv` (after the
    /// depthwise conv, before the projection) and the output width for `Conv`. Shared by the
    /// trainer and the cost model so both build the same network.
    pub fn inner_channels(&self) -> usize {
        match self.op {
            ConvOp::Conv => self.out_channels,
            ConvOp::DwConv => self.in_channels,
            ConvOp::MbConv(e) => self.in_channels * e as usize,
        }
    }

    /// Bottleneck width of the SE unit, `max(1, floor(in_channels x se_ratio))` as in
    /// MnasNet/EfficientNet; `None` when the layer has no SE (`se_ratio <= 0`).
    pub fn se_channels(&self) -> Option<usize> {
        if self.se_ratio > 0.0 {
            // Truncation is the published rule; in_channels x ratio is small and non-negative.
            Some(((self.in_channels as f64 * f64::from(self.se_ratio)).floor() as usize).max(1))
        } else {
            None
        }
    }

    /// Whether the identity skip really applies (shapes match: stride 1 and in == out).
    pub fn has_identity(&self) -> bool {
        self.skip == SkipOp::Identity && self.stride == 1 && self.in_channels == self.out_channels
    }
}

/// Output side of a "same"-padded conv: `ceil(size / stride)`.
pub fn same_out(size: usize, stride: usize) -> usize {
    size.div_ceil(stride.max(1))
}
