//! `biomarker-gwas`: the one binary. It parses the command line once into validated options,
//! sets up logging, runs one subcommand and maps the outcome to an exit code: 0 ok,
//! 1 failure (the error chain printed on stderr), 2 usage error (printed by clap).

mod args;
mod cmd;
mod logging;
mod progress;
mod run_manifest;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    logging::init(cli.verbose, cli.quiet);
    if let Err(err) = cmd::dispatch(cli) {
        eprintln!("error: {err}");
        for cause in err.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        std::process::exit(1);
    }
}
