//! The proxy network as tch variables plus a fallible forward pass, built from a
//! [`NetPlan`]. Layers (see [`super::layers`]) hold their tensors directly rather than
//! using `nn::Conv2D`/`BatchNorm`, so that (a) creation draws nothing from tch's global RNG
//! (every variable starts as a constant and [`super::init`] overwrites it
//! deterministically) and (b) the forward pass uses the `f_` ops and returns libtorch
//! errors instead of panicking.
//!
//! Parameter names (one VarStore path per searchable block, for per-block weights):
//! `stem.{conv,bn}.*`, `b{block}.l{index}.{conv,expand,dw,se,project}.*`, `head.{conv,bn}.*`,
//! `fc.{weight,bias}`; a conv+BN unit `u` has `u.conv.weight`, `u.bn.{weight,bias,
//! running_mean,running_var}`; SE has `se.reduce.{weight,bias}`, `se.expand.{weight,bias}`.

use tch::{nn, Kind, Tensor};

use crate::space::net::NetSpec;

use super::config::ProxyConfig;
use super::error::TrainError;
use super::layers::{ConvBn, Layer};
use super::plan::{plan_net, InputShape, NetPlan};

/// VarStore path prefix of a searchable block's parameters (`b{block}`).
pub fn block_prefix(block: usize) -> String {
    format!("b{block}")
}

/// A proxy network: stem, body layers, head, global average pool, linear classifier.
#[derive(Debug)]
pub struct ProxyNet {
    plan: NetPlan,
    stem: ConvBn,
    layers: Vec<Layer>,
    head: ConvBn,
    fc_weight: Tensor,
    fc_bias: Tensor,
}

impl ProxyNet {
    /// Creates the variables of `spec` (resolved for `input` by `cfg`) under `root`.
    /// All variables start constant; call [`super::init::init_deterministic`] next.
    pub fn build(
        root: &nn::Path,
        spec: &NetSpec,
        input: &InputShape,
        cfg: &ProxyConfig,
    ) -> Result<Self, TrainError> {
        let plan = plan_net(spec, input, cfg)?;
        let stem = ConvBn::new(
            &(root / "stem"),
            input.channels,
            plan.stem_channels,
            3,
            plan.stem_stride,
            1,
            true,
        );
        let layers = plan
            .layers
            .iter()
            .map(|l| Layer::new(&(root / block_prefix(l.block) / format!("l{}", l.index)), l))
            .collect();
        let last = plan
            .layers
            .last()
            .map_or(plan.stem_channels, |l| l.out_channels);
        let head = ConvBn::new(&(root / "head"), last, plan.head_channels, 1, 1, 1, true);
        let fc = root / "fc";
        let fc_weight = fc.zeros("weight", &[input.classes as i64, plan.head_channels as i64]);
        let fc_bias = fc.zeros("bias", &[input.classes as i64]);
        Ok(ProxyNet {
            plan,
            stem,
            layers,
            head,
            fc_weight,
            fc_bias,
        })
    }

    /// Names of the batch-norm scales that close a layer with a skip path (the last
    /// conv+BN of its main path). Zeroing them makes each such layer start as its skip.
    pub fn residual_scale_names(&self) -> Vec<String> {
        self.layers
            .iter()
            .filter_map(Layer::residual_scale_name)
            .collect()
    }

    /// The resolved shapes this network was built from.
    pub fn plan(&self) -> &NetPlan {
        &self.plan
    }

    /// Logits `[N, classes]` for images `[N, C, H, W]`; `train` selects batch statistics
    /// (and running-stat updates) versus running statistics in batch norm.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor, TrainError> {
        let mut y = self.stem.forward(x, train)?;
        for layer in &self.layers {
            y = layer.forward(&y, train)?;
        }
        let y = self.head.forward(&y, train)?;
        let y = y.f_mean_dim([2i64, 3].as_slice(), false, Kind::Float)?;
        Ok(y.f_linear(&self.fc_weight, Some(&self.fc_bias))?)
    }
}
