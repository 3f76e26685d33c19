//! One module per subcommand; `dispatch` is the only place that maps commands to code.

pub mod chunks;
pub mod merge;
pub mod scan;
pub mod simulate;

use crate::args::{Cli, Command};

/// Runs the chosen subcommand.
pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(args) => simulate::run(args),
        Command::Scan(args) => scan::run(*args),
        Command::Chunks(args) => chunks::run(args),
        Command::Merge(args) => merge::run(args),
    }
}
