//! Fixed-length encodings of an arch: the inputs of the critic (one-hot of the whole arch),
//! the keys of the block-weight pool (per-block embedding) and a human-readable form.
//!
//! These take an arch that passed [`Space::validate`]. On an invalid arch they do not panic:
//! a missing or out-of-range token leaves its decision's one-hot segment all zeros (and shows
//! as "?" in `describe`), so the lengths stay fixed.

use super::arch::Arch;
use super::definition::Space;
use super::schema::Decision;

impl Space {
    /// Concatenated one-hot of all decisions, block-major; length = sum of `decision_sizes()`.
    pub fn one_hot(&self, arch: &Arch) -> Vec<f32> {
        let decisions: Vec<&Decision> = self.decisions().map(|(_, d)| d).collect();
        one_hot_of(&decisions, &arch.tokens)
    }

    /// One-hot of block `block`'s decisions followed by a one-hot of the block position
    /// (length `num_blocks()`). The position part keeps equal choices in different blocks
    /// apart, since their weights differ in shape and role.
    ///
    /// # Panics
    /// If `block >= num_blocks()` (see [`Space::block_decision_range`]).
    pub fn block_embedding(&self, arch: &Arch, block: usize) -> Vec<f32> {
        let range = self.block_decision_range(block);
        let decisions: Vec<&Decision> = self.blocks()[block].decisions.iter().collect();
        let tokens = arch.tokens.get(range).unwrap_or(&[]);
        let mut out = one_hot_of(&decisions, tokens);
        let mut position = vec![0.0; self.num_blocks()];
        position[block] = 1.0;
        out.extend(position);
        out
    }

    /// Compact readable form, blocks separated by " | ", e.g.
    /// "b1 mbconv6 k3 se0.25 id f1.0 n+0 | b2 ...".
    pub fn describe(&self, arch: &Arch) -> String {
        self.blocks()
            .iter()
            .enumerate()
            .map(|(b, block)| {
                let range = self.block_decision_range(b);
                let mut parts = vec![block.name.clone()];
                for (i, decision) in block.decisions.iter().enumerate() {
                    parts.push(match arch.tokens.get(range.start + i) {
                        Some(&token) => decision.display(token),
                        None => format!("{}?", decision.prefix),
                    });
                }
                parts.join(" ")
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

/// One-hot of `tokens` over `decisions` (paired in order); see the module doc for invalid tokens.
fn one_hot_of(decisions: &[&Decision], tokens: &[u8]) -> Vec<f32> {
    let len = decisions.iter().map(|d| d.choices.len()).sum();
    let mut out = vec![0.0; len];
    let mut offset = 0;
    for (i, decision) in decisions.iter().enumerate() {
        let size = decision.choices.len();
        if let Some(&token) = tokens.get(i) {
            if usize::from(token) < size {
                out[offset + usize::from(token)] = 1.0;
            }
        }
        offset += size;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mnas() -> Space {
        Space::builtin("mnas").expect("built-in mnas space parses")
    }

    /// Flat one-hot offset of decision `d` of block `b` in the mnas space (17 slots a block).
    fn offset(b: usize, d: usize) -> usize {
        b * 17 + [0, 4, 6, 8, 11, 14][d]
    }

    #[test]
    fn one_hot_length_and_positions() {
        let s = mnas();
        let mut tokens = vec![0u8; 42];
        tokens[6 + 1] = 1; // b2.kernel = 5
        tokens[6 * 6] = 3; // b7.op = mbconv6
        tokens[6 * 3 + 5] = 2; // b4.layers = +1
        let v = s.one_hot(&Arch::new(tokens.clone()));
        assert_eq!(v.len(), 119);
        assert_eq!(v.iter().filter(|x| **x == 1.0).count(), 42);
        assert_eq!(v.iter().filter(|x| **x != 0.0 && **x != 1.0).count(), 0);
        for (i, t) in tokens.iter().enumerate() {
            assert_eq!(
                v[offset(i / 6, i % 6) + usize::from(*t)],
                1.0,
                "decision {i}"
            );
        }
        assert_eq!(v[offset(1, 1)], 0.0); // b2.kernel = 3 not set
        assert_eq!(v[offset(1, 1) + 1], 1.0);
        assert_eq!(v[offset(6, 0) + 3], 1.0);
        assert_eq!(v[offset(3, 5) + 2], 1.0);
    }

    #[test]
    fn invalid_arch_keeps_length_and_zeroes_the_bad_segment() {
        let s = mnas();
        let mut tokens = vec![0u8; 42];
        tokens[1] = 9; // b1.kernel out of range
        let v = s.one_hot(&Arch::new(tokens));
        assert_eq!(v.len(), 119);
        assert_eq!(v.iter().filter(|x| **x == 1.0).count(), 41);
        assert_eq!(&v[4..6], &[0.0, 0.0]);
        let short = s.one_hot(&Arch::new(vec![0; 3]));
        assert_eq!(short.len(), 119);
        assert_eq!(short.iter().sum::<f32>(), 3.0);
    }

    #[test]
    fn block_embedding_is_block_one_hot_plus_position() {
        let s = mnas();
        let mut tokens = vec![0u8; 42];
        tokens[12..18].copy_from_slice(&[2, 1, 1, 2, 0, 1]); // block 3 (index 2)
        let arch = Arch::new(tokens);
        let e = s.block_embedding(&arch, 2);
        assert_eq!(e.len(), 17 + 7);
        let mut expected = vec![0.0f32; 24];
        for i in [2, 4 + 1, 6 + 1, 8 + 2, 11, 14 + 1, 17 + 2] {
            expected[i] = 1.0;
        }
        assert_eq!(e, expected);
        // Same choices in another block: same decision part, different position part.
        let mut moved = vec![0u8; 42];
        moved[30..36].copy_from_slice(&[2, 1, 1, 2, 0, 1]);
        let e6 = s.block_embedding(&Arch::new(moved), 5);
        assert_eq!(e6[..17], e[..17]);
        assert_ne!(e6[17..], e[17..]);
        assert_eq!(e6[17 + 5], 1.0);
        // The decision part equals the matching slice of the full one-hot.
        assert_eq!(e[..17], s.one_hot(&arch)[34..51]);
    }

    #[test]
    fn describe_is_readable() {
        let s = mnas();
        let baseline = Arch::new([3, 0, 0, 1, 1, 1].repeat(7));
        let text = s.describe(&baseline);
        assert!(
            text.starts_with("b1 mbconv6 k3 se0 id f1.0 n+0 | b2 mbconv6"),
            "{text}"
        );
        assert_eq!(text.matches(" | ").count(), 6);
        let mut tokens = vec![0u8; 42];
        tokens[..6].copy_from_slice(&[1, 1, 1, 2, 2, 0]);
        let text = s.describe(&Arch::new(tokens));
        assert!(
            text.starts_with("b1 dwconv k5 se0.25 pool f1.25 n-1 | b2 conv k3"),
            "{text}"
        );
        assert!(s.describe(&Arch::new(vec![])).contains("k?"));
    }
}
