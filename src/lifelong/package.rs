//! The knowledge package file: a self-contained event log with its blobs, a header of
//! provenance and a sha256 trailer, so that a package can travel between stores and a
//! corrupt or truncated copy is refused before anything reaches the target store.
//! The layout is documented in schema/package.md; this file is the only code that reads or
//! writes it. Events are codec envelopes (the one codec module), never re-encoded here.
//!
//! ```text
//! magic "FNASPKG\0" | u32 LE format | u64 LE header length | header (postcard)
//! events: (u64 LE source seq, u32 LE length, envelope) x header.events
//! blobs:  (u64 LE size, bytes) x header.blobs        (a blob's name is its sha256)
//! sha256 of every byte above (32 bytes), then end of file
//! ```

use std::io::{Read, Seek, SeekFrom, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{codec, hash_bytes, BlobRef, Event};

use super::LifelongError;

/// First bytes of every package.
pub const MAGIC: &[u8; 8] = b"FNASPKG\0";
/// The package layout version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Upper bound of a header or an event envelope: anything larger is damage, not data, and
/// must not make the reader allocate it.
const MAX_RECORD: u64 = 64 << 20;

/// Provenance and table of contents of a package (postcard, fields in this order).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PackageHeader {
    /// Event schema version of the exporting build (each envelope also carries its own).
    pub schema: u16,
    /// Id of the exporting store (`Store::id`).
    pub source_store: String,
    /// The task the knowledge is about.
    pub task: String,
    /// What the package holds: `pool`, `critic`, `history`.
    pub what: Vec<String>,
    /// Source experiment ids whose events (or some of them) are in the package.
    pub experiments: Vec<u64>,
    /// Sequence range [first, last] of the exported events in the source store.
    pub source_first_seq: u64,
    pub source_last_seq: u64,
    /// Number of event records and of blob records that follow.
    pub events: u64,
    pub blobs: u64,
}

/// Writes a package to `out`, streaming: the blobs are pulled one at a time through
/// `blob_bytes`, so a pool larger than memory can be exported. Returns the package id
/// (hex sha256 of the content, which is also its trailer).
pub fn write_package<W: Write>(
    out: &mut W,
    header: &PackageHeader,
    events: &[(u64, Event)],
    blobs: &[BlobRef],
    mut blob_bytes: impl FnMut(&BlobRef) -> Result<Vec<u8>, LifelongError>,
    label: &str,
) -> Result<String, LifelongError> {
    let mut w = HashingWriter {
        inner: out,
        hasher: Sha256::new(),
        label,
    };
    w.put(MAGIC)?;
    w.put(&FORMAT_VERSION.to_le_bytes())?;
    let head = postcard::to_allocvec(header)
        .map_err(|e| LifelongError::bad(label, format!("header does not encode: {e}")))?;
    w.put(&(head.len() as u64).to_le_bytes())?;
    w.put(&head)?;
    for (seq, event) in events {
        let env = codec::encode(event);
        w.put(&seq.to_le_bytes())?;
        w.put(&(env.len() as u32).to_le_bytes())?;
        w.put(&env)?;
    }
    for blob in blobs {
        let bytes = blob_bytes(blob)?;
        w.put(&(bytes.len() as u64).to_le_bytes())?;
        w.put(&bytes)?;
    }
    let digest = w.hasher.finalize();
    w.inner
        .write_all(&digest)
        .map_err(|e| LifelongError::bad(label, format!("write failed: {e}")))?;
    Ok(hex::encode(digest))
}

/// A package read and verified end to end (checksum, every envelope decoded, every blob
/// hashed), without the blob bytes: those are read again by [`Verified::read_blob`].
#[derive(Debug)]
pub struct Verified {
    /// Hex sha256 of the package content: its identity (idempotent import).
    pub id: String,
    pub header: PackageHeader,
    /// Events with their source sequence numbers, in package order.
    pub events: Vec<(u64, Event)>,
    /// Each blob's reference and the offset of its bytes in the package.
    pub blobs: Vec<(BlobRef, u64)>,
}

