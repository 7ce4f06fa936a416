//! The deterministic byte container for a model's variables and their Adam state.
//!
//! Why not libtorch's zip archive: its bytes carry timestamps and depend on HashMap order, so
//! equal models would not give equal bytes and could not be content-addressed in the blob
//! store. Here the bytes depend on nothing but the values. Each caller (the controller, the
//! critic) has its own [`Format`] (magic, version, wording) and its own postcard header type
//! `H` with whatever else it must restore (config, sizes, seed...).
//!
//! ```text
//! magic                              8 bytes, the caller's
//! version: u32 little-endian         the caller's
//! header_len: u64 little-endian
//! header: postcard((H, adam step: u64, [(name, shape)] of the Adam slots))
//! payload: for each slot in that (name) order: param, adam m, adam v as f32 little-endian
//! sha256 of everything above         32 bytes
//! ```
//! postcard writes a struct as its fields one after the other, so `(H, step, tensors)` reads
//! exactly like one flat header with those fields appended.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::adam::Adam;
use super::error::NnError;
use super::tensor::{f32s_from_le, overwrite, push_f32_le};

const DIGEST_LEN: usize = 32;
/// Bytes before the header: magic, version, header length.
const FIXED_LEN: usize = 8 + 4 + 8;
/// Bytes of payload per trainable scalar: the value, Adam's m and v, each an f32.
const BYTES_PER_SCALAR: u128 = 12;

/// Name and shape of one Adam slot (or of any tensor a caller's header lists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorMeta {
    pub name: String,
    pub shape: Vec<i64>,
}

/// What the container adds around the caller's header.
#[derive(Serialize, Deserialize)]
struct Envelope<H> {
    header: H,
    adam_step: u64,
    tensors: Vec<TensorMeta>,
}

/// Identity of one checkpoint kind: a magic so a controller is never read as a critic, a
/// version for format changes, and a name for the error messages.
#[derive(Debug, Clone, Copy)]
pub struct Format {
    pub magic: [u8; 8],
    pub version: u32,
    /// "controller", "critic": used in `bad magic (not a {kind} checkpoint)`.
    pub kind: &'static str,
}

/// A checkpoint whose framing, checksum and version were verified: the caller's header, and
/// the Adam state still as bytes until [`Decoded::restore`] copies it into a model.
pub struct Decoded<'a, H> {
    pub header: H,
    format: Format,
    adam_step: u64,
    tensors: Vec<TensorMeta>,
    payload: &'a [u8],
}

impl Format {
    /// A `CheckpointCorrupt` error of this kind, for the caller's own header checks.
    pub fn corrupt(&self, reason: impl Into<String>) -> NnError {
        NnError::CheckpointCorrupt {
            kind: self.kind,
            reason: reason.into(),
        }
    }

