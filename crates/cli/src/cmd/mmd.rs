//! `biomarker-gwas mmd`: two-sample tests of per-structure feature vectors between groups
//! (diagnosis pairs from a phenotype column, or APOE ε4 carriers vs non-carriers from a PLINK
//! file set), written as an MmdTable (TSV and Parquet) with a run manifest.

use std::path::PathBuf;

use anyhow::{bail, Context};
use biomarker_assoc::mmd::{
    run_family, Bandwidth, Grouping, KernelKind, KernelSpec, MedianConvention, MmdConfig, TestKind,
};
use biomarker_tables::{FeatureTable, PhenoTable, TableKind};
use clap::{Args, ValueEnum};

/// Kernels of the MMD tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KernelArg {
    /// exp(−‖x−y‖²/(2σ²)).
    Gaussian,
    /// exp(−‖x−y‖/σ).
    Laplacian,
    /// xᵀy: the biased MMD² is then ‖x̄−ȳ‖² (DMMD).
    Linear,
}

/// Median-heuristic conventions for the Gaussian bandwidth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConventionArg {
    /// σ = median distance: exp(−d²/(2·median(d)²)) (Gretton et al. 2012; hyppo).
    Sigma,
    /// exp(−d²/median(d²)) (Gretton's code; alibi-detect).
    MedianSquared,
}

/// Options of `mmd`.
#[derive(Debug, Args)]
pub struct MmdArgs {
    /// FeatureTable (.tsv or .parquet): one row per subject × structure, one column per
    /// feature; every structure is tested.
    #[arg(long)]
    pub features: PathBuf,
    /// Phenotype table holding the grouping column (PLINK-style text or Parquet).
    #[arg(long, requires = "group_column", conflicts_with = "bfile")]
    pub pheno: Option<PathBuf>,
    /// Column of --pheno with the group labels (e.g. DX with AD / MCI / CN).
    #[arg(long, requires = "pheno")]
    pub group_column: Option<String>,
    /// PLINK file set prefix: group by APOE ε4 carrier status from rs429358 and rs7412.
    #[arg(long)]
    pub bfile: Option<PathBuf>,
    /// Pairs to test, comma separated, each A:B (e.g. AD:CN,MCI:CN); default every pair.
    #[arg(long, value_delimiter = ',')]
    pub pairs: Vec<String>,
    /// Tests to run, comma separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "unbiased,biased,linear,dfda,hotelling,energy"
    )]
    pub tests: Vec<String>,
    /// Kernel of the MMD tests.
    #[arg(long, value_enum, default_value_t = KernelArg::Gaussian)]
    pub kernel: KernelArg,
    /// Fixed bandwidth σ of the Gaussian/Laplacian kernel; default the median heuristic.
    #[arg(long, value_parser = positive_f64)]
    pub bandwidth: Option<f64>,
    /// Median-heuristic convention for the Gaussian kernel (the Laplacian always uses σ =
    /// median distance).
    #[arg(long, value_enum, default_value_t = ConventionArg::Sigma)]
    pub median_convention: ConventionArg,
    /// Number of random permutations B; p = (1 + #{T_b ≥ T})/(1 + B). When a pair has at
    /// most B distinct splits, all are enumerated and p is exact.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub permutations: u32,
    /// Skip the gamma approximation of the biased MMD²'s null.
    #[arg(long)]
    pub no_gamma: bool,
    /// Seed of the permutations and of the linear-time pairing.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output folder (created if absent): mmd.tsv, mmd.parquet, mmd.manifest.json.
    #[arg(long)]
    pub out: PathBuf,
}

fn positive_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("expected a positive number, found {s:?}")),
    }
}

/// The validated test configuration.
fn config(args: &MmdArgs) -> anyhow::Result<MmdConfig> {
    let mut tests = Vec::new();
    for t in &args.tests {
        match TestKind::parse(t.trim()) {
            Some(k) if !tests.contains(&k) => tests.push(k),
            Some(_) => {}
            None => bail!(
                "--tests: unknown test {t:?}; expected some of {}",
                TestKind::ALL.map(TestKind::name).join(", ")
            ),
        }
    }
    let kind = match args.kernel {
        KernelArg::Gaussian => KernelKind::Gaussian,
        KernelArg::Laplacian => KernelKind::Laplacian,
        KernelArg::Linear => KernelKind::Linear,
    };
    let bandwidth = match (args.bandwidth, args.median_convention) {
        (Some(s), _) => Bandwidth::Fixed(s),
        (None, ConventionArg::Sigma) => Bandwidth::Median(MedianConvention::Sigma),
        (None, ConventionArg::MedianSquared) => Bandwidth::Median(MedianConvention::MedianSquared),
    };
    Ok(MmdConfig {
        kernel: KernelSpec { kind, bandwidth },
        tests,
        permutations: args.permutations as usize,
        gamma: !args.no_gamma,
        seed: args.seed,
    })
}

