//! Which part of a network is which, and its pool key.
//!
//! Parts (schema/events.md): 0 = stem, 1..=B = searchable block b-1, B+1 = head. A block's key
//! is [`Space::block_embedding`] (its decisions one-hot plus its position one-hot) as 0/1
//! bytes. The stem and the head have no decisions of their own, so their key is the single
//! byte `[1]`: every stem matches every stored stem exactly (likewise heads), and shape
//! differences (e.g. the head's input width, which follows the last block's filters) are
//! left to [`super::adapt`].

use crate::space::{Arch, Space};

/// Number of parts of a network of `space`: stem, one per block, head.
pub fn num_parts(space: &Space) -> u32 {
    space.num_blocks() as u32 + 2
}

/// Part number of the head.
pub fn head_part(num_blocks: usize) -> u32 {
    num_blocks as u32 + 1
}

/// What a part is, from its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartKind {
    Stem,
    /// Searchable block with this 0-based index (variables `b{index}.*`).
    Block(usize),
    Head,
}

/// The kind of part `part` in a network with `num_blocks` blocks; None if out of range.
pub fn part_kind(part: u32, num_blocks: usize) -> Option<PartKind> {
    match part {
        0 => Some(PartKind::Stem),
        p if (p as usize) <= num_blocks => Some(PartKind::Block(p as usize - 1)),
        p if p == head_part(num_blocks) => Some(PartKind::Head),
        _ => None,
    }
}

/// VarStore name prefixes holding a part's variables (each ends with '.'). The head part
/// carries the classifier too.
pub fn part_prefixes(kind: PartKind) -> Vec<String> {
    match kind {
        PartKind::Stem => vec!["stem.".into()],
        PartKind::Block(b) => vec![format!("{}.", crate::train::block_prefix(b))],
        PartKind::Head => vec!["head.".into(), "fc.".into()],
    }
}

/// The pool key of part `part` of `arch` (see the module doc).
pub fn part_key(space: &Space, arch: &Arch, part: u32) -> Vec<u8> {
    match part_kind(part, space.num_blocks()) {
        Some(PartKind::Block(b)) => space
            .block_embedding(arch, b)
            .iter()
            .map(|&x| u8::from(x != 0.0))
            .collect(),
        _ => vec![1],
    }
}

/// Cosine similarity of two 0/1 keys: |a and b| / sqrt(|a| |b|); 0 when either is empty or
/// all zeros, or when their lengths differ (keys of another space never match).
pub fn cosine(a: &[u8], b: &[u8]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0u32, 0u32, 0u32);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (u32::from(x != 0), u32::from(y != 0));
        dot += x & y;
        na += x;
        nb += y;
    }
    similarity(dot, na, nb)
}

/// The one formula for cosine of 0/1 vectors from counts, so the scan in
/// [`super::index`] and [`cosine`] give bit-identical values.
pub(crate) fn similarity(dot: u32, na: u32, nb: u32) -> f32 {
    if na == 0 || nb == 0 {
        return 0.0;
    }
    (f64::from(dot) / (f64::from(na) * f64::from(nb)).sqrt()) as f32
}
