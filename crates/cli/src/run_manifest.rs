//! The run manifest every subcommand writes beside its outputs.

use biomarker_tables::RunManifest;

/// Starts a manifest for `subcommand` with the process's command line and the parameters.
pub fn start(subcommand: &str, parameters: serde_json::Value) -> RunManifest {
    RunManifest::start(
        env!("CARGO_PKG_VERSION"),
        subcommand,
        std::env::args().collect(),
        parameters,
    )
}
