//! `Space`: a search space loaded from data, the contract between the controller (which
//! samples one token per decision), the log (which records the space hash) and the decoders.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::arch::Arch;
use super::error::SpaceError;
use super::schema::{self, Block, Decision};

/// Spaces compiled into the binary, so `fnas` runs without any file next to it.
const BUILTIN: &[(&str, &str)] = &[
    ("mnas", include_str!("../../schema/spaces/mnas.toml")),
    (
        "nb-macro",
        include_str!("../../schema/spaces/nb-macro.toml"),
    ),
    ("nb201", include_str!("../../schema/spaces/nb201.toml")),
];

/// A search space: ordered blocks, each an ordered list of categorical decisions.
/// Immutable after loading; the hash is computed once.
#[derive(Clone, Debug)]
pub struct Space {
    name: String,
    globals: BTreeMap<String, f64>,
    blocks: Vec<Block>,
    /// `starts[b]` = flat index of block b's first decision; `starts[num_blocks]` = total.
    starts: Vec<usize>,
    hash: String,
}

impl Space {
    /// Names of the spaces available through [`Space::builtin`].
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(name, _)| *name).collect()
    }

    /// Loads a space compiled into the binary (`mnas`, `nb-macro`, `nb201`), so searches need no
    /// files beside the binary.
    pub fn builtin(name: &str) -> Result<Space, SpaceError> {
        let (_, text) =
            BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| SpaceError::UnknownBuiltin {
                    name: name.to_string(),
                    available: Self::builtin_names().join(", "),
                })?;
        Self::from_toml_str(text, &format!("built-in space `{name}`"))
    }

    /// Parses a space from TOML text; `origin` (a path or label) is named in every error.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Space, SpaceError> {
        let parsed = schema::parse(text, origin)?;
        let mut starts = Vec::with_capacity(parsed.blocks.len() + 1);
        let mut total = 0;
        for block in &parsed.blocks {
            starts.push(total);
            total += block.decisions.len();
        }
        starts.push(total);
        let hash = hex::encode(Sha256::digest(canonical_bytes(
            &parsed.name,
            &parsed.globals,
            &parsed.blocks,
        )));
        Ok(Space {
            name: parsed.name,
            globals: parsed.globals,
            blocks: parsed.blocks,
            starts,
            hash,
        })
    }

    /// Reads and parses a space file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Space, SpaceError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SpaceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// SHA-256 (hex) of a canonical encoding of the space's semantics, recorded in the log so
    /// a replay can tell whether archs were sampled from the same space. Stable across runs
    /// and platforms; independent of comments, formatting, key order and display-only fields.
    pub fn hash(&self) -> String {
        self.hash.clone()
    }

    /// Space-wide numbers from `[globals]` (e.g. "stem"), for decoders.
    pub fn global(&self, key: &str) -> Option<f64> {
        self.globals.get(key).copied()
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    pub fn num_blocks(&self) -> usize {
        self.blocks.len()
    }

    /// Total number of decisions = the length of every valid arch.
    pub fn num_decisions(&self) -> usize {
        self.starts[self.blocks.len()]
    }

    /// Number of choices of every decision, flattened block-major (the controller's
    /// per-step softmax widths).
    pub fn decision_sizes(&self) -> Vec<usize> {
        self.decisions().map(|(_, d)| d.choices.len()).collect()
    }

    /// Flat positions of a block's decisions within an arch.
    ///
    /// # Panics
    /// If `block >= num_blocks()`: block indices come from code iterating the space, so an
    /// out-of-range index is a programming error, like slice indexing.
    pub fn block_decision_range(&self, block: usize) -> Range<usize> {
        assert!(
            block < self.blocks.len(),
            "block {block} out of range: space `{}` has {} blocks",
            self.name,
            self.blocks.len()
        );
        self.starts[block]..self.starts[block + 1]
    }

    /// Qualified names "block.decision" (e.g. "b3.kernel"), flattened block-major.
    pub fn decision_names(&self) -> Vec<String> {
        self.decisions()
            .map(|(b, d)| format!("{}.{}", b.name, d.name))
            .collect()
    }

    /// log10 of the number of architectures (a count would overflow for large spaces).
    pub fn size(&self) -> f64 {
        self.decisions()
            .map(|(_, d)| (d.choices.len() as f64).log10())
            .sum()
    }

    /// Checks that `arch` has one token per decision and every token names a choice. Call it
    /// wherever archs enter from outside (log, import, CLI) before encoding or decoding.
    pub fn validate(&self, arch: &Arch) -> Result<(), SpaceError> {
        if arch.tokens.len() != self.num_decisions() {
            return Err(SpaceError::ArchLength {
                space: self.name.clone(),
                expected: self.num_decisions(),
                got: arch.tokens.len(),
            });
        }
        for (position, ((block, decision), &token)) in
            self.decisions().zip(&arch.tokens).enumerate()
        {
            if usize::from(token) >= decision.choices.len() {
                return Err(SpaceError::TokenOutOfRange {
                    decision: format!("{}.{}", block.name, decision.name),
                    position,
                    token,
                    choices: decision.choices.len(),
                });
            }
        }
        Ok(())
    }

    /// Every decision with its block, flattened block-major.
    pub(crate) fn decisions(&self) -> impl Iterator<Item = (&Block, &Decision)> {
        self.blocks
            .iter()
            .flat_map(|b| b.decisions.iter().map(move |d| (b, d)))
    }
}

