//! Integration tests of the tables crate: round trips of every table kind through text and
//! Parquet, validation failures with their messages, and PLINK file sets (checked against
//! plink2 where it is installed).

mod plink;
mod roundtrip;
mod row_batch;
mod schema_peer;
mod validation;

use std::path::PathBuf;

/// Finds a peer tool on PATH. In CI (the `CI` variable set) its absence fails the test; on a
/// developer machine the test is skipped with a message.
pub fn peer_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required in CI: run scripts/install/*.sh"
        );
        eprintln!("skipped: {name} not installed");
    }
    found
}
