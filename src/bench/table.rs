//! `BenchTable`: a tabular NAS benchmark loaded from CSV, so that "evaluating" an
//! architecture is a row look-up (../shared/benchmarks/README.md). Knows the two shared
//! formats (NAS-Bench-Macro, NAS-Bench-201) by their encoding column and picks their
//! accuracy / cost columns by default; any CSV with the same encoding column works too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::canonical::stage_identity_canonical;
use super::error::BenchError;
use crate::space::{Arch, Space};

/// The table layouts fnas knows, told apart by the name of the encoding column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    /// NAS-Bench-Macro: encoding column `arch`, duplicates by the per-stage identity rule
    /// (cross-checked against the optional `canonical_arch` column).
    NasBenchMacro,
    /// NAS-Bench-201: encoding column `ops`, isomorphism classes from the optional
    /// `arch_index` + `iso_rep` columns.
    NasBench201,
}

impl TableFormat {
    /// Detects the format from the header: `arch` wins over `ops` if both are present.
    fn detect(header: &[String]) -> Option<TableFormat> {
        let has = |name: &str| header.iter().any(|h| h == name);
        if has("arch") {
            Some(TableFormat::NasBenchMacro)
        } else if has("ops") {
            Some(TableFormat::NasBench201)
        } else {
            None
        }
    }

    /// The column holding the architecture encoding (one character per decision).
    pub fn encoding_column(self) -> &'static str {
        match self {
            TableFormat::NasBenchMacro => "arch",
            TableFormat::NasBench201 => "ops",
        }
    }

    /// The accuracy column used when the caller names none: the benchmark's standard metric.
    pub fn default_accuracy_column(self) -> &'static str {
        match self {
            TableFormat::NasBenchMacro => "test_acc_mean",
            TableFormat::NasBench201 => "test_acc",
        }
    }

    /// The cost column used when the caller names none (skipped if the file lacks it).
    pub fn default_cost_column(self) -> &'static str {
        match self {
            TableFormat::NasBenchMacro => "flops",
            TableFormat::NasBench201 => "flops_M",
        }
    }
}

/// What the table says about one encoding.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The accuracy column's value exactly as in the file: the shared tables use percent
    /// (0-100), and no rescaling is done so figures match the published ones.
    pub accuracy: f64,
    /// The cost column's value, if the table has one (FLOPs for the shared tables).
    pub cost: Option<f64>,
    /// The representative of the architecture's duplicate class: two encodings with the same
    /// `canonical` are the same network. For NAS-Bench-Macro its values equal this row's; for
    /// NAS-Bench-201 the class members were trained separately, so their values differ by noise.
    pub canonical: Arch,
}

/// The k-th best row value: the accuracy an architecture needs to be in the table's top
/// `fraction` (peers.md "Targets": k = ceil(fraction x rows), counting duplicate rows).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    pub fraction: f64,
    pub k: usize,
    pub value: f64,
}

/// A loaded benchmark table: one row per encoding, indexed by `Arch`.
#[derive(Clone, Debug)]
pub struct BenchTable {
    path: PathBuf,
    space: Space,
    format: TableFormat,
    accuracy_column: String,
    cost_column: Option<String>,
    archs: Vec<Arch>,
    rows: Vec<Row>,
    index: HashMap<Arch, usize>,
    /// Every row's accuracy, best first, for thresholds.
    sorted_desc: Vec<f64>,
}

/// Column positions resolved from the header.
struct Columns {
    encoding: usize,
    accuracy: usize,
    cost: Option<usize>,
    /// NAS-Bench-Macro's `canonical_arch`, checked against the rule when present.
    canonical_arch: Option<usize>,
    /// NAS-Bench-201's (`arch_index`, `iso_rep`), both or neither.
    iso: Option<(usize, usize)>,
}

/// A parsed data row before cross-row resolution (iso classes need every row first).
struct RawRow {
    line: u64,
    arch: Arch,
    accuracy: f64,
    cost: Option<f64>,
    canonical_arch: Option<Arch>,
    iso: Option<(usize, usize)>,
}