/// Length-prefixed, order-preserving encoding of exactly the fields the hash covers. The
/// version tag lets a future format change the encoding without colliding with old hashes.
fn canonical_bytes(name: &str, globals: &BTreeMap<String, f64>, blocks: &[Block]) -> Vec<u8> {
    fn put_str(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    fn put_numbers(out: &mut Vec<u8>, map: &BTreeMap<String, f64>) {
        out.extend_from_slice(&(map.len() as u64).to_le_bytes());
        for (key, value) in map {
            put_str(out, key);
            // +0.0 normalises -0.0 so "0" and "-0.0" hash alike.
            out.extend_from_slice(&(value + 0.0).to_bits().to_le_bytes());
        }
    }
    let mut out = Vec::new();
    put_str(&mut out, "fnas-space-v1");
    put_str(&mut out, name);
    put_numbers(&mut out, globals);
    out.extend_from_slice(&(blocks.len() as u64).to_le_bytes());
    for block in blocks {
        put_str(&mut out, &block.name);
        put_numbers(&mut out, &block.base);
        out.extend_from_slice(&(block.decisions.len() as u64).to_le_bytes());
        for decision in &block.decisions {
            put_str(&mut out, &decision.name);
            out.extend_from_slice(&(decision.choices.len() as u64).to_le_bytes());
            for choice in &decision.choices {
                put_str(&mut out, choice);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small two-block space in the file format, for tests that edit the text.
    const SMALL: &str = r#"
name = "small"
[globals]
stem = 8
[[decisions]]
name = "op"
choices = ["a", "b", "c"]
[[decisions]]
name = "k"
choices = ["3", "5"]
[[blocks]]
name = "x"
base = { c = 16 }
[[blocks]]
name = "y"
"#;

    fn mnas() -> Space {
        Space::builtin("mnas").expect("built-in mnas space parses")
    }

    #[test]
    fn mnas_shape() {
        let s = mnas();
        assert_eq!(s.name(), "mnas");
        assert_eq!(s.num_blocks(), 7);
        assert_eq!(s.num_decisions(), 42);
        assert_eq!(s.decision_sizes(), [4, 2, 2, 3, 3, 3].repeat(7));
        assert_eq!(s.block_decision_range(0), 0..6);
        assert_eq!(s.block_decision_range(6), 36..42);
        let names = s.decision_names();
        assert_eq!(names.len(), 42);
        assert_eq!(names[0], "b1.op");
        assert_eq!(names[13], "b3.kernel");
        assert_eq!(names[41], "b7.layers");
        let per_block: usize = s.decision_sizes()[..6].iter().product();
        assert_eq!(per_block, 432);
        assert!((s.size() - 7.0 * 432f64.log10()).abs() < 1e-9);
        assert_eq!(s.global("stem"), Some(32.0));
        assert_eq!(s.global("head"), Some(1280.0));
        assert_eq!(s.blocks()[3].base.get("c"), Some(&64.0));
    }

    #[test]
    fn unknown_builtin_lists_available() {
        let err = Space::builtin("nope").unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("mnas"), "{err}");
    }

    #[test]
    #[should_panic(expected = "block 7 out of range")]
    fn block_range_panics_past_end() {
        mnas().block_decision_range(7);
    }

    #[test]
    fn hash_is_stable_and_tracks_semantics() {
        let h = mnas().hash();
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(h, mnas().hash());

        let base = Space::from_toml_str(SMALL, "t").unwrap().hash();
        // Formatting, comments and inline-vs-default decisions do not matter.
        let reformatted = SMALL.replace("name = \"x\"", "# a comment\nname   =   \"x\"");
        assert_eq!(
            base,
            Space::from_toml_str(&reformatted, "t").unwrap().hash()
        );
        let inline = SMALL.replace(
            "name = \"y\"",
            "name = \"y\"\ndecisions = [{ name = \"op\", choices = [\"a\", \"b\", \"c\"] },\
             { name = \"k\", choices = [\"3\", \"5\"], prefix = \"k\" }]",
        );
        assert_eq!(base, Space::from_toml_str(&inline, "t").unwrap().hash());
        // Semantic edits do.
        for edited in [
            SMALL.replace("\"5\"", "\"7\""),
            SMALL.replace("c = 16", "c = 24"),
            SMALL.replace("stem = 8", "stem = 16"),
            SMALL.replace("name = \"small\"", "name = \"other\""),
            SMALL.replace("name = \"y\"", "name = \"z\""),
            SMALL.replace("[\"a\", \"b\", \"c\"]", "[\"a\", \"c\", \"b\"]"),
        ] {
            let h2 = Space::from_toml_str(&edited, "t").unwrap().hash();
            assert_ne!(base, h2, "edit not reflected in hash:\n{edited}");
        }
    }

    #[test]
    fn validate_reports_length_and_decision() {
        let s = mnas();
        let ok = Arch::new(vec![0; 42]);
        assert!(s.validate(&ok).is_ok());

        let short = Arch::new(vec![0; 41]);
        match s.validate(&short) {
            Err(SpaceError::ArchLength { expected, got, .. }) => {
                assert_eq!((expected, got), (42, 41))
            }
            other => panic!("expected ArchLength, got {other:?}"),
        }

        let mut tokens = vec![0; 42];
        tokens[13] = 2; // b3.kernel has choices {3, 5}
        let err = s.validate(&Arch::new(tokens)).unwrap_err();
        assert!(matches!(
            err,
            SpaceError::TokenOutOfRange {
                position: 13,
                token: 2,
                choices: 2,
                ..
            }
        ));
        assert!(err.to_string().contains("b3.kernel"), "{err}");

        let mut tokens = vec![0; 42];
        tokens[0] = 3; // b1.op: 4 choices, 3 is the last valid one
        assert!(s.validate(&Arch::new(tokens)).is_ok());
    }

    #[test]
    fn from_file_names_the_path() {
        let dir = std::env::temp_dir().join(format!("fnas-space-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("small.toml");
        std::fs::write(&good, SMALL).unwrap();
        let s = Space::from_file(&good).unwrap();
        assert_eq!(s.hash(), Space::from_toml_str(SMALL, "x").unwrap().hash());

        let bad = dir.join("bad.toml");
        std::fs::write(
            &bad,
            SMALL.replace("choices = [\"3\", \"5\"]", "choices = []"),
        )
        .unwrap();
        let err = Space::from_file(&bad).unwrap_err().to_string();
        assert!(
            err.contains("bad.toml") && err.contains("decisions[1].choices"),
            "{err}"
        );

        let missing = dir.join("missing.toml");
        let err = Space::from_file(&missing).unwrap_err();
        assert!(matches!(err, SpaceError::Io { .. }));
        assert!(err.to_string().contains("missing.toml"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nas_bench_201_like_space_parses() {
        let mut text = String::from(
            "name = \"nb201\"\n[[decisions]]\nname = \"op\"\n\
             choices = [\"none\", \"skip\", \"conv1x1\", \"conv3x3\", \"avgpool3x3\"]\n",
        );
        for edge in 0..6 {
            text.push_str(&format!("[[blocks]]\nname = \"e{edge}\"\n"));
        }
        let s = Space::from_toml_str(&text, "nb201").unwrap();
        assert_eq!(s.decision_sizes(), vec![5; 6]);
        assert_eq!(s.size().round() as i64, 4); // 5^6 = 15625
    }
}
