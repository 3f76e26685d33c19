//! `biomarker-gwas run --config study.toml`: the whole study in one process. Label maps →
//! train (or a given checkpoint) → encode → feature PCA and genotype PCs → association and
//! deep-against-volume comparison → MMD tests → genome scans of every structure's PC and
//! volume (genotype PCs as covariates) → report. Each step runs the stage of its subcommand
//! in its own folder of the study and is skipped when it is up to date (see `stamp`).

pub mod argv;
pub mod config;
pub mod stamp;

use std::path::{Path, PathBuf};

use anyhow::Context;
use biomarker_tables::{Alignment, FeatureTable, PhenoTable, Side, TableKind};
use clap::Args;

use argv::Argv;
use config::StudyConfig;
use stamp::{Outcome, Step};

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Study configuration (TOML; see docs/study.md). Each step writes into its own
    /// subfolder of the study folder; a rerun skips the steps whose inputs and parameters
    /// are unchanged and resumes a training that was killed.
    #[arg(long)]
    pub config: PathBuf,
}

/// Runs `run`.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let cfg = StudyConfig::read(&args.config)?;
    let study = run_study(&cfg)?;
    println!(
        "study done: {} ran, {} skipped; report: {}",
        study.ran(),
        study.steps.len() - study.ran(),
        study.report_html.display()
    );
    Ok(())
}

/// What a study run did.
#[derive(Debug, Clone)]
pub struct StudyRun {
    /// Each step and its outcome, in order.
    pub steps: Vec<(&'static str, Outcome)>,
    /// The report page.
    pub report_html: PathBuf,
    /// The scan results.
    pub gwas: PathBuf,
    /// The MMD results.
    pub mmd: PathBuf,
    /// The comparison table, when asked for.
    pub comparison: Option<PathBuf>,
}

impl StudyRun {
    /// Steps that ran.
    pub fn ran(&self) -> usize {
        self.steps
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Ran(_)))
            .count()
    }
}

/// The study folder's layout.
struct Layout {
    train: PathBuf,
    encode: PathBuf,
    pca: PathBuf,
    genotype_pcs: PathBuf,
    assoc: PathBuf,
    mmd: PathBuf,
    scan: PathBuf,
    report: PathBuf,
}

impl Layout {
    fn new(out: &Path) -> Self {
        Self {
            train: out.join("train"),
            encode: out.join("encode"),
            pca: out.join("pca"),
            genotype_pcs: out.join("genotype-pcs"),
            assoc: out.join("assoc"),
            mmd: out.join("mmd"),
            scan: out.join("scan"),
            report: out.join("report"),
        }
    }
}

/// The label maps the manifest names: inputs of the steps that read images.
fn label_maps(images: &Path, first: Option<usize>) -> anyhow::Result<Vec<PathBuf>> {
    let entries = biomarker_deep::data::inputs::read_manifest(images)?;
    let n = first.unwrap_or(entries.len()).min(entries.len());
    Ok(entries.into_iter().take(n).map(|e| e.path).collect())
}

