//! Logging through tracing to stderr; `-v`/`-q` pick the level, `RUST_LOG`-style overrides
//! are not needed for a tool whose steps log a handful of lines each.

use tracing::Level;

/// Installs the stderr subscriber.
pub fn init(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => Level::WARN,
        (false, 0) => Level::INFO,
        (false, 1) => Level::DEBUG,
        _ => Level::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
