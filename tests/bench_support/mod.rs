//! Shared helpers of the bench_* integration tests: locating the shared benchmark tables
//! (skipping with a printed reason when they are absent) and loading the bench spaces.

#![allow(dead_code)] // each test file uses a subset

use std::path::PathBuf;

use fnas::bench::BenchTable;
use fnas::space::Space;

pub const MACRO: &str = "nas_bench_macro_cifar10.csv";
pub const NB201_C10: &str = "nb201_cifar10.csv";
pub const NB201_C100: &str = "nb201_cifar100.csv";

/// The bench spaces straight from schema/spaces (they may not be registered as built-ins).
pub fn space(name: &str) -> Space {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schema/spaces")
        .join(format!("{name}.toml"));
    Space::from_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

pub fn macro_space() -> Space {
    space("nb-macro")
}

pub fn nb201_space() -> Space {
    space("nb201")
}

/// CARGO_MANIFEST_DIR/../shared/benchmarks/<file>, or None (with the reason printed) when
/// the shared tables are not on this machine.
pub fn table_path(file: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/benchmarks")
        .join(file);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("SKIPPED: benchmark table {} not found", path.display());
        None
    }
}

/// Loads a shared table with its default columns, or None if absent.
pub fn load(file: &str, space: &Space) -> Option<BenchTable> {
    let path = table_path(file)?;
    Some(BenchTable::load(&path, space, None, None).unwrap_or_else(|e| panic!("{e}")))
}

/// Loads a shared table with an explicit accuracy column, or None if absent.
pub fn load_column(file: &str, space: &Space, accuracy: &str) -> Option<BenchTable> {
    let path = table_path(file)?;
    Some(BenchTable::load(&path, space, Some(accuracy), None).unwrap_or_else(|e| panic!("{e}")))
}