    /// Serialises `header` and every variable and moment of `adam` (see the module doc).
    /// Equal headers and equal Adam states give equal bytes.
    pub fn encode<H: Serialize>(&self, header: &H, adam: &Adam) -> Result<Vec<u8>, NnError> {
        let envelope = Envelope {
            header,
            adam_step: adam.step_count(),
            tensors: adam
                .slots()
                .iter()
                .map(|s| TensorMeta {
                    name: s.name.clone(),
                    shape: s.param.size(),
                })
                .collect(),
        };
        let header_bytes = postcard::to_stdvec(&envelope)
            .map_err(|e| self.corrupt(format!("header encode: {e}")))?;
        let mut out = Vec::with_capacity(64 + header_bytes.len() + 12 * adam.num_params());
        out.extend_from_slice(&self.magic);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&(header_bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&header_bytes);
        for slot in adam.slots() {
            push_f32_le(&mut out, &slot.param)?;
            push_f32_le(&mut out, &slot.m)?;
            push_f32_le(&mut out, &slot.v)?;
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        Ok(out)
    }

    /// Verifies length, checksum, magic and version, and decodes the header. The payload is
    /// only checked against the model in `expect_scalars` and `restore`.
    pub fn decode<'a, H: DeserializeOwned>(
        &self,
        bytes: &'a [u8],
    ) -> Result<Decoded<'a, H>, NnError> {
        if bytes.len() < FIXED_LEN + DIGEST_LEN {
            return Err(self.corrupt(format!("only {} bytes", bytes.len())));
        }
        let (body, digest) = bytes.split_at(bytes.len() - DIGEST_LEN);
        if Sha256::digest(body).as_slice() != digest {
            return Err(self.corrupt("sha256 checksum mismatch"));
        }
        if body[..8] != self.magic {
            return Err(self.corrupt(format!("bad magic (not a {} checkpoint)", self.kind)));
        }
        let mut word = [0u8; 4];
        word.copy_from_slice(&body[8..12]);
        let version = u32::from_le_bytes(word);
        if version != self.version {
            return Err(NnError::CheckpointVersion {
                kind: self.kind,
                found: version,
                supported: self.version,
            });
        }
        let mut len8 = [0u8; 8];
        len8.copy_from_slice(&body[12..FIXED_LEN]);
        let header_len = u64::from_le_bytes(len8);
        let rest = &body[FIXED_LEN..];
        if header_len > rest.len() as u64 {
            return Err(self.corrupt(format!("header length {header_len} exceeds the data")));
        }
        let (header_bytes, payload) = rest.split_at(header_len as usize);
        let envelope: Envelope<H> = postcard::from_bytes(header_bytes)
            .map_err(|e| self.corrupt(format!("header decode: {e}")))?;
        Ok(Decoded {
            header: envelope.header,
            format: *self,
            adam_step: envelope.adam_step,
            tensors: envelope.tensors,
            payload,
        })
    }
}

