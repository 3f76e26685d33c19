//! The command-line surface: global flags and one struct of options per subcommand.

use clap::{Parser, Subcommand};

use crate::cmd::assoc::AssocArgs;
use crate::cmd::bench_train::BenchTrainArgs;
use crate::cmd::chunks::ChunksArgs;
use crate::cmd::demo::DemoArgs;
use crate::cmd::encode::EncodeArgs;
use crate::cmd::experiment::ExperimentArgs;
use crate::cmd::merge::MergeArgs;
use crate::cmd::mmd::MmdArgs;
use crate::cmd::pca::PcaArgs;
use crate::cmd::report::ReportArgs;
use crate::cmd::run::RunArgs;
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
    /// Two-sample tests (MMD, DFDA, Hotelling T², energy distance) of per-structure features
    /// between groups: diagnosis pairs or APOE ε4 carriers vs non-carriers.
    Mmd(MmdArgs),
    /// Figures (Manhattan, QQ, regional, training, PCA), top loci and one self-contained
    /// report.html from the study's tables.
    Report(Box<ReportArgs>),
    /// Feature association: OLS of features on predictors, logistic regression of a
    /// diagnosis on features (with ROC AUC), and deep features against volumes per structure.
    Assoc(Box<AssocArgs>),
    /// Plan how a scan is split into chunks for a cluster (ranges of .bim variants that keep
    /// chromosomes whole unless told otherwise).
    Chunks(ChunksArgs),
    /// Join the chunks of a scan into the outputs of the unsplit scan, after checking they
    /// are complete, non-overlapping and from the same inputs and parameters.
    Merge(MergeArgs),
    /// The whole study from one config file: train, encode, PCA, association, MMD, genome
    /// scans and report, each step skipped when up to date.
    Run(RunArgs),
    /// Simulate the default cohort and run the whole study on it on the CPU; prints where the
    /// report is and whether the planted truth was recovered.
    Demo(DemoArgs),
    /// Training throughput (volumes/s) of the default model on random masks, on the CPU or a
    /// CUDA device (see docs/gpu.md).
    BenchTrain(BenchTrainArgs),
}
