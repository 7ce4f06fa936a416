//! Decoding of an arch of an MnasNet-shaped space into a concrete [`NetSpec`].
//!
//! "MnasNet-shaped" means: globals `stem` and `head` (and `stem_stride`, if given, equal to 2
//! because `NetSpec`'s stem is fixed at stride 2); every block has base values `c` (channels),
//! `n` (layers) and `s` (stride) and decisions named `op`, `kernel`, `se`, `skip`, `filters`,
//! `layers` (any order) whose labels parse as below. The whole space is checked, not only the
//! chosen labels, so a space either decodes every valid arch or none.
//!
//! Rules: out channels = `c x filters` rounded to the nearest multiple of 8 (ties up), at least
//! 8 (the channel granularity of MobileNetV2/MnasNet; for c = 16: 0.75 -> 16, 1.25 -> 24);
//! layers = max(1, n + delta); the first layer of a block has stride `s` and maps the previous
//! width to the block width, the others stride 1 width to width.

use super::arch::Arch;
use super::definition::Space;
use super::error::SpaceError;
use super::net::{ConvOp, LayerSpec, NetSpec, SkipOp};
use super::schema::{Block, Decision};

/// Channel counts are multiples of this.
const CHANNEL_DIVISOR: usize = 8;

/// Turns `arch` (validated against `space`) into the network it denotes.
pub fn mnas_net(
    space: &Space,
    arch: &Arch,
    input_channels: usize,
    classes: usize,
) -> Result<NetSpec, SpaceError> {
    let blocks = interpret(space)?;
    space.validate(arch)?;
    let stem_channels = positive_int(space, space.global("stem"), "globals.stem")?;
    let head_channels = positive_int(space, space.global("head"), "globals.head")?;
    let mut layers = Vec::new();
    let mut in_channels = stem_channels;
    for (b, block) in blocks.iter().enumerate() {
        let tokens = &arch.tokens[space.block_decision_range(b)];
        // Indices are in range: `validate` passed and `interpret` keeps one entry per choice.
        let pick = |slot: usize| usize::from(tokens[block.slots[slot]]);
        let op = block.ops[pick(OP)];
        let kernel = block.kernels[pick(KERNEL)];
        let se_ratio = block.se[pick(SE)];
        let skip = block.skips[pick(SKIP)];
        let out_channels = round_filters(block.c as f64 * block.multipliers[pick(FILTERS)]);
        let count = (block.n as i64 + block.deltas[pick(LAYERS)]).max(1) as usize;
        for i in 0..count {
            let first = i == 0;
            layers.push(LayerSpec {
                op,
                kernel,
                se_ratio,
                skip,
                in_channels: if first { in_channels } else { out_channels },
                out_channels,
                stride: if first { block.s } else { 1 },
                block: b,
            });
        }
        in_channels = out_channels;
    }
    Ok(NetSpec {
        input_channels,
        stem_channels,
        layers,
        head_channels,
        classes,
    })
}

/// `value` rounded to the nearest multiple of 8 (ties up), at least 8.
pub fn round_filters(value: f64) -> usize {
    let d = CHANNEL_DIVISOR as f64;
    let rounded = ((value / d) + 0.5).floor() * d;
    // Non-negative and small: the cast is exact; NaN/negative fall to the minimum.
    (rounded.max(d)) as usize
}

/// Decision names the decoder needs, in slot order.
const NAMES: [&str; 6] = ["op", "kernel", "se", "skip", "filters", "layers"];
const OP: usize = 0;
const KERNEL: usize = 1;
const SE: usize = 2;
const SKIP: usize = 3;
const FILTERS: usize = 4;
const LAYERS: usize = 5;

/// One block with every choice label already interpreted.
struct BlockTable {
    c: usize,
    n: usize,
    s: usize,
    /// Position within the block of each decision in `NAMES` order.
    slots: [usize; 6],
    ops: Vec<ConvOp>,
    kernels: Vec<usize>,
    se: Vec<f32>,
    skips: Vec<SkipOp>,
    multipliers: Vec<f64>,
    deltas: Vec<i64>,
}

fn interpret(space: &Space) -> Result<Vec<BlockTable>, SpaceError> {
    positive_int(space, space.global("stem"), "globals.stem")?;
    positive_int(space, space.global("head"), "globals.head")?;
    if let Some(stride) = space.global("stem_stride") {
        if stride != 2.0 {
            return Err(shape(
                space,
                format!("globals.stem_stride is {stride}, must be 2"),
            ));
        }
    }
    space
        .blocks()
        .iter()
        .map(|b| interpret_block(space, b))
        .collect()
}