impl<H> Decoded<'_, H> {
    /// Fails unless the payload holds exactly `scalars` trainable values (with their moments).
    /// Called with the model size the header describes BEFORE building that model, so a bad
    /// header cannot trigger a huge allocation.
    pub fn expect_scalars(&self, scalars: u128) -> Result<(), NnError> {
        let expected = BYTES_PER_SCALAR * scalars;
        if self.payload.len() as u128 != expected {
            return Err(self.format.corrupt(format!(
                "payload has {} bytes, the header's model needs {expected}",
                self.payload.len()
            )));
        }
        Ok(())
    }

    /// Copies the saved variables, moments and step count into `adam` (the freshly built
    /// model's optimiser). Fails, leaving `adam` partly overwritten, if the saved slots'
    /// names or shapes differ from `adam`'s.
    pub fn restore(&self, adam: &mut Adam) -> Result<(), NnError> {
        let model: Vec<TensorMeta> = adam
            .slots()
            .iter()
            .map(|s| TensorMeta {
                name: s.name.clone(),
                shape: s.param.size(),
            })
            .collect();
        if self.tensors != model {
            return Err(self.format.corrupt(format!(
                "tensors {:?} do not match the model's {model:?}",
                self.tensors
            )));
        }
        self.expect_scalars(adam.num_params() as u128)?;
        let mut cursor = self.payload;
        let mut take = |numel: usize| {
            let (head, rest) = cursor.split_at(4 * numel);
            cursor = rest;
            f32s_from_le(head)
        };
        for slot in adam.slots() {
            // The total length was checked above, so every `take` has its bytes.
            let numel = slot.param.numel();
            overwrite(&slot.param, &take(numel))?;
            overwrite(&slot.m, &take(numel))?;
            overwrite(&slot.v, &take(numel))?;
        }
        adam.set_step_count(self.adam_step);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Tensor;

    const TEST: Format = Format {
        magic: *b"FNASTST\0",
        version: 3,
        kind: "test",
    };

    fn model(names: [&str; 2]) -> Adam {
        Adam::new(vec![
            (names[0].into(), Tensor::zeros([2, 3], tch::kind::FLOAT_CPU)),
            (names[1].into(), Tensor::zeros([4], tch::kind::FLOAT_CPU)),
        ])
    }

    /// A model with non-trivial values, moments and step count.
    fn trained() -> Adam {
        let mut adam = model(["w", "b"]);
        let values: Vec<f32> = (0..6).map(|i| i as f32 - 2.5).collect();
        overwrite(&adam.slots()[1].param, &values).unwrap();
        let grads = [Tensor::from_slice(&[0.5f32, -1.0, 2.0, 0.0]), Tensor::new()];
        let hp = crate::nn::AdamHyper {
            lr: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        };
        adam.step(&grads, hp);
        adam.step(&grads, hp);
        adam
    }

    fn corrupt_reason<T>(r: Result<T, NnError>) -> String {
        match r {
            Err(NnError::CheckpointCorrupt { reason, .. }) => reason,
            Err(e) => panic!("expected CheckpointCorrupt, got {e}"),
            Ok(_) => panic!("expected CheckpointCorrupt, got Ok"),
        }
    }

    fn rehash(mut bytes: Vec<u8>) -> Vec<u8> {
        let body = bytes.len() - DIGEST_LEN;
        let digest = Sha256::digest(&bytes[..body]);
        bytes[body..].copy_from_slice(&digest);
        bytes
    }

    #[test]
    fn round_trip_restores_values_moments_and_step() {
        let adam = trained();
        let bytes = TEST.encode(&("hello".to_string(), 7u32), &adam).unwrap();
        assert_eq!(
            bytes,
            TEST.encode(&("hello".to_string(), 7u32), &adam).unwrap()
        );
        let decoded = TEST.decode::<(String, u32)>(&bytes).unwrap();
        assert_eq!(decoded.header, ("hello".to_string(), 7));
        decoded.expect_scalars(10).unwrap();
        let mut fresh = model(["w", "b"]);
        decoded.restore(&mut fresh).unwrap();
        assert_eq!(fresh.step_count(), 2);
        assert_eq!(
            TEST.encode(&("hello".to_string(), 7u32), &fresh).unwrap(),
            bytes
        );
    }

    #[test]
    fn corrupt_foreign_and_mismatched_bytes_are_refused() {
        let bytes = TEST.encode(&1u8, &trained()).unwrap();
        let mut flipped = bytes.clone();
        flipped[30] ^= 1;
        assert!(corrupt_reason(TEST.decode::<u8>(&flipped)).contains("checksum"));
        assert!(corrupt_reason(TEST.decode::<u8>(&bytes[..40])).contains("only 40 bytes"));
        let other = Format {
            magic: *b"FNASXXX\0",
            ..TEST
        };
        assert!(corrupt_reason(other.decode::<u8>(&bytes)).contains("not a test checkpoint"));
        let newer = Format { version: 4, ..TEST };
        assert!(matches!(
            newer.decode::<u8>(&bytes),
            Err(NnError::CheckpointVersion {
                found: 3,
                supported: 4,
                ..
            })
        ));
        let mut long_header = bytes.clone();
        long_header[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(corrupt_reason(TEST.decode::<u8>(&rehash(long_header))).contains("header length"));

        let decoded = TEST.decode::<u8>(&bytes).unwrap();
        assert!(corrupt_reason(decoded.expect_scalars(11)).contains("payload"));
        let renamed = corrupt_reason(decoded.restore(&mut model(["w", "c"])));
        assert!(renamed.contains("do not match"), "{renamed}");
        let mut short = bytes[..bytes.len() - DIGEST_LEN - 4].to_vec();
        short.extend_from_slice(&[0; DIGEST_LEN]);
        let short = rehash(short);
        let decoded = TEST.decode::<u8>(&short).unwrap();
        assert!(corrupt_reason(decoded.restore(&mut model(["w", "b"]))).contains("payload"));
    }
}
