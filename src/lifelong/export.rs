//! `fnas export`: writes the selected events and their blobs as a package. The output file
//! appears complete or not at all (tmp file, fsync, rename), and the same store content
//! exports to the same bytes, hence the same package id.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::store::{Store, SCHEMA_VERSION};

use super::package::{write_package, PackageHeader};
use super::select::{select, Selection};
use super::LifelongError;

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct ExportReport {
    /// Package id (hex sha256 of its content).
    pub id: String,
    pub header: PackageHeader,
    /// Total bytes of the package.
    pub bytes: u64,
}

/// Exports `selection` of `store` to the file `out`.
pub fn export_file(
    store: &Store,
    selection: &Selection,
    out: &Path,
) -> Result<ExportReport, LifelongError> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.is_empty() {
        return Err(LifelongError::Invalid(format!(
            "--out {}: not a file name",
            out.display()
        )));
    }
    let tmp = out.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| LifelongError::io("create package", &tmp, e))?;
        let mut w = BufWriter::new(file);
        let report = export_to(store, selection, &mut w, &out.display().to_string())?;
        let file = w
            .into_inner()
            .map_err(|e| LifelongError::io("write package", &tmp, e.into_error()))?;
        file.sync_all()
            .map_err(|e| LifelongError::io("fsync package", &tmp, e))?;
        std::fs::rename(&tmp, out)
            .map_err(|e| LifelongError::io("rename package into place", out, e))?;
        Ok(report)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Exports `selection` of `store` into any writer (`label` names it in errors).
pub fn export_to<W: Write>(
    store: &Store,
    selection: &Selection,
    out: &mut W,
    label: &str,
) -> Result<ExportReport, LifelongError> {
    let selected = select(store, selection)?;
    let header = PackageHeader {
        schema: SCHEMA_VERSION,
        source_store: store.id()?,
        task: selected.task.clone(),
        what: selected.what.clone(),
        experiments: selected.experiments.clone(),
        source_first_seq: selected.events.first().map_or(0, |(s, _)| *s),
        source_last_seq: selected.events.last().map_or(0, |(s, _)| *s),
        events: selected.events.len() as u64,
        blobs: selected.blobs.len() as u64,
    };
    let mut counter = CountingWriter {
        inner: out,
        bytes: 0,
    };
    let id = write_package(
        &mut counter,
        &header,
        &selected.events,
        &selected.blobs,
        |blob| Ok(store.blobs().get(blob)?),
        label,
    )?;
    counter
        .flush()
        .map_err(|e| LifelongError::bad(label, format!("write failed: {e}")))?;
    Ok(ExportReport {
        id,
        header,
        bytes: counter.bytes,
    })
}

struct CountingWriter<'a, W: Write> {
    inner: &'a mut W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
