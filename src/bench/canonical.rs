//! NAS-Bench-Macro's duplicate rule, applied block by block so the stage structure comes
//! from the space file (schema/spaces/nb-macro.toml: one block per stage) instead of being
//! hard-coded here.

use crate::space::{Arch, Space};

/// The token that means "identity" in NAS-Bench-Macro's encoding.
const IDENTITY: u8 = 0;

/// Canonical encoding of a NAS-Bench-Macro architecture: within each block (stage) keep the
/// first token, then the non-identity tokens in order, then the identities. An identity after
/// a stage's first layer does not change the network, so every encoding maps to the one
/// encoding that was actually trained (README section 1: `00000001` -> `00000010`).
///
/// An arch whose length does not match the space is returned unchanged: it is not a valid
/// encoding, and lookups report that error with context this function does not have.
pub fn stage_identity_canonical(space: &Space, arch: &Arch) -> Arch {
    if arch.tokens.len() != space.num_decisions() {
        return arch.clone();
    }
    let mut tokens = Vec::with_capacity(arch.tokens.len());
    for block in 0..space.num_blocks() {
        let stage = &arch.tokens[space.block_decision_range(block)];
        let Some((&first, rest)) = stage.split_first() else {
            continue;
        };
        tokens.push(first);
        tokens.extend(rest.iter().copied().filter(|&t| t != IDENTITY));
        tokens.extend(rest.iter().copied().filter(|&t| t == IDENTITY));
    }
    Arch::new(tokens)
}

/// The canonical form of an encoding in `space`, where the space defines one (NAS-Bench-Macro:
/// identities moved to the end of each stage); other spaces return the tokens unchanged.
/// The search's selection uses it so a duplicate encoding of a measured network is never
/// paid for again.
pub fn space_canonical(space: &Space, tokens: &[u8]) -> Vec<u8> {
    if space.name() == "nb-macro" {
        stage_identity_canonical(space, &Arch::new(tokens.to_vec())).tokens
    } else {
        tokens.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn macro_space() -> Space {
        Space::from_toml_str(
            include_str!("../../schema/spaces/nb-macro.toml"),
            "nb-macro.toml",
        )
        .expect("nb-macro space parses")
    }

    fn arch(text: &str) -> Arch {
        Arch::new(text.bytes().map(|b| b - b'0').collect())
    }

    #[test]
    fn moves_identities_to_the_end_of_each_stage() {
        let s = macro_space();
        let cases = [
            ("00000001", "00000010"),
            ("22212202", "22212220"),
            ("00000000", "00000000"),
            ("01020102", "01020120"),
            ("10201021", "10210021"),
            ("22222222", "22222222"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                stage_identity_canonical(&s, &arch(input)),
                arch(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn canonical_is_idempotent_and_wrong_length_passes_through() {
        let s = macro_space();
        for code in 0..6561u32 {
            let mut tokens = Vec::new();
            let mut c = code;
            for _ in 0..8 {
                tokens.push((c % 3) as u8);
                c /= 3;
            }
            let once = stage_identity_canonical(&s, &Arch::new(tokens));
            assert_eq!(stage_identity_canonical(&s, &once), once);
        }
        let short = arch("0001");
        assert_eq!(stage_identity_canonical(&s, &short), short);
    }
}
