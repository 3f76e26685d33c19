//! The command-line surface: global flags and one struct of options per subcommand.

use clap::{Parser, Subcommand};

use crate::cmd::encode::EncodeArgs;
use crate::cmd::experiment::ExperimentArgs;
use crate::cmd::pca::PcaArgs;
use crate::cmd::scan::ScanArgs;
use crate::cmd::simulate::SimulateArgs;
use crate::cmd::train::TrainArgs;

/// Deep imaging biomarkers from brain MRI segmentations, tested genetically.
///
/// Every subcommand writes its tables and a JSON run manifest (version, command line,
/// parameters, seeds, input hashes, timings) into its output folder. Progress bars go to
/// stderr when it is a terminal; logs go to stderr; stdout carries data and summaries.
#[derive(Debug, Parser)]
#[command(name = "biomarker-gwas", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More log output (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// The step to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a synthetic cohort with known truth: PLINK genotypes, subjects, NIfTI label maps,
    /// phenotype/covariate tables and a truth file.
    Simulate(SimulateArgs),
    /// Genome-wide association scan over PLINK files (linear and logistic/Firth, PLINK 2
    /// --glm compatible), many phenotypes in one pass.
    Scan(Box<ScanArgs>),
    /// PCA of deep features per structure (fit or apply saved loadings) and genotype principal
    /// components (randomized, streamed; optional LD pruning) as covariates for scans.
    Pca(PcaArgs),
    /// Train the multi-task 3D autoencoder on NIfTI label maps (checkpoints, resume, log).
    Train(TrainArgs),
    /// Bottleneck features of every subject × structure into a FeatureTable.
    Encode(EncodeArgs),
    /// Run the study's design grid (task subsets × with/without GradNorm) and tabulate results.
    Experiment(ExperimentArgs),
}