fn parse_pairs(pairs: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    pairs
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.trim().split_once(':') {
            Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_owned(), b.to_owned())),
            _ => bail!("--pairs: expected A:B, found {p:?}"),
        })
        .collect()
}

/// Runs `mmd`.
pub fn run(args: MmdArgs) -> anyhow::Result<()> {
    let config = config(&args)?;
    let requested = parse_pairs(&args.pairs)?;
    if args.pheno.is_none() && args.bfile.is_none() {
        bail!("give a grouping: --pheno FILE --group-column NAME, or --bfile PREFIX for APOE ε4 status");
    }
    if args.threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(args.threads)
            .build_global()
            .context("setting up threads")?;
    }
    let mut manifest = crate::run_manifest::start(
        "mmd",
        serde_json::json!({
            "features": args.features, "pheno": args.pheno, "group_column": args.group_column,
            "bfile": args.bfile, "pairs": args.pairs, "tests": config.tests.iter().map(|t| t.name()).collect::<Vec<_>>(),
            "kernel": config.kernel.kind.name(), "bandwidth": args.bandwidth,
            "median_convention": format!("{:?}", args.median_convention), "permutations": args.permutations,
            "gamma": config.gamma, "seed": args.seed, "threads": args.threads,
        }),
    );
    manifest.seeds.insert("permutations".into(), args.seed);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let features = manifest.time("read features", || FeatureTable::read(&args.features))?;
    manifest.add_input(&args.features)?;
    let grouping = if let Some(pheno) = &args.pheno {
        let table = PhenoTable::read(pheno)?;
        manifest.add_input(pheno)?;
        Grouping::from_column(
            &table,
            args.group_column.as_deref().expect("clap requires it"),
        )?
    } else {
        let prefix = args.bfile.as_ref().expect("checked above");
        let (g, _) = manifest.time("APOE4 status", || Grouping::apoe4(prefix))?;
        for p in biomarker_tables::plink::fileset_paths(prefix) {
            manifest.add_input(&p)?;
        }
        g
    };
    let pairs = grouping.pairs(&requested)?;
    tracing::info!(
        "{} structures × {} pairs ({}), {} permutations",
        features.structure_names().len(),
        pairs.len(),
        pairs
            .iter()
            .map(|(a, b)| format!("{a}:{b}"))
            .collect::<Vec<_>>()
            .join(", "),
        config.permutations
    );
    let total = (features.structure_names().len() * pairs.len()) as u64;
    let bar = crate::progress::bar(total, "structure × pair tests");
    let mut table = manifest.time("tests", || {
        run_family(&features, &grouping, &pairs, &config, &|done, _| {
            bar.set_position(done as u64)
        })
    })?;
    bar.finish_and_clear();
    table
        .metadata
        .insert("kernel".into(), config.kernel.kind.name().into());
    table.metadata.insert(
        "bandwidth_rule".into(),
        format!("{:?}", config.kernel.bandwidth),
    );
    table.metadata.insert("seed".into(), args.seed.to_string());
    for name in ["mmd.tsv", "mmd.parquet"] {
        let path = args.out.join(name);
        manifest.time(&format!("write {name}"), || table.write(&path))?;
        manifest.add_output(&path)?;
    }
    let significant = table
        .records
        .iter()
        .filter(|r| r.p_adjusted.is_some_and(|q| q <= 0.05))
        .count();
    manifest.summary = serde_json::json!({ "tests": table.records.len(), "q_le_0.05": significant,
        "subjects_grouped": table.metadata.get("subjects_grouped") });
    manifest.write(&args.out.join("mmd.manifest.json"))?;
    println!(
        "{} tests written to {}; {significant} with q ≤ 0.05",
        table.records.len(),
        args.out.display()
    );
    Ok(())
}