impl BenchTable {
    /// Loads a benchmark CSV for `space`. `accuracy_column` / `cost_column` override the
    /// format's defaults (a named column must exist; the default cost column is optional).
    /// Every row must fit the space and encodings must be unique; errors name file, line
    /// and column.
    pub fn load(
        path: impl AsRef<Path>,
        space: &Space,
        accuracy_column: Option<&str>,
        cost_column: Option<&str>,
    ) -> Result<BenchTable, BenchError> {
        let path = path.as_ref().to_path_buf();
        let file = std::fs::File::open(&path).map_err(|source| BenchError::Io {
            path: path.clone(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(std::io::BufReader::new(file));
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(&path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        let format = TableFormat::detect(&header).ok_or_else(|| BenchError::MissingColumn {
            path: path.clone(),
            column: "arch (NAS-Bench-Macro) or ops (NAS-Bench-201)".to_string(),
            why: "the architecture encoding".to_string(),
            available: header.join(", "),
        })?;
        let accuracy_name = accuracy_column.unwrap_or(format.default_accuracy_column());
        let (columns, cost_name) =
            resolve_columns(&path, &header, format, accuracy_name, cost_column)?;

        let mut raw = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(&path, e))?;
            let line = record.position().map_or(0, |p| p.line());
            let cells = Cells {
                path: &path,
                header: &header,
                record: &record,
                line,
            };
            raw.push(cells.parse_row(&columns, space)?);
        }
        if raw.is_empty() {
            return Err(BenchError::EmptyTable { path });
        }

        let mut index = HashMap::with_capacity(raw.len());
        let mut lines = Vec::with_capacity(raw.len());
        for (i, r) in raw.iter().enumerate() {
            if let Some(&first) = index.get(&r.arch) {
                return Err(BenchError::DuplicateEncoding {
                    path,
                    line: r.line,
                    column: header[columns.encoding].clone(),
                    value: r.arch.to_string(),
                    first_line: lines[first],
                });
            }
            index.insert(r.arch.clone(), i);
            lines.push(r.line);
        }

        let canonicals = match columns.iso {
            Some((index_col, iso_col)) => {
                iso_canonicals(&path, &raw, &header[index_col], &header[iso_col])?
            }
            None => raw
                .iter()
                .map(|r| match format {
                    TableFormat::NasBenchMacro => stage_identity_canonical(space, &r.arch),
                    TableFormat::NasBench201 => r.arch.clone(),
                })
                .collect(),
        };
        if let Some(col) = columns.canonical_arch {
            for (r, canonical) in raw.iter().zip(&canonicals) {
                if let Some(given) = &r.canonical_arch {
                    if given != canonical {
                        return Err(BenchError::Field {
                            path,
                            line: r.line,
                            column: header[col].clone(),
                            value: given.to_string(),
                            message: format!(
                                "disagrees with the per-stage identity rule over the blocks \
                                 of space `{}` (expected `{canonical}`); is this the \
                                 nb-macro space?",
                                space.name()
                            ),
                        });
                    }
                }
            }
        }

        let archs: Vec<Arch> = raw.iter().map(|r| r.arch.clone()).collect();
        let rows: Vec<Row> = raw
            .into_iter()
            .zip(canonicals)
            .map(|(r, canonical)| Row {
                accuracy: r.accuracy,
                cost: r.cost,
                canonical,
            })
            .collect();
        let mut sorted_desc: Vec<f64> = rows.iter().map(|r| r.accuracy).collect();
        sorted_desc.sort_by(|a, b| b.total_cmp(a));
        Ok(BenchTable {
            path,
            space: space.clone(),
            format,
            accuracy_column: accuracy_name.to_string(),
            cost_column: cost_name,
            archs,
            rows,
            index,
            sorted_desc,
        })
    }

    /// The row of `arch`. Errors if the arch does not fit the space or the table lacks it.
    pub fn lookup(&self, arch: &Arch) -> Result<Row, BenchError> {
        self.space
            .validate(arch)
            .map_err(|source| BenchError::InvalidArch {
                path: self.path.clone(),
                arch: arch.to_string(),
                source: Box::new(source),
            })?;
        self.index
            .get(arch)
            .map(|&i| self.rows[i].clone())
            .ok_or_else(|| BenchError::ArchNotInTable {
                path: self.path.clone(),
                arch: arch.to_string(),
                column: self.format.encoding_column().to_string(),
            })
    }

    /// The representative of `arch`'s duplicate class, so a search can count distinct
    /// networks. NAS-Bench-Macro: the per-stage rule (defined for every valid arch, in the
    /// table or not). NAS-Bench-201: the encoding of the row named by `iso_rep`. An arch the
    /// table cannot place (wrong length, missing row, no class columns) is its own class;
    /// `lookup` reports why.
    pub fn canonical(&self, arch: &Arch) -> Arch {
        match self.index.get(arch) {
            Some(&i) => self.rows[i].canonical.clone(),
            None if self.format == TableFormat::NasBenchMacro => {
                stage_identity_canonical(&self.space, arch)
            }
            None => arch.clone(),
        }
    }

    /// The highest accuracy of any row.
    pub fn global_best(&self) -> f64 {
        // Non-empty by construction: `load` rejects a table without rows.
        self.sorted_desc[0]
    }

    /// How many rows (encodings) reach the global best (peers.md "rows at it").
    pub fn rows_at_best(&self) -> usize {
        let best = self.global_best();
        self.sorted_desc.iter().take_while(|&&v| v == best).count()
    }

    /// The k-th best row value (1-based, duplicates counted as rows); `None` past the end.
    pub fn kth_best(&self, k: usize) -> Option<f64> {
        k.checked_sub(1)
            .and_then(|i| self.sorted_desc.get(i))
            .copied()
    }

    /// Accuracy needed to be in the top `fraction` of rows: the k-th best row value with
    /// k = ceil(fraction x rows) (0.1% of 6561 rows -> k = 7, of 15625 -> k = 16).
    pub fn threshold_top(&self, fraction: f64) -> Result<Threshold, BenchError> {
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(BenchError::InvalidFraction { fraction });
        }
        let n = self.sorted_desc.len();
        // The epsilon keeps an exact product (e.g. 0.01 x 15000) from rounding up by one.
        let k = ((fraction * n as f64 - 1e-9).ceil() as usize).clamp(1, n);
        Ok(Threshold {
            fraction,
            k,
            value: self.sorted_desc[k - 1],
        })
    }

    /// Number of rows (encodings, duplicates included).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Always false: `load` rejects empty tables (kept for the `len` convention).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every (encoding, row) in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&Arch, &Row)> {
        self.archs.iter().zip(&self.rows)
    }