fn interpret_block(space: &Space, block: &Block) -> Result<BlockTable, SpaceError> {
    let base = |key: &str| {
        positive_int(
            space,
            block.base.get(key).copied(),
            &format!("block `{}` base.{key}", block.name),
        )
    };
    let mut slots = [0; 6];
    for (slot, name) in NAMES.iter().enumerate() {
        slots[slot] = block
            .decisions
            .iter()
            .position(|d| d.name == *name)
            .ok_or_else(|| {
                shape(
                    space,
                    format!("block `{}` has no decision `{name}`", block.name),
                )
            })?;
    }
    let decision = |slot: usize| &block.decisions[slots[slot]];
    Ok(BlockTable {
        c: base("c")?,
        n: base("n")?,
        s: base("s")?,
        ops: labels(space, block, decision(OP), parse_op)?,
        kernels: labels(space, block, decision(KERNEL), |l| {
            l.parse::<usize>().ok().filter(|k| k % 2 == 1)
        })?,
        se: labels(space, block, decision(SE), |l| {
            l.parse::<f32>().ok().filter(|r| (0.0..1.0).contains(r))
        })?,
        skips: labels(space, block, decision(SKIP), |l| match l {
            "none" => Some(SkipOp::None),
            "identity" => Some(SkipOp::Identity),
            "pool" => Some(SkipOp::Pool),
            _ => None,
        })?,
        multipliers: labels(space, block, decision(FILTERS), |l| {
            l.parse::<f64>().ok().filter(|m| m.is_finite() && *m > 0.0)
        })?,
        deltas: labels(space, block, decision(LAYERS), |l| l.parse::<i64>().ok())?,
        slots,
    })
}

/// "conv", "dwconv" or "mbconv<e>" with e >= 1.
fn parse_op(label: &str) -> Option<ConvOp> {
    match label {
        "conv" => Some(ConvOp::Conv),
        "dwconv" => Some(ConvOp::DwConv),
        other => other
            .strip_prefix("mbconv")?
            .parse::<u32>()
            .ok()
            .filter(|e| *e >= 1)
            .map(ConvOp::MbConv),
    }
}