/// Runs every step of the study described by `cfg`.
pub fn run_study(cfg: &StudyConfig) -> anyhow::Result<StudyRun> {
    std::fs::create_dir_all(&cfg.out)
        .with_context(|| format!("creating the study folder {}", cfg.out.display()))?;
    let at = Layout::new(&cfg.out);
    let d = &cfg.data;
    let t = &cfg.train;
    let mut steps = Vec::new();
    let [bed, bim, fam] = biomarker_tables::plink::fileset_paths(&d.bfile);

    // 1. Training (unless a checkpoint is given).
    let model_dir = match &t.checkpoint {
        Some(dir) => dir.clone(),
        None => {
            let images = match t.subjects {
                Some(_) => at.train.join("train_images.tsv"),
                None => d.images.clone(),
            };
            let argv = Argv::default()
                .path("out", &at.train)
                .path("images", &images)
                .path("labels", &d.labels)
                .opt("size", t.size)
                .list("feature-maps", t.feature_maps.as_deref())
                .opt("bottleneck", t.bottleneck)
                .opt("head-hidden", t.head_hidden)
                .list("tasks", t.tasks.as_deref())
                .opt("balance", t.balance.as_ref())
                .opt("epochs", t.epochs)
                .opt("patience", t.patience)
                .opt("batch-size", t.batch_size)
                .opt("lr", t.lr)
                .opt("seed", t.seed)
                .opt("split-seed", t.split_seed)
                .opt("val-fraction", t.val_fraction)
                .opt("test-fraction", t.test_fraction)
                .opt("device", t.device.as_ref());
            let mut inputs = vec![d.images.clone(), d.labels.clone()];
            inputs.extend(label_maps(&d.images, t.subjects)?);
            let step = Step {
                name: "train",
                dir: at.train.clone(),
                parameters: serde_json::json!({ "argv": argv.to_json(), "subjects": t.subjects }),
                inputs,
                outputs: ["model.safetensors", "model.json", "train_log.jsonl"]
                    .map(|f| at.train.join(f))
                    .to_vec(),
            };
            let outcome = step.run(|resume| {
                if let Some(n) = t.subjects {
                    write_subset(&d.images, n, &images)?;
                }
                let mut args: super::train::TrainArgs = argv.parse("train")?;
                args.resume = resume && has_checkpoint(&at.train);
                super::train::run(args)
            })?;
            steps.push(("train", outcome));
            at.train.clone()
        }
    };

    // 2. Encoding every subject × structure (and, with `[latent]`, their t-SNE view).
    let features = at.encode.join("features.tsv");
    let tsne = cfg.latent.as_ref().map(|_| at.encode.join("tsne.tsv"));
    let mut argv = Argv::default()
        .path("model", &model_dir)
        .path("images", &d.images)
        .path("labels", &d.labels)
        // A given checkpoint's own mask size unless the config names one; a model trained
        // here was trained at `[train] size` (or both commands' default).
        .opt(
            "size",
            t.size.or_else(|| {
                t.checkpoint
                    .as_ref()
                    .and_then(|_| checkpoint_size(&model_dir))
            }),
        )
        .opt("batch-size", cfg.encode.batch_size)
        .opt("device", t.device.as_ref())
        .path("out", &features);
    if let (Some(path), Some(l)) = (&tsne, &cfg.latent) {
        argv = argv
            .path("tsne", path)
            .opt("perplexity", l.perplexity)
            .opt("tsne-max-subjects", l.max_subjects);
    }
    let mut inputs = vec![
        model_dir.join("model.safetensors"),
        model_dir.join("model.json"),
        d.images.clone(),
        d.labels.clone(),
    ];
    inputs.extend(label_maps(&d.images, None)?);
    let step = Step {
        name: "encode",
        dir: at.encode.clone(),
        parameters: argv.to_json(),
        inputs,
        outputs: std::iter::once(features.clone())
            .chain(tsne.clone())
            .collect(),
    };
    steps.push((
        "encode",
        step.run(|_| super::encode::run(argv.parse("encode")?))?,
    ));

    // 3. Feature PCA: one PC per structure, signed to correlate with its volume.
    let volumes = at.pca.join("volumes.tsv");
    let pcs = at.pca.join("feature-pcs.tsv");
    let argv = Argv::default()
        .path("out", &at.pca)
        .path("features", &features)
        .path("volumes", &volumes)
        .opt("components", cfg.pca.components)
        .switch("scale", cfg.pca.scale == Some(true));
    let step = Step {
        name: "pca",
        dir: at.pca.clone(),
        parameters: serde_json::json!({ "argv": argv.to_json(), "volume_prefix": d.volume_prefix }),
        inputs: vec![features.clone(), d.phenotypes.clone()],
        outputs: vec![pcs.clone(), at.pca.join("pca-loadings.json")],
    };
    steps.push((
        "pca",
        step.run(|_| {
            write_volumes(&d.phenotypes, &d.volume_prefix, &volumes)?;
            super::pca::run(argv.parse("pca")?)
        })?,
    ));

    // 4. Genotype principal components (scan covariates).
    let gpcs = at.genotype_pcs.join("genotype-pcs.tsv");
    let argv = Argv::default()
        .path("out", &at.genotype_pcs)
        .path("bfile", &d.bfile)
        .arg("genotype-pcs", cfg.pca.genotype_pcs)
        .opt("seed", cfg.pca.seed)
        .opt("ld-r2", cfg.pca.ld_r2);
    let step = Step {
        name: "genotype-pcs",
        dir: at.genotype_pcs.clone(),
        parameters: argv.to_json(),
        inputs: vec![bed.clone(), bim.clone(), fam.clone()],
        outputs: vec![gpcs.clone()],
    };
    steps.push((
        "genotype-pcs",
        step.run(|_| super::pca::run(argv.parse("genotype-pcs")?))?,
    ));

    // 5. Association of the PCs and the deep-against-volume comparison.
    let a = &cfg.assoc;
    let outcomes = a
        .outcomes
        .clone()
        .unwrap_or_else(|| vec![d.case_control.clone()]);
    let argv = Argv::default()
        .path("pheno", &d.phenotypes)
        .path("covar", &d.covariates)
        .list("covar-name", Some(&a.covariates[..]))
        .path("features", &pcs)
        .arg("model", &a.model)
        .list("outcome", Some(&outcomes[..]))
        .list(
            "predictor",
            (!a.predictors.is_empty()).then_some(&a.predictors[..]),
        )
        .switch("compare", a.compare)
        .arg("volume-prefix", &d.volume_prefix)
        .opt("cv-folds", a.cv_folds)
        .opt("seed", a.seed)
        .path("out", &at.assoc);
    let comparison = a.compare.then(|| at.assoc.join("comparison.parquet"));
    let mut outputs = vec![at.assoc.join("assoc.parquet")];
    outputs.extend(comparison.clone());
    let step = Step {
        name: "assoc",
        dir: at.assoc.clone(),
        parameters: argv.to_json(),
        inputs: vec![d.phenotypes.clone(), d.covariates.clone(), pcs.clone()],
        outputs,
    };
    steps.push((
        "assoc",
        step.run(|_| super::assoc::execute(&argv.parse("assoc")?).map(|_| ()))?,
    ));

    // 6. MMD tests of the deep features between diagnosis groups.
    let m = &cfg.mmd;
    let argv = Argv::default()
        .path("features", &features)
        .path("pheno", &d.phenotypes)
        .arg("group-column", &d.diagnosis_column)
        .list("pairs", m.pairs.as_deref())
        .list("tests", m.tests.as_deref())
        .opt("kernel", m.kernel.as_ref())
        .opt("permutations", m.permutations)
        .opt("seed", m.seed)
        .path("out", &at.mmd);
    let mmd = at.mmd.join("mmd.parquet");
    let step = Step {
        name: "mmd",
        dir: at.mmd.clone(),
        parameters: argv.to_json(),
        inputs: vec![features.clone(), d.phenotypes.clone()],
        outputs: vec![mmd.clone()],
    };
    steps.push(("mmd", step.run(|_| super::mmd::run(argv.parse("mmd")?))?));

    // 7. Genome scans of every PC and volume, genotype PCs among the covariates.
    let s = &cfg.scan;
    let scan_pheno = at.scan.join("phenotypes.tsv");
    let scan_covar = at.scan.join("covariates.tsv");
    let argv = Argv::default()
        .path("bfile", &d.bfile)
        .path("pheno", &scan_pheno)
        .path("covar", &scan_covar)
        .opt("maf", s.maf)
        .opt("geno", s.geno)
        .opt("threads", s.threads)
        .path("out", &at.scan);
    let gwas = at.scan.join("gwas.parquet");
    let step = Step {
        name: "scan",
        dir: at.scan.clone(),
        parameters: serde_json::json!({
            "argv": argv.to_json(), "phenotypes": s.phenotypes, "covariates": s.covariates,
            "volume_prefix": d.volume_prefix,
        }),
        inputs: vec![
            bed.clone(),
            bim.clone(),
            fam.clone(),
            pcs.clone(),
            gpcs.clone(),
            d.phenotypes.clone(),
            d.covariates.clone(),
        ],
        outputs: vec![gwas.clone()],
    };
    steps.push((
        "scan",
        step.run(|_| {
            write_scan_phenotypes(
                &pcs,
                &d.phenotypes,
                &d.volume_prefix,
                &s.phenotypes,
                &scan_pheno,
            )?;
            write_scan_covariates(&d.covariates, &s.covariates, &gpcs, &scan_covar)?;
            super::scan::run(argv.parse("scan")?)
        })?,
    ));

    // 8. The report.
    let r = &cfg.report;
    let training_log = model_dir.join("train_log.jsonl");
    let mut manifests = vec![
        at.encode.join("features.tsv.manifest.json"),
        at.pca.join("pca.manifest.json"),
        at.genotype_pcs.join("pca.manifest.json"),
        at.assoc.join("assoc.manifest.json"),
        at.mmd.join("mmd.manifest.json"),
        at.scan.join("manifest.json"),
    ];
    if t.checkpoint.is_none() {
        manifests.insert(0, at.train.join("manifest.json"));
    }
    let mut argv = Argv::default()
        .path("out", &at.report)
        .path("gwas", &gwas)
        .path("assoc", &at.assoc.join("assoc.parquet"))
        .path("mmd", &mmd)
        .path("pheno", &d.phenotypes)
        .arg("diagnosis-column", &d.diagnosis_column)
        .path("bfile", &d.bfile)
        .opt("title", r.title.as_ref())
        .opt("loci-p", r.loci_p)
        .switch("no-png", r.png == Some(false));
    // With `[latent]`: the t-SNE beside the PCA of the bottleneck; else the first two
    // bottleneck columns.
    argv = match &tsne {
        Some(path) => argv.path("latent", path).path("latent-features", &features),
        None => argv.path("latent", &features),
    };
    if let Some(c) = &comparison {
        argv = argv.path("comparison", c);
    }
    if training_log.is_file() {
        argv = argv.path("training-log", &training_log);
    }
    for m in &manifests {
        argv = argv.path("manifest", m);
    }
    let mut inputs = vec![
        gwas.clone(),
        at.assoc.join("assoc.parquet"),
        mmd.clone(),
        features.clone(),
        d.phenotypes.clone(),
        bed,
        bim,
        fam,
    ];
    inputs.extend(comparison.clone());
    inputs.extend(tsne.clone());
    inputs.extend(training_log.is_file().then(|| training_log.clone()));
    inputs.extend(manifests);
    let report_html = at.report.join("report.html");
    let step = Step {
        name: "report",
        dir: at.report.clone(),
        parameters: argv.to_json(),
        inputs,
        outputs: vec![report_html.clone()],
    };
    steps.push((
        "report",
        step.run(|_| super::report::run(argv.parse("report")?))?,
    ));

    Ok(StudyRun {
        steps,
        report_html,
        gwas,
        mmd,
        comparison,
    })
}