    /// Parses an encoding string such as `22212220` and checks that it fits the space.
    pub fn parse_arch(&self, text: &str) -> Result<Arch, BenchError> {
        let arch = parse_encoding(text).map_err(|(i, c)| BenchError::InvalidEncoding {
            text: text.to_string(),
            message: format!("character {} `{c}` is not a choice digit", i + 1),
        })?;
        self.space
            .validate(&arch)
            .map_err(|source| BenchError::InvalidArch {
                path: self.path.clone(),
                arch: text.to_string(),
                source: Box::new(source),
            })?;
        Ok(arch)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn space(&self) -> &Space {
        &self.space
    }

    pub fn format(&self) -> TableFormat {
        self.format
    }

    /// The column the accuracies come from (reported next to every figure).
    pub fn accuracy_column(&self) -> &str {
        &self.accuracy_column
    }

    /// The cost column in use, if any.
    pub fn cost_column(&self) -> Option<&str> {
        self.cost_column.as_deref()
    }
}

/// Turns an encoding string into tokens: one character per decision, each a base-36 digit
/// (the inverse of `Arch`'s `Display`), so leading zeros survive. On failure returns the
/// 0-based position and the offending character.
pub fn parse_encoding(text: &str) -> Result<Arch, (usize, char)> {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            c.to_digit(36)
                .and_then(|d| u8::try_from(d).ok())
                .ok_or((i, c))
        })
        .collect::<Result<Vec<u8>, _>>()
        .map(Arch::new)
}

/// Finds every column the format and the caller ask for; returns them with the cost column's
/// name when one is in use.
fn resolve_columns(
    path: &Path,
    header: &[String],
    format: TableFormat,
    accuracy_name: &str,
    cost_column: Option<&str>,
) -> Result<(Columns, Option<String>), BenchError> {
    let find = |name: &str| header.iter().position(|h| h == name);
    let require = |name: &str, why: &str| {
        find(name).ok_or_else(|| BenchError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            why: why.to_string(),
            available: header.join(", "),
        })
    };
    let encoding_name = format.encoding_column();
    let encoding = require(encoding_name, "the architecture encoding")?;
    let accuracy = require(accuracy_name, "the accuracy column")?;
    let (cost, cost_name) = match cost_column {
        Some(name) => (
            Some(require(name, "the requested cost column")?),
            Some(name),
        ),
        None => {
            let name = format.default_cost_column();
            (find(name), find(name).map(|_| name))
        }
    };
    let (canonical_arch, iso) = match format {
        TableFormat::NasBenchMacro => (find("canonical_arch"), None),
        TableFormat::NasBench201 => match (find("arch_index"), find("iso_rep")) {
            (Some(i), Some(r)) => (None, Some((i, r))),
            (None, Some(_)) => {
                return Err(BenchError::MissingColumn {
                    path: path.to_path_buf(),
                    column: "arch_index".to_string(),
                    why: "`iso_rep` refers to rows by their arch_index".to_string(),
                    available: header.join(", "),
                })
            }
            _ => (None, None),
        },
    };
    Ok((
        Columns {
            encoding,
            accuracy,
            cost,
            canonical_arch,
            iso,
        },
        cost_name.map(str::to_string),
    ))
}

