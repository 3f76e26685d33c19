//! `biomarker-gwas report`: Manhattan, QQ, regional, training and PCA figures, the top-loci
//! table and one self-contained `report.html` from whatever study outputs are given.

mod latent_pca;

use std::path::PathBuf;

use anyhow::Context;
use biomarker_report::plot::manhattan::ManhattanOptions;
use biomarker_report::study::{build, StudyInputs, StudyOptions};
use clap::Args;

use crate::{progress, run_manifest};

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output folder (created if absent): report.html, the figures as SVG (and PNG),
    /// top_loci.tsv and report.manifest.json.
    #[arg(long)]
    pub out: PathBuf,
    /// GWAS results (GwasTable, .tsv or .parquet); repeat for several files. Each phenotype
    /// gets a Manhattan and a QQ plot; several phenotypes also get one combined Manhattan.
    #[arg(long, num_args = 1..)]
    pub gwas: Vec<PathBuf>,
    /// Feature association results (AssocTable); repeat for several files.
    #[arg(long, num_args = 1..)]
    pub assoc: Vec<PathBuf>,
    /// Deep-feature against volume comparisons (the ComparisonTable of `assoc --compare`);
    /// repeat for several files.
    #[arg(long, num_args = 1..)]
    pub comparison: Vec<PathBuf>,
    /// MMD two-sample test results (MmdTable); repeat for several files.
    #[arg(long, num_args = 1..)]
    pub mmd: Vec<PathBuf>,
    /// Deep features or PCs (FeatureTable) whose first two columns per structure make the
    /// latent-space scatter; needs --pheno.
    #[arg(long, requires = "pheno")]
    pub latent: Option<PathBuf>,
    /// Deep features (the FeatureTable of `encode`): the first two principal components of
    /// each structure's bottleneck vectors (written to latent_pca.tsv) make a PCA view of the
    /// latent space, drawn beside the --latent view (e.g. `encode --tsne`); needs --pheno.
    #[arg(long, requires = "pheno")]
    pub latent_features: Option<PathBuf>,
    /// Phenotype/covariate table holding the diagnosis that colours the latent scatter.
    #[arg(long)]
    pub pheno: Option<PathBuf>,
    /// Column of --pheno with the diagnosis (e.g. CN, MCI, AD).
    #[arg(long, default_value = "diagnosis")]
    pub diagnosis_column: String,
    /// PCA explained-variance table (TSV with structure, component, explained_variance_ratio).
    #[arg(long)]
    pub pca_variance: Option<PathBuf>,
    /// Training log of the deep model (JSON Lines: epoch, losses, weights, seconds per line).
    #[arg(long)]
    pub training_log: Option<PathBuf>,
    /// Experiment-grid table of the deep model (TSV, one run per row).
    #[arg(long)]
    pub grid: Option<PathBuf>,
    /// Grid column to rank runs by; the run with the smallest value is highlighted.
    #[arg(long, requires = "grid")]
    pub grid_rank: Option<String>,
    /// Run manifests of earlier steps to show in the report; repeat for several.
    #[arg(long, num_args = 1..)]
    pub manifest: Vec<PathBuf>,
    /// PLINK .bed/.bim/.fam prefix: top loci are LD-clumped (r² from these genotypes) and
    /// regional plots coloured by r² with the lead.
    #[arg(long)]
    pub bfile: Option<PathBuf>,
    /// Title of the page.
    #[arg(long, default_value = "biomarker-gwas study report")]
    pub title: String,
    /// p-value threshold of top loci.
    #[arg(long, default_value_t = 5e-8)]
    pub loci_p: f64,
    /// Half-width of a locus in kb: hits within ± this of a lead join its locus.
    #[arg(long, default_value_t = 250)]
    pub window_kb: u32,
    /// With --bfile, the r² with the lead a hit needs to join its locus.
    #[arg(long, default_value_t = 0.5)]
    pub clump_r2: f64,
    /// Number of top loci that get a regional plot.
    #[arg(long, default_value_t = 10)]
    pub regional_top: usize,
    /// Half-width of a regional plot in kb.
    #[arg(long, default_value_t = 500)]
    pub regional_window_kb: u32,
    /// Manhattan plot width in pixels (thinning keeps one mark per pixel column and band).
    #[arg(long, default_value_t = 1400, value_parser = clap::value_parser!(u32).range(300..=10_000))]
    pub width: u32,
    /// Manhattan plot height in pixels.
    #[arg(long, default_value_t = 480, value_parser = clap::value_parser!(u32).range(200..=10_000))]
    pub height: u32,
    /// −log10 p below which Manhattan points are thinned (all points above are drawn).
    #[arg(long, default_value_t = 3.0)]
    pub thin_threshold: f64,
    /// Height in −log10 p of a thinning cell (one mark per pixel column per band); equal to
    /// --thin-threshold for exactly one mark per pixel column.
    #[arg(long, default_value_t = 0.5)]
    pub thin_band: f64,
    /// Write SVG figures only (no PNG).
    #[arg(long)]
    pub no_png: bool,
    /// Most rows shown in the association and MMD tables (sorted by p).
    #[arg(long, default_value_t = 500)]
    pub max_table_rows: usize,
}