/// Whether a training folder holds a checkpoint to resume from.
fn has_checkpoint(dir: &Path) -> bool {
    std::fs::read_dir(dir.join("checkpoints")).is_ok_and(|mut entries| entries.any(|e| e.is_ok()))
}

/// The mask size of a trained model (model.json's `model.size`), if it can be read.
fn checkpoint_size(dir: &Path) -> Option<usize> {
    let text = std::fs::read_to_string(dir.join("model.json")).ok()?;
    let card: serde_json::Value = serde_json::from_str(&text).ok()?;
    card["model"]["size"].as_u64().map(|s| s as usize)
}

/// Writes the first `n` subjects of the image manifest `images` to `out`, with absolute paths
/// (the subset lives in another folder).
fn write_subset(images: &Path, n: usize, out: &Path) -> anyhow::Result<()> {
    let entries = biomarker_deep::data::inputs::read_manifest(images)?;
    biomarker_tables::atomic::write_atomic(out, |w| {
        writeln!(w, "IID\tpath")?;
        for e in entries.iter().take(n) {
            let path = std::path::absolute(&e.path)?;
            writeln!(w, "{}\t{}", e.iid, path.display())?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The volume columns of the phenotype table renamed to their structures (what `pca
/// --volumes` expects for signing the PCs).
fn write_volumes(phenotypes: &Path, prefix: &str, out: &Path) -> anyhow::Result<()> {
    let mut table = PhenoTable::read(phenotypes)?;
    table.columns.retain(|c| c.name.starts_with(prefix));
    anyhow::ensure!(
        !table.columns.is_empty(),
        "{}: no volume column (named {prefix}<structure>)",
        phenotypes.display()
    );
    for c in &mut table.columns {
        c.name = c.name[prefix.len()..].to_owned();
    }
    table.write(out)?;
    Ok(())
}

/// Inner-joins two tables on IID (the left side's order), logging what each side lost.
fn join(left: &PhenoTable, right: &PhenoTable) -> anyhow::Result<PhenoTable> {
    let (l, r) = (left.iids(), right.iids());
    let a = Alignment::join(
        Side {
            name: &left.path,
            iids: &l,
        },
        Side {
            name: &right.path,
            iids: &r,
        },
    )?;
    tracing::info!("{a}");
    let mut out = left.take_rows(&a.left);
    out.columns.extend(right.take_rows(&a.right).columns);
    Ok(out)
}

/// The scan's phenotypes: every structure's PCs, every volume and the extra columns asked for.
fn write_scan_phenotypes(
    pcs: &Path,
    phenotypes: &Path,
    prefix: &str,
    extra: &[String],
    out: &Path,
) -> anyhow::Result<()> {
    let wide = FeatureTable::read(pcs)?.to_wide();
    let pheno = PhenoTable::read(phenotypes)?;
    let mut names: Vec<String> = pheno
        .columns
        .iter()
        .filter(|c| c.name.starts_with(prefix))
        .map(|c| c.name.clone())
        .collect();
    names.extend(extra.iter().cloned());
    let picked = pheno
        .select(&names)
        .with_context(|| format!("[scan] phenotypes: {}", phenotypes.display()))?;
    join(&wide, &picked)?.write(out)?;
    Ok(())
}

/// The scan's covariates: the columns asked for and the genotype PCs.
fn write_scan_covariates(
    covariates: &Path,
    names: &[String],
    genotype_pcs: &Path,
    out: &Path,
) -> anyhow::Result<()> {
    let covar = PhenoTable::read(covariates)?
        .select(names)
        .with_context(|| format!("[scan] covariates: {}", covariates.display()))?;
    let gpcs = PhenoTable::read(genotype_pcs)?;
    join(&covar, &gpcs)?.write(out)?;
    Ok(())
}