/// One CSV record with what is needed to report a bad cell.
struct Cells<'a> {
    path: &'a Path,
    header: &'a [String],
    record: &'a csv::StringRecord,
    line: u64,
}

impl Cells<'_> {
    fn text(&self, col: usize) -> &str {
        // The reader is not `flexible`, so every record has as many fields as the header.
        self.record.get(col).unwrap_or("")
    }

    fn error(&self, col: usize, message: impl Into<String>) -> BenchError {
        BenchError::Field {
            path: self.path.to_path_buf(),
            line: self.line,
            column: self.header[col].clone(),
            value: self.text(col).to_string(),
            message: message.into(),
        }
    }

    fn number(&self, col: usize) -> Result<f64, BenchError> {
        match self.text(col).parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error(col, "not a finite number")),
        }
    }

    /// An accuracy in percent, as every benchmark table writes it: a column of other values
    /// (parameter counts, an encoding read as a number) is refused here rather than searched.
    fn percent(&self, col: usize) -> Result<f64, BenchError> {
        match self.number(col)? {
            v if (0.0..=100.0).contains(&v) => Ok(v),
            _ => Err(self.error(col, "not an accuracy in percent (0 to 100)")),
        }
    }

    fn index(&self, col: usize) -> Result<usize, BenchError> {
        self.text(col)
            .parse::<usize>()
            .map_err(|_| self.error(col, "not a non-negative integer"))
    }

    fn encoding(&self, col: usize, space: &Space) -> Result<Arch, BenchError> {
        let text = self.text(col);
        let arch = parse_encoding(text).map_err(|(i, c)| {
            self.error(
                col,
                format!("character {} `{c}` is not a choice digit", i + 1),
            )
        })?;
        space
            .validate(&arch)
            .map_err(|e| self.error(col, format!("does not fit space `{}`: {e}", space.name())))?;
        Ok(arch)
    }

    fn parse_row(&self, columns: &Columns, space: &Space) -> Result<RawRow, BenchError> {
        Ok(RawRow {
            line: self.line,
            arch: self.encoding(columns.encoding, space)?,
            accuracy: self.percent(columns.accuracy)?,
            cost: columns.cost.map(|c| self.number(c)).transpose()?,
            canonical_arch: columns
                .canonical_arch
                .map(|c| self.encoding(c, space))
                .transpose()?,
            iso: columns
                .iso
                .map(|(i, r)| Ok::<_, BenchError>((self.index(i)?, self.index(r)?)))
                .transpose()?,
        })
    }
}

/// Resolves NAS-Bench-201's `iso_rep` (the smallest `arch_index` of the isomorphism class)
/// into the representative's encoding, checking the README's definition on the way: the
/// representative exists, is not larger than the row's index, and represents itself.
fn iso_canonicals(
    path: &Path,
    raw: &[RawRow],
    index_name: &str,
    iso_name: &str,
) -> Result<Vec<Arch>, BenchError> {
    let field = |r: &RawRow, column: &str, value: usize, message: String| BenchError::Field {
        path: path.to_path_buf(),
        line: r.line,
        column: column.to_string(),
        value: value.to_string(),
        message,
    };
    let mut by_index: HashMap<usize, usize> = HashMap::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        // `iso` is Some for every row when the columns exist (parse_row fills it).
        let Some((arch_index, _)) = r.iso else {
            continue;
        };
        if let Some(&first) = by_index.get(&arch_index) {
            return Err(field(
                r,
                index_name,
                arch_index,
                format!("already used on line {}", raw[first].line),
            ));
        }
        by_index.insert(arch_index, i);
    }
    raw.iter()
        .map(|r| {
            let Some((arch_index, rep)) = r.iso else {
                return Ok(r.arch.clone());
            };
            let &rep_row = by_index.get(&rep).ok_or_else(|| {
                field(
                    r,
                    iso_name,
                    rep,
                    "names an arch_index that is not in the table".into(),
                )
            })?;
            let rep_is_own = raw[rep_row].iso.map(|(_, own)| own) == Some(rep);
            if rep > arch_index || !rep_is_own {
                return Err(field(
                    r,
                    iso_name,
                    rep,
                    "is not the smallest arch_index of its class (it must be <= this row's \
                     arch_index and be its own iso_rep)"
                        .into(),
                ));
            }
            Ok(raw[rep_row].arch.clone())
        })
        .collect()
}

/// Maps a CSV reader error to `BenchError::Csv`, keeping the line when the reader knows it.
fn csv_error(path: &Path, e: csv::Error) -> BenchError {
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("row has {len} fields but the header has {expected_len}"),
        _ => e.to_string(),
    };
    BenchError::Csv {
        path: path.to_path_buf(),
        line,
        message,
    }
}