/// Runs `report`.
pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.loci_p > 0.0 && args.loci_p < 1.0,
        "--loci-p must be in (0, 1), found {}",
        args.loci_p
    );
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.clump_r2),
        "--clump-r2 must be in [0, 1], found {}",
        args.clump_r2
    );
    anyhow::ensure!(
        args.thin_threshold >= 0.0 && args.thin_band > 0.0,
        "--thin-threshold must be ≥ 0 and --thin-band > 0"
    );
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let list = |v: &[PathBuf]| {
        v.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    };
    let opt = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let parameters = serde_json::json!({
        "out": args.out.display().to_string(),
        "gwas": list(&args.gwas),
        "assoc": list(&args.assoc),
        "comparison": list(&args.comparison),
        "mmd": list(&args.mmd),
        "latent": opt(&args.latent),
        "latent_features": opt(&args.latent_features),
        "pheno": opt(&args.pheno),
        "diagnosis_column": args.diagnosis_column,
        "pca_variance": opt(&args.pca_variance),
        "training_log": opt(&args.training_log),
        "grid": opt(&args.grid),
        "grid_rank": args.grid_rank,
        "manifest": list(&args.manifest),
        "bfile": opt(&args.bfile),
        "title": args.title,
        "loci_p": args.loci_p,
        "window_kb": args.window_kb,
        "clump_r2": args.clump_r2,
        "regional_top": args.regional_top,
        "regional_window_kb": args.regional_window_kb,
        "width": args.width,
        "height": args.height,
        "thin_threshold": args.thin_threshold,
        "thin_band": args.thin_band,
        "png": !args.no_png,
        "max_table_rows": args.max_table_rows,
    });
    let mut manifest = run_manifest::start("report", parameters);
    let latent_pca = match &args.latent_features {
        Some(features) => {
            manifest.add_input(features)?;
            let path = manifest.time("latent PCA", || latent_pca::write(features, &args.out))?;
            manifest.add_output(&path)?;
            Some(path)
        }
        None => None,
    };
    let inputs = StudyInputs {
        gwas: args.gwas,
        assoc: args.assoc,
        comparison: args.comparison,
        mmd: args.mmd,
        latent: args.latent,
        latent_pca,
        pheno: args.pheno,
        diagnosis_column: args.diagnosis_column,
        variance: args.pca_variance,
        training_log: args.training_log,
        grid: args.grid,
        grid_rank: args.grid_rank,
        manifests: args.manifest,
        bfile: args.bfile,
    };
    let options = StudyOptions {
        out_dir: args.out.clone(),
        title: args.title,
        tool: format!("biomarker-gwas {}", env!("CARGO_PKG_VERSION")),
        manhattan: ManhattanOptions {
            size: (args.width, args.height),
            thin_threshold: args.thin_threshold,
            thin_band: args.thin_band,
            ..ManhattanOptions::default()
        },
        loci_p: args.loci_p,
        window_bp: i64::from(args.window_kb) * 1000,
        clump_r2: args.clump_r2,
        regional_top: args.regional_top,
        regional_window_bp: i64::from(args.regional_window_kb) * 1000,
        png: !args.no_png,
        max_table_rows: args.max_table_rows,
        ..StudyOptions::default()
    };
    let mut bar = None;
    let outputs = manifest.time("report", || {
        build(&inputs, &options, &mut |done, total, what| {
            let b = bar.get_or_insert_with(|| progress::bar(total as u64, "figures"));
            b.set_position(done as u64);
            b.set_message(what.to_owned());
        })
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let outputs = outputs?;
    for p in inputs
        .gwas
        .iter()
        .chain(&inputs.assoc)
        .chain(&inputs.comparison)
        .chain(&inputs.mmd)
        .chain(&inputs.manifests)
    {
        manifest.add_input(p)?;
    }
    for p in [
        &inputs.latent,
        &inputs.pheno,
        &inputs.variance,
        &inputs.training_log,
        &inputs.grid,
    ]
    .into_iter()
    .flatten()
    {
        manifest.add_input(p)?;
    }
    if let Some(prefix) = &inputs.bfile {
        for p in biomarker_tables::plink::fileset_paths(prefix) {
            manifest.add_input(&p)?;
        }
    }
    for f in &outputs.files {
        manifest.add_output(f)?;
    }
    manifest.summary = serde_json::json!({
        "sections": outputs.sections,
        "lambda_gc": outputs.lambda,
        "top_loci": outputs.n_loci,
        "files": outputs.files.len(),
    });
    manifest.write(&args.out.join("report.manifest.json"))?;
    println!(
        "report: {} ({} sections, {} loci)",
        args.out.join("report.html").display(),
        outputs.sections.len(),
        outputs.n_loci
    );
    for (pheno, l) in &outputs.lambda {
        println!("lambda_gc\t{pheno}\t{l:.4}");
    }
    Ok(())
}
