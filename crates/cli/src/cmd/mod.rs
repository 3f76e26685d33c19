//! One module per subcommand; `dispatch` is the only place that maps commands to code.

pub mod encode;
pub mod experiment;
pub mod pca;
pub mod scan;
pub mod simulate;
pub mod train;

use crate::args::{Cli, Command};

/// Runs the chosen subcommand.
pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(args) => simulate::run(args),
        Command::Scan(args) => scan::run(*args),
        Command::Pca(args) => pca::run(args),
        Command::Train(args) => train::run(args),
        Command::Encode(args) => encode::run(args),
        Command::Experiment(args) => experiment::run(args),
    }
}
