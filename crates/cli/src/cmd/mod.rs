//! One module per subcommand; `dispatch` is the only place that maps commands to code.

pub mod assoc;
pub mod bench_train;
pub mod chunks;
pub mod demo;
pub mod encode;
pub mod experiment;
pub mod experiment_grid;
pub mod merge;
pub mod mmd;
pub mod pca;
pub mod report;
pub mod run;
pub mod scan;
pub mod simulate;
pub mod train;
pub mod train_variants;

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
        Command::Mmd(args) => mmd::run(args),
        Command::Report(args) => report::run(*args),
        Command::Assoc(args) => assoc::run(*args),
        Command::Chunks(args) => chunks::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Run(args) => run::run(args),
        Command::Demo(args) => demo::run(args),
        Command::BenchTrain(args) => bench_train::run(args),
    }
}
