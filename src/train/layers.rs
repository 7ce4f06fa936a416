//! The building blocks of a proxy network: conv+BN(+ReLU) units, squeeze-and-excitation,
//! and body layers (main path + skip), each holding its tensors directly and running a
//! fallible forward pass (`f_` ops: libtorch errors become `TchError`, never panics).
//!
//! Variables are created as constants (zeros/ones), never from tch's global RNG;
//! [`super::init`] overwrites them deterministically afterwards.

use tch::{nn, Kind, TchError, Tensor};

use crate::space::net::ConvOp;

use super::plan::{LayerPlan, SkipPlan};

const BN_EPS: f64 = 1e-5;
const BN_MOMENTUM: f64 = 0.1;

/// kxk conv (no bias) + batch norm, optionally followed by ReLU.
#[derive(Debug)]
pub(crate) struct ConvBn {
    weight: Tensor,
    bn_weight: Tensor,
    bn_bias: Tensor,
    running_mean: Tensor,
    running_var: Tensor,
    stride: i64,
    padding: i64,
    groups: i64,
    relu: bool,
    /// Full name of the batch-norm scale (for zero-init of residual layers).
    scale_name: String,
}

impl ConvBn {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        p: &nn::Path,
        cin: usize,
        cout: usize,
        k: usize,
        stride: usize,
        groups: usize,
        relu: bool,
    ) -> Self {
        let (cin, cout, k) = (cin as i64, cout as i64, k as i64);
        let groups = groups as i64;
        let bn = p / "bn";
        ConvBn {
            weight: (p / "conv").zeros("weight", &[cout, cin / groups, k, k]),
            bn_weight: bn.ones("weight", &[cout]),
            bn_bias: bn.zeros("bias", &[cout]),
            running_mean: bn.zeros_no_train("running_mean", &[cout]),
            running_var: bn.ones_no_train("running_var", &[cout]),
            stride: stride as i64,
            padding: k / 2,
            groups,
            relu,
            scale_name: bn.path("weight"),
        }
    }

    pub(crate) fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor, TchError> {
        let y = self.conv(x)?;
        let y = self.batch_norm(&y, train)?;
        if self.relu {
            y.f_relu()
        } else {
            Ok(y)
        }
    }
}

impl ConvBn {
    /// Batch norm. Maps of 2-4 pixels are normalised as a `[N*H*W, C]` matrix instead:
    /// libtorch's NCHW backward kernel vectorises over H*W and crawls on such maps (2x2
    /// is common after the stride clamp), while the 2-d path does not (2.8x faster for
    /// [32, 240, 2, 2], slower on larger maps). The result is returned as a channels-last
    /// view without copying back, which the following convs take without reorders:
    /// MobileNetV2 on digits went from ~4.5 s to ~2.5 s. Same statistics either way.
    fn batch_norm(&self, y: &Tensor, train: bool) -> Result<Tensor, TchError> {
        let size = y.size();
        let (n, c, h, w) = (size[0], size[1], size[2], size[3]);
        let small = (2..=4).contains(&(h * w));
        let input = if small {
            y.f_permute([0, 2, 3, 1])?.f_reshape([n * h * w, c])?
        } else {
            y.shallow_clone()
        };
        let out = input.f_batch_norm(
            Some(&self.bn_weight),
            Some(&self.bn_bias),
            Some(&self.running_mean),
            Some(&self.running_var),
            train,
            BN_MOMENTUM,
            BN_EPS,
            false,
        )?;
        if small {
            out.f_view([n, h, w, c])?.f_permute([0, 3, 1, 2])
        } else {
            Ok(out)
        }
    }

    /// The convolution. Depthwise convs on maps smaller than the kernel are padded
    /// explicitly: oneDNN's fast depthwise backward-weights kernel rejects such implicit
    /// padding and falls back to a per-group GEMM that was measured 10-40x slower
    /// (e.g. 3x3 on 2x2 maps, common after the stride clamp). Same result either way.
    fn conv(&self, x: &Tensor) -> Result<Tensor, TchError> {
        let size = x.size();
        let k = self.weight.size()[3];
        let small = size[2].min(size[3]) < k;
        let (x, padding) = if self.groups > 1 && small && self.padding > 0 {
            let p = self.padding;
            (x.f_constant_pad_nd([p, p, p, p].as_slice())?, 0)
        } else {
            (x.shallow_clone(), self.padding)
        };
        x.f_conv2d::<&Tensor>(
            &self.weight,
            None,
            [self.stride, self.stride],
            [padding, padding],
            [1, 1],
            self.groups,
        )
    }
}

/// Squeeze-and-excitation: global pool, 1x1 reduce + ReLU, 1x1 expand + sigmoid, scale.
#[derive(Debug)]
struct Se {
    reduce_w: Tensor,
    reduce_b: Tensor,
    expand_w: Tensor,
    expand_b: Tensor,
}

