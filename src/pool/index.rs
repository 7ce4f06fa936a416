//! Cosine recall over the pool's representatives: one entry per distinct (part, key).
//!
//! Keys are 0/1 vectors, so each is packed into 64-bit words once; similarity is
//! `popcount(q & k) / sqrt(|q| |k|)`. An exact key is found by hash first (similarity 1).
//! Otherwise representatives are scanned in groups of equal popcount: within a group the best
//! is the one with the largest `popcount(q & k)` (integer work only), and a group is skipped
//! when even a perfect overlap could not beat the best found so far. Ties go to the higher
//! reward, then to the smaller key (byte order), so recall never depends on insertion order.

use std::collections::{BTreeMap, HashMap};

use crate::store::BlobRef;

use super::key::similarity;

/// The checkpoint that stands for one (part, key).
#[derive(Clone, Debug, PartialEq)]
pub struct Representative {
    pub key: Vec<u8>,
    pub weights: BlobRef,
    pub task: String,
    pub experiment: u64,
    pub index: u64,
    pub iterations: u64,
    pub reward: f64,
}

/// A recall result.
#[derive(Clone, Debug, PartialEq)]
pub struct Recall<'a> {
    pub similarity: f32,
    pub entry: &'a Representative,
}

/// Representatives of one part with popcount `ones`, keys packed `words` u64 each.
#[derive(Clone, Debug, Default)]
struct Group {
    ones: u32,
    keys: Vec<u64>,
    members: Vec<usize>,
}

/// Recall structure of one part.
#[derive(Clone, Debug, Default)]
struct PartIndex {
    words: usize,
    reps: Vec<Representative>,
    exact: HashMap<Vec<u8>, usize>,
    groups: Vec<Group>,
}

/// An immutable recall index (what a batch sees: a snapshot of the pool).
#[derive(Clone, Debug, Default)]
pub struct RecallIndex {
    parts: BTreeMap<u32, PartIndex>,
}

fn pack(key: &[u8], words: usize) -> Vec<u64> {
    let mut out = vec![0u64; words];
    for (i, &b) in key.iter().enumerate() {
        if b != 0 {
            out[i / 64] |= 1 << (i % 64);
        }
    }
    out
}

impl RecallIndex {
    /// Builds the index from representatives (any order; one per (part, key) expected, a
    /// duplicate key keeps the better one by the tie rule).
    pub fn build(reps: impl IntoIterator<Item = (u32, Representative)>) -> RecallIndex {
        let mut by_part: BTreeMap<u32, BTreeMap<Vec<u8>, Representative>> = BTreeMap::new();
        for (part, rep) in reps {
            let slot = by_part.entry(part).or_default();
            match slot.get(&rep.key) {
                Some(old) if old.reward >= rep.reward => {}
                _ => {
                    slot.insert(rep.key.clone(), rep);
                }
            }
        }
        let parts = by_part
            .into_iter()
            .map(|(part, reps)| (part, PartIndex::new(reps.into_values().collect())))
            .collect();
        RecallIndex { parts }
    }

    /// Number of representatives (distinct keys) over all parts.
    pub fn len(&self) -> usize {
        self.parts.values().map(|p| p.reps.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The representative of `part` most similar to `key` (see the module doc for ties);
    /// None when the part has no entry or no key of `key`'s length.
    pub fn recall(&self, part: u32, key: &[u8]) -> Option<Recall<'_>> {
        self.parts.get(&part)?.recall(key)
    }
}

impl PartIndex {
    /// `reps` sorted by key (BTreeMap order).
    fn new(reps: Vec<Representative>) -> PartIndex {
        let len = reps.iter().map(|r| r.key.len()).max().unwrap_or(0);
        let words = len.div_ceil(64).max(1);
        let mut groups: BTreeMap<u32, Group> = BTreeMap::new();
        let mut exact = HashMap::with_capacity(reps.len());
        for (i, r) in reps.iter().enumerate() {
            exact.insert(r.key.clone(), i);
            if r.key.len() != len {
                continue; // keys of another length (another space) are only exact matches
            }
            let packed = pack(&r.key, words);
            let ones = packed.iter().map(|w| w.count_ones()).sum();
            let g = groups.entry(ones).or_insert_with(|| Group {
                ones,
                ..Group::default()
            });
            g.keys.extend(packed);
            g.members.push(i);
        }
        PartIndex {
            words,
            reps,
            exact,
            groups: groups.into_values().collect(),
        }
    }

    fn recall(&self, key: &[u8]) -> Option<Recall<'_>> {
        if let Some(&i) = self.exact.get(key) {
            return Some(Recall {
                similarity: 1.0,
                entry: &self.reps[i],
            });
        }
        if key.len() > self.words * 64 {
            return None;
        }
        let q = pack(key, self.words);
        let nq: u32 = q.iter().map(|w| w.count_ones()).sum();
        let mut best: Option<(f32, usize)> = None;
        for g in &self.groups {
            let bound = similarity(nq.min(g.ones), nq, g.ones);
            if best.is_some_and(|(s, _)| bound < s) {
                continue;
            }
            let (top, at) = if self.words == 1 {
                best_overlap_1(&g.keys, q[0])
            } else {
                best_overlap(&g.keys, &q)
            };
            let at = at.into_iter().map(|m| g.members[m]);
            let sim = similarity(top, nq, g.ones);
            for i in at {
                let better = match best {
                    None => true,
                    Some((s, j)) => {
                        sim > s
                            || (sim == s
                                && (self.reps[i].reward > self.reps[j].reward
                                    || (self.reps[i].reward == self.reps[j].reward && i < j)))
                    }
                };
                if better {
                    best = Some((sim, i));
                }
            }
        }
        best.map(|(similarity, i)| Recall {
            similarity,
            entry: &self.reps[i],
        })
    }
}

/// Largest `popcount(k & q)` over keys of `words` words, and the positions reaching it.
fn best_overlap(keys: &[u64], q: &[u64]) -> (u32, Vec<usize>) {
    let words = q.len();
    let dots = keys.chunks_exact(words).map(|k| {
        k.iter()
            .zip(q)
            .map(|(a, b)| (a & b).count_ones())
            .sum::<u32>()
    });
    collect_best(dots)
}

/// [`best_overlap`] for one-word keys; uses the CPU's popcnt instruction when present
/// (the portable build targets x86-64 without it, and the bit-twiddling fallback is ~5x
/// slower on a full scan).
fn best_overlap_1(keys: &[u64], q: u64) -> (u32, Vec<usize>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU supports popcnt (checked just above).
            return unsafe { best_overlap_1_popcnt(keys, q) };
        }
    }
    collect_best(keys.iter().map(|k| (k & q).count_ones()))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn best_overlap_1_popcnt(keys: &[u64], q: u64) -> (u32, Vec<usize>) {
    let top = keys.iter().map(|k| (k & q).count_ones()).max().unwrap_or(0);
    let at = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| (*k & q).count_ones() == top)
        .map(|(i, _)| i)
        .collect();
    (top, at)
}

fn collect_best(dots: impl Iterator<Item = u32>) -> (u32, Vec<usize>) {
    let (mut top, mut at) = (0u32, Vec::new());
    for (i, dot) in dots.enumerate() {
        if dot > top {
            top = dot;
            at.clear();
        }
        if dot == top {
            at.push(i);
        }
    }
    (top, at)
}