/// Reads the whole package once, verifying its layout, checksum, event envelopes and blob
/// hashes. Nothing is trusted until this returns: a truncated, corrupt or tampered package
/// is an error naming `label` (the file) and what is wrong.
pub fn read_package<R: Read + Seek>(input: &mut R, label: &str) -> Result<Verified, LifelongError> {
    let total = input
        .seek(SeekFrom::End(0))
        .and_then(|n| input.seek(SeekFrom::Start(0)).map(|_| n))
        .map_err(|e| LifelongError::bad(label, format!("cannot read: {e}")))?;
    if total < (MAGIC.len() + 4 + 8 + 32) as u64 {
        return Err(LifelongError::bad(
            label,
            format!("truncated: only {total} bytes, not a package"),
        ));
    }
    let content_len = total - 32;
    let mut r = HashingReader {
        inner: input,
        hasher: Sha256::new(),
        pos: 0,
        limit: content_len,
        label,
    };
    let mut magic = [0u8; 8];
    r.fill(&mut magic, "magic")?;
    if &magic != MAGIC {
        return Err(LifelongError::bad(
            label,
            "not an fnas knowledge package (bad magic bytes)",
        ));
    }
    let format = u32::from_le_bytes(r.array("format version")?);
    if format != FORMAT_VERSION {
        return Err(LifelongError::bad(
            label,
            format!(
                "package format {format}; this fnas reads format {FORMAT_VERSION} (upgrade fnas)"
            ),
        ));
    }
    let claimed = u64::from_le_bytes(r.array("header length")?);
    let head_len = r.length(claimed, "header")?;
    let head = r.vec(head_len, "header")?;
    let header: PackageHeader = strict_postcard(&head)
        .map_err(|e| LifelongError::bad(label, format!("header does not decode: {e}")))?;
    let mut events = Vec::new();
    for i in 0..header.events {
        let seq = u64::from_le_bytes(r.array("event sequence number")?);
        let claimed = u32::from_le_bytes(r.array("event length")?) as u64;
        let len = r.length(claimed, "event")?;
        let env = r.vec(len, "event")?;
        let event = codec::decode(&env).map_err(|e| {
            LifelongError::bad(
                label,
                e.with_context(format!("event {i} (source seq {seq})"))
                    .to_string(),
            )
        })?;
        events.push((seq, event));
    }
    let mut blobs = Vec::new();
    for i in 0..header.blobs {
        let size = u64::from_le_bytes(r.array("blob size")?);
        if size > r.limit - r.pos {
            return Err(LifelongError::bad(
                label,
                format!("truncated: blob {i} of {size} bytes runs past the end of the file"),
            ));
        }
        let offset = r.pos;
        let mut hasher = Sha256::new();
        let mut left = size;
        let mut buf = vec![0u8; 1 << 16];
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            r.fill(&mut buf[..n], "blob")?;
            hasher.update(&buf[..n]);
            left -= n as u64;
        }
        let blob = BlobRef {
            hash: hex::encode(hasher.finalize()),
            size,
        };
        blobs.push((blob, offset));
    }
    if r.pos != content_len {
        return Err(LifelongError::bad(
            label,
            format!(
                "{} unexpected bytes after the last blob (the header announces {} events and {} blobs)",
                content_len - r.pos,
                header.events,
                header.blobs
            ),
        ));
    }
    let digest = hex::encode(r.hasher.finalize());
    let mut trailer = [0u8; 32];
    r.inner
        .read_exact(&mut trailer)
        .map_err(|e| LifelongError::bad(label, format!("truncated: checksum unreadable: {e}")))?;
    if hex::encode(trailer) != digest {
        return Err(LifelongError::bad(
            label,
            "checksum mismatch: the package was modified or damaged after export",
        ));
    }
    Ok(Verified {
        id: digest,
        header,
        events,
        blobs,
    })
}

impl Verified {
    /// Reads blob `i` again from the package and checks it is still the verified content
    /// (the file could have changed since [`read_package`]).
    pub fn read_blob<R: Read + Seek>(
        &self,
        input: &mut R,
        i: usize,
        label: &str,
    ) -> Result<Vec<u8>, LifelongError> {
        let (blob, offset) = &self.blobs[i];
        let mut bytes = vec![0u8; blob.size as usize];
        input
            .seek(SeekFrom::Start(*offset))
            .and_then(|_| input.read_exact(&mut bytes))
            .map_err(|e| {
                LifelongError::bad(label, format!("blob {} unreadable: {e}", blob.hash))
            })?;
        if hash_bytes(&bytes) != blob.hash {
            return Err(LifelongError::bad(
                label,
                format!("blob {} changed while importing", blob.hash),
            ));
        }
        Ok(bytes)
    }
}

fn strict_postcard<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    let (value, rest) = postcard::take_from_bytes::<T>(bytes).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err(format!("{} trailing bytes", rest.len()));
    }
    Ok(value)
}

struct HashingWriter<'a, W: Write> {
    inner: &'a mut W,
    hasher: Sha256,
    label: &'a str,
}

impl<W: Write> HashingWriter<'_, W> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), LifelongError> {
        self.hasher.update(bytes);
        self.inner
            .write_all(bytes)
            .map_err(|e| LifelongError::bad(self.label, format!("write failed: {e}")))
    }
}

/// Reads the content part of a package (everything before the trailer), hashing it and
/// reporting any read past its end as truncation.
struct HashingReader<'a, R: Read> {
    inner: &'a mut R,
    hasher: Sha256,
    pos: u64,
    limit: u64,
    label: &'a str,
}

impl<R: Read> HashingReader<'_, R> {
    fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<(), LifelongError> {
        if buf.len() as u64 > self.limit - self.pos {
            return Err(LifelongError::bad(
                self.label,
                format!("truncated: the file ends inside a {what} record"),
            ));
        }
        self.inner
            .read_exact(buf)
            .map_err(|e| LifelongError::bad(self.label, format!("reading a {what} record: {e}")))?;
        self.hasher.update(&*buf);
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], LifelongError> {
        let mut b = [0u8; N];
        self.fill(&mut b, what)?;
        Ok(b)
    }

    fn vec(&mut self, len: usize, what: &str) -> Result<Vec<u8>, LifelongError> {
        let mut b = vec![0u8; len];
        self.fill(&mut b, what)?;
        Ok(b)
    }

    fn length(&self, len: u64, what: &str) -> Result<usize, LifelongError> {
        if len > MAX_RECORD || len > self.limit - self.pos {
            return Err(LifelongError::bad(
                self.label,
                format!("truncated or corrupt: a {what} record claims {len} bytes"),
            ));
        }
        Ok(len as usize)
    }
}
