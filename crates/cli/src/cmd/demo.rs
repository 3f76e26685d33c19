//! `biomarker-gwas demo`: simulates the default cohort, writes a study config for it and runs
//! the whole study on the CPU, then says whether the planted truth was recovered: each causal
//! variant found or not, AD against CN per structure, deep PC against volume.

mod summary;

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::run::argv::Argv;
use super::run::config::StudyConfig;
use super::run::run_study;
use super::run::stamp::{Outcome, Step};

/// Options of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output folder: `cohort/` (the simulated cohort), `study.toml` (the study config, for
    /// `run --config`), `study/` (one folder per step; report in `study/report/report.html`).
    /// A rerun with the same options skips every step that is up to date.
    #[arg(long, default_value = "biomarker-gwas-demo")]
    pub out: PathBuf,
    /// A smaller cohort and model (300 subjects, 2,000 variants, two epochs of a tiny model on
    /// 40 subjects): well under a minute of CPU, for tests and a first look.
    #[arg(long)]
    pub small: bool,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// The demo's settings: the cohort and the study.
struct Settings {
    samples: u32,
    variants: u32,
    train_subjects: usize,
    feature_maps: &'static str,
    bottleneck: usize,
    epochs: usize,
    permutations: u32,
    genotype_pcs: u32,
    png: bool,
    /// Subjects per structure in the report's t-SNE view (exact t-SNE is O(n²)).
    tsne_subjects: u32,
}

impl Settings {
    fn of(small: bool) -> Self {
        if small {
            Self {
                samples: 300,
                variants: 2_000,
                train_subjects: 40,
                feature_maps: "4, 8",
                bottleneck: 8,
                epochs: 2,
                permutations: 499,
                genotype_pcs: 5,
                png: false,
                tsne_subjects: 200,
            }
        } else {
            Self {
                samples: 1_000,
                variants: 20_000,
                train_subjects: 200,
                feature_maps: "8, 16",
                bottleneck: 16,
                epochs: 4,
                permutations: 999,
                genotype_pcs: 10,
                png: true,
                tsne_subjects: 500,
            }
        }
    }

    /// The study config for the simulated cohort in `cohort/` beside it.
    fn study_toml(&self) -> String {
        format!(
            r#"# Written by `biomarker-gwas demo`; run it again with `biomarker-gwas run --config study.toml`.
out = "study"

[data]
images = "cohort/images.tsv"
labels = "cohort/labels.tsv"
bfile = "cohort/cohort"
phenotypes = "cohort/phenotypes.tsv"
covariates = "cohort/covariates.tsv"

[train]
subjects = {train_subjects}
size = 16
feature_maps = [{feature_maps}]
bottleneck = {bottleneck}
head_hidden = {bottleneck}
batch_size = 16
epochs = {epochs}
patience = 0
device = "cpu"

[pca]
genotype_pcs = {genotype_pcs}

[mmd]
pairs = ["AD:CN"]
tests = ["unbiased"]
permutations = {permutations}

[scan]
phenotypes = ["null_trait"]

[report]
png = {png}

[latent]
max_subjects = {tsne_subjects}
"#,
            train_subjects = self.train_subjects,
            feature_maps = self.feature_maps,
            bottleneck = self.bottleneck,
            epochs = self.epochs,
            genotype_pcs = self.genotype_pcs,
            permutations = self.permutations,
            png = self.png,
            tsne_subjects = self.tsne_subjects,
        )
    }
}

/// Runs `demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let settings = Settings::of(args.small);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let cohort = args.out.join("cohort");
    simulate(&cohort, &settings, args.seed)?;
    let config = args.out.join("study.toml");
    biomarker_tables::atomic::write_atomic(&config, |w| {
        w.write_all(settings.study_toml().as_bytes())
    })?;
    let cfg = StudyConfig::read(&config)?;
    let study = run_study(&cfg)?;
    println!();
    summary::print(&cohort.join("truth.json"), &cfg, &study)?;
    println!();
    println!("report: {}", study.report_html.display());
    println!(
        "study config: {} (rerun with `biomarker-gwas run --config {}`)",
        config.display(),
        config.display()
    );
    Ok(())
}

/// The simulation step (skipped when the cohort is already there with the same settings).
fn simulate(cohort: &Path, s: &Settings, seed: u64) -> anyhow::Result<Outcome> {
    let argv = Argv::default()
        .path("out", cohort)
        .arg("samples", s.samples)
        .arg("variants", s.variants)
        // At 32³ (5.6 mm voxels) the small structures' volumes carry their genetic signal;
        // at 16³ they are a few voxels and do not.
        .arg("size", 32)
        .arg("seed", seed);
    let outputs = [
        "cohort.bed",
        "cohort.bim",
        "cohort.fam",
        "phenotypes.tsv",
        "covariates.tsv",
        "images.tsv",
        "labels.tsv",
        "truth.json",
    ]
    .map(|f| cohort.join(f))
    .to_vec();
    let step = Step {
        name: "simulate",
        dir: cohort.to_path_buf(),
        parameters: argv.to_json(),
        inputs: Vec::new(),
        outputs,
    };
    step.run(|_| super::simulate::run(argv.parse("simulate")?))
}