/// Interprets every label of `decision`, naming the first one `parse` rejects.
fn labels<T>(
    space: &Space,
    block: &Block,
    decision: &Decision,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, SpaceError> {
    decision
        .choices
        .iter()
        .map(|label| {
            parse(label).ok_or_else(|| {
                shape(
                    space,
                    format!(
                        "block `{}` decision `{}`: label `{label}` is not understood",
                        block.name, decision.name
                    ),
                )
            })
        })
        .collect()
}

fn positive_int(space: &Space, value: Option<f64>, what: &str) -> Result<usize, SpaceError> {
    match value {
        None => Err(shape(space, format!("{what} is missing"))),
        Some(v) if v >= 1.0 && v.fract() == 0.0 && v < 1e9 => Ok(v as usize),
        Some(v) => Err(shape(
            space,
            format!("{what} is {v}, must be a positive integer"),
        )),
    }
}

fn shape(space: &Space, reason: String) -> SpaceError {
    SpaceError::Shape {
        space: space.name().to_string(),
        decoder: "mnas".to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mnas() -> Space {
        Space::builtin("mnas").expect("built-in mnas space parses")
    }

    /// Tokens of the baseline choice: mbconv6, k3, no SE, identity, x1.0, +0.
    const BASELINE: [u8; 6] = [3, 0, 0, 1, 1, 1];

    fn per_block(net: &NetSpec, b: usize) -> Vec<&LayerSpec> {
        net.layers.iter().filter(|l| l.block == b).collect()
    }

    #[test]
    fn baseline_decodes_to_the_mobilenet_v2_skeleton() {
        let s = mnas();
        let net = mnas_net(&s, &Arch::new(BASELINE.repeat(7)), 3, 10).unwrap();
        assert_eq!((net.input_channels, net.classes), (3, 10));
        assert_eq!((net.stem_channels, net.head_channels), (32, 1280));
        let counts: Vec<usize> = (0..7).map(|b| per_block(&net, b).len()).collect();
        assert_eq!(counts, [1, 2, 3, 4, 3, 3, 1]);
        let widths = [16, 24, 32, 64, 96, 160, 320];
        let strides = [1, 2, 2, 2, 1, 2, 1];
        let mut prev = 32;
        for b in 0..7 {
            for (i, l) in per_block(&net, b).into_iter().enumerate() {
                assert_eq!(l.op, ConvOp::MbConv(6));
                assert_eq!((l.kernel, l.se_ratio, l.skip), (3, 0.0, SkipOp::Identity));
                assert_eq!(l.out_channels, widths[b]);
                let (cin, stride) = if i == 0 {
                    (prev, strides[b])
                } else {
                    (widths[b], 1)
                };
                assert_eq!(
                    (l.in_channels, l.stride),
                    (cin, stride),
                    "block {b} layer {i}"
                );
            }
            prev = widths[b];
        }
    }

    #[test]
    fn choices_map_to_layers() {
        let s = mnas();
        let mut tokens = BASELINE.repeat(7);
        tokens[0..6].copy_from_slice(&[0, 1, 1, 2, 0, 0]); // conv k5 se pool x0.75 n-1
        tokens[6..12].copy_from_slice(&[1, 0, 0, 0, 0, 2]); // dwconv, none, x0.75, n+1
        tokens[18..24].copy_from_slice(&[2, 1, 1, 1, 2, 2]); // mbconv3 k5 se x1.25 n+1
        let net = mnas_net(&s, &Arch::new(tokens), 3, 1000).unwrap();

        let b1 = per_block(&net, 0);
        assert_eq!(b1.len(), 1); // 1 - 1 clamps to 1
        assert_eq!((b1[0].op, b1[0].kernel), (ConvOp::Conv, 5));
        assert_eq!((b1[0].se_ratio, b1[0].skip), (0.25, SkipOp::Pool));
        assert_eq!(b1[0].out_channels, 16); // 16 x 0.75 = 12 rounds (tie) up to 16

        let b2 = per_block(&net, 1);
        assert_eq!(b2.len(), 3);
        assert_eq!((b2[0].op, b2[0].skip), (ConvOp::DwConv, SkipOp::None));
        assert_eq!(b2[0].out_channels, 16); // 24 x 0.75 = 18 -> 16
        assert_eq!(b2[0].in_channels, 16);

        let b4 = per_block(&net, 3);
        assert_eq!(b4.len(), 5);
        assert_eq!((b4[0].op, b4[0].kernel), (ConvOp::MbConv(3), 5));
        assert_eq!(b4[0].out_channels, 80); // 64 x 1.25
        assert_eq!(b4[0].in_channels, 32);
        assert_eq!(per_block(&net, 4)[0].in_channels, 80);
    }

    #[test]
    fn filter_rounding() {
        assert_eq!(round_filters(12.0), 16);
        assert_eq!(round_filters(18.0), 16);
        assert_eq!(round_filters(20.0), 24);
        assert_eq!(round_filters(30.0), 32);
        assert_eq!(round_filters(72.0), 72);
        assert_eq!(round_filters(3.0), 8);
        assert_eq!(round_filters(400.0), 400);
    }

    #[test]
    fn invalid_arch_is_rejected() {
        let s = mnas();
        assert!(matches!(
            mnas_net(&s, &Arch::new(vec![0; 40]), 3, 10),
            Err(SpaceError::ArchLength { .. })
        ));
        let mut tokens = BASELINE.repeat(7);
        tokens[40] = 7;
        let err = mnas_net(&s, &Arch::new(tokens), 3, 10).unwrap_err();
        assert!(err.to_string().contains("b7.filters"), "{err}");
    }

    #[test]
    fn non_mnas_spaces_are_rejected_with_a_reason() {
        let nb = "name = \"nb\"\n[[decisions]]\nname = \"op\"\nchoices = [\"a\", \"b\"]\n\
                  [[blocks]]\nname = \"e0\"\n";
        let s = Space::from_toml_str(nb, "nb").unwrap();
        let err = mnas_net(&s, &Arch::new(vec![0]), 3, 10).unwrap_err();
        assert!(matches!(err, SpaceError::Shape { .. }), "{err}");
        assert!(err.to_string().contains("globals.stem"), "{err}");

        let text = include_str!("../../schema/spaces/mnas.toml");
        let arch = Arch::new(BASELINE.repeat(7));
        for (from, to, needle) in [
            ("head = 1280", "", "globals.head"),
            ("stem_stride = 2", "stem_stride = 1", "stem_stride"),
            ("c = 64, ", "", "block `b4` base.c"),
            ("\"3\", \"5\"", "\"3\", \"4\"", "label `4`"),
            ("\"mbconv6\"", "\"mbconv\"", "label `mbconv`"),
            ("name = \"se\"", "name = \"squeeze\"", "no decision `se`"),
        ] {
            assert!(text.contains(from), "fixture text lacks {from}");
            let s = Space::from_toml_str(&text.replacen(from, to, 1), "edited").unwrap();
            let err = mnas_net(&s, &arch, 3, 10).unwrap_err();
            assert!(matches!(err, SpaceError::Shape { .. }), "{err}");
            assert!(err.to_string().contains(needle), "`{err}` lacks `{needle}`");
        }
    }
}
