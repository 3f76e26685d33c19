//! The simulator is deterministic and its truth is in its data: planted allele frequencies,
//! APOE ε4 raising AD prevalence, age raising AD prevalence, volumes counted from the label
//! maps, planted volume effects visible in the volume table, ~1% missing calls and LD.

mod determinism;
mod truth;

use std::path::{Path, PathBuf};

use biomarker_sim::{simulate, SimConfig};

/// Simulates into a fresh temporary folder.
pub fn run(config: &SimConfig) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cohort");
    simulate(config, &out, &|_| ()).unwrap();
    (dir, out)
}

/// Every file below `root`, relative path → bytes.
pub fn all_files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}