impl Se {
    fn new(p: &nn::Path, channels: usize, reduced: usize) -> Self {
        let (c, r) = (channels as i64, reduced as i64);
        let (reduce, expand) = (p / "reduce", p / "expand");
        Se {
            reduce_w: reduce.zeros("weight", &[r, c, 1, 1]),
            reduce_b: reduce.zeros("bias", &[r]),
            expand_w: expand.zeros("weight", &[c, r, 1, 1]),
            expand_b: expand.zeros("bias", &[c]),
        }
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor, TchError> {
        let s = x.f_mean_dim([2i64, 3].as_slice(), true, Kind::Float)?;
        let s = s
            .f_conv2d(
                &self.reduce_w,
                Some(&self.reduce_b),
                [1, 1],
                [0, 0],
                [1, 1],
                1,
            )?
            .f_relu()?;
        let s = s
            .f_conv2d(
                &self.expand_w,
                Some(&self.expand_b),
                [1, 1],
                [0, 0],
                [1, 1],
                1,
            )?
            .f_sigmoid()?;
        x.f_mul(&s)
    }
}

/// A stage of a layer's main path.
#[derive(Debug)]
enum Part {
    ConvBn(ConvBn),
    Se(Se),
}

/// One body layer: main path parts in order, then the skip.
#[derive(Debug)]
pub(crate) struct Layer {
    parts: Vec<Part>,
    skip: SkipPlan,
    stride: i64,
    out_channels: i64,
}

impl Layer {
    pub(crate) fn new(p: &nn::Path, l: &LayerPlan) -> Self {
        let k = l.kernel;
        let se = |parts: &mut Vec<Part>| {
            if let Some(r) = l.se_channels {
                parts.push(Part::Se(Se::new(&(p / "se"), l.mid_channels, r)));
            }
        };
        let mut parts = Vec::new();
        match l.op {
            ConvOp::Conv => {
                parts.push(Part::ConvBn(ConvBn::new(
                    &(p / "conv"),
                    l.in_channels,
                    l.out_channels,
                    k,
                    l.stride,
                    1,
                    true,
                )));
                se(&mut parts);
            }
            ConvOp::DwConv => {
                let c = l.in_channels;
                parts.push(Part::ConvBn(ConvBn::new(
                    &(p / "dw"),
                    c,
                    c,
                    k,
                    l.stride,
                    c,
                    true,
                )));
                se(&mut parts);
                parts.push(Part::ConvBn(ConvBn::new(
                    &(p / "project"),
                    c,
                    l.out_channels,
                    1,
                    1,
                    1,
                    false,
                )));
            }
            ConvOp::MbConv(e) => {
                let mid = l.mid_channels;
                if e != 1 {
                    parts.push(Part::ConvBn(ConvBn::new(
                        &(p / "expand"),
                        l.in_channels,
                        mid,
                        1,
                        1,
                        1,
                        true,
                    )));
                }
                parts.push(Part::ConvBn(ConvBn::new(
                    &(p / "dw"),
                    mid,
                    mid,
                    k,
                    l.stride,
                    mid,
                    true,
                )));
                se(&mut parts);
                parts.push(Part::ConvBn(ConvBn::new(
                    &(p / "project"),
                    mid,
                    l.out_channels,
                    1,
                    1,
                    1,
                    false,
                )));
            }
        }
        Layer {
            parts,
            skip: l.skip,
            stride: l.stride as i64,
            out_channels: l.out_channels as i64,
        }
    }

    /// Name of the batch-norm scale closing the main path (the last conv+BN), if the
    /// layer has a skip: zeroing it makes the layer start as its skip path.
    pub(crate) fn residual_scale_name(&self) -> Option<String> {
        if self.skip == SkipPlan::None {
            return None;
        }
        self.parts.iter().rev().find_map(|p| match p {
            Part::ConvBn(c) => Some(c.scale_name.clone()),
            Part::Se(_) => None,
        })
    }

    pub(crate) fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor, TchError> {
        let mut y = x.shallow_clone();
        for part in &self.parts {
            y = match part {
                Part::ConvBn(c) => c.forward(&y, train)?,
                Part::Se(s) => s.forward(&y)?,
            };
        }
        match self.skip {
            SkipPlan::None => Ok(y),
            SkipPlan::Identity => y.f_add(x),
            SkipPlan::Pool => y.f_add(&self.pool_skip(x)?),
        }
    }

    /// Average-pool by the stride (ceil mode, so sizes match the conv path), then
    /// zero-pad or truncate channels to the output width.
    fn pool_skip(&self, x: &Tensor) -> Result<Tensor, TchError> {
        let s = self.stride;
        let pooled = if s > 1 {
            x.f_avg_pool2d([s, s], [s, s], [0, 0], true, false, None::<i64>)?
        } else {
            x.shallow_clone()
        };
        let cin = pooled.size()[1];
        let cout = self.out_channels;
        if cout > cin {
            pooled.f_constant_pad_nd([0i64, 0, 0, 0, 0, cout - cin].as_slice())
        } else if cout < cin {
            pooled.f_narrow(1, 0, cout)
        } else {
            Ok(pooled)
        }
    }
}
