//! End-to-end tests of the `biomarker-gwas` binary: each module drives one subcommand the way
//! a user would and checks its files, its manifest, its output and its exit code.

mod assoc;
mod bench_train;
mod cli;
mod deep;
mod deep_cross_stitch;
mod deep_variants;
mod grid_transfer;
mod mmd;
mod mmd_cohort;
mod pca;
mod report;
mod scale;
mod simulate;
mod study;
mod workflow;

use std::path::Path;
use std::process::{Command, Output};

/// A command that runs the binary.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_biomarker-gwas"))
}

/// Runs the binary with `args`.
pub fn bgwas(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

/// Runs the binary and fails the test with its stderr unless it succeeded.
pub fn bgwas_ok(args: &[&str]) -> String {
    let out = bgwas(args);
    assert!(
        out.status.success(),
        "{args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A path as a &str for argument lists.
pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}
