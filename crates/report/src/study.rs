//! One report of a whole study from whatever inputs are given: it reads the tables, draws
//! every figure (SVG, and PNG when asked) into the output folder, writes the top-loci table
//! and renders `report.html` with the figures inline. Sections whose inputs are absent are
//! left out. Everything is written atomically.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use biomarker_tables::atomic::write_atomic;
use biomarker_tables::{
    Alignment, AssocTable, ComparisonTable, FeatureTable, FileDigest, GwasTable, MmdTable,
    PhenoTable, PhenoValues, RunManifest, Side, TableKind,
};

use crate::error::{ReportError, Result};
use crate::genome::{phenotypes, points_of, record_log10p};
use crate::html::{
    FigureView, InputRow, LociView, ManifestView, PhenoView, ReportPage, TableView, TrainingView,
};
use crate::inputs::{GridTable, TrainingLog, VarianceTable};
use crate::ld::LdSource;
use crate::loci::{clump, format_p, hits, merge_by_distance, Locus};
use crate::plot::manhattan::{LeadMark, ManhattanOptions, ManhattanPlot};
use crate::plot::pca::{LatentPanel, LatentPlot, VariancePlot};
use crate::plot::qq::QqPlot;
use crate::plot::regional::{RegionPoint, RegionalPlot};
use crate::plot::training::TrainingPlot;
use crate::plot::{file_stem, render, Figure, Plot};

/// The files a report is made from; every one is optional.
#[derive(Debug, Clone, Default)]
pub struct StudyInputs {
    /// GwasTable files (any number of phenotypes each).
    pub gwas: Vec<PathBuf>,
    /// AssocTable files.
    pub assoc: Vec<PathBuf>,
    /// ComparisonTable files (deep features against volumes).
    pub comparison: Vec<PathBuf>,
    /// MmdTable files.
    pub mmd: Vec<PathBuf>,
    /// FeatureTable whose first two feature columns per structure span the latent scatter
    /// (e.g. the t-SNE view of `encode --tsne`).
    pub latent: Option<PathBuf>,
    /// FeatureTable of the first two principal components of each structure's bottleneck
    /// vectors (`PC1 PC2`), drawn beside the `latent` view.
    pub latent_pca: Option<PathBuf>,
    /// Phenotype/covariate table holding the diagnosis column.
    pub pheno: Option<PathBuf>,
    /// Name of the diagnosis column in `pheno`.
    pub diagnosis_column: String,
    /// PCA explained-variance table.
    pub variance: Option<PathBuf>,
    /// Training log (JSONL).
    pub training_log: Option<PathBuf>,
    /// Experiment grid (TSV).
    pub grid: Option<PathBuf>,
    /// Column of the grid to rank runs by (smallest is best), if any.
    pub grid_rank: Option<String>,
    /// Run manifests of earlier steps.
    pub manifests: Vec<PathBuf>,
    /// PLINK file set prefix for LD clumping and regional r².
    pub bfile: Option<PathBuf>,
}

/// How the report is made.
#[derive(Debug, Clone)]
pub struct StudyOptions {
    /// Output folder (must exist).
    pub out_dir: PathBuf,
    /// Page title.
    pub title: String,
    /// Tool name and version for the page footer.
    pub tool: String,
    /// Manhattan options (size, lines, thinning).
    pub manhattan: ManhattanOptions,
    /// QQ plot size.
    pub qq_size: (u32, u32),
    /// p threshold of top loci.
    pub loci_p: f64,
    /// Locus window, ± bp.
    pub window_bp: i64,
    /// r² threshold of LD clumping (with a bfile).
    pub clump_r2: f64,
    /// Number of loci with a regional plot.
    pub regional_top: usize,
    /// Regional plot half-width, bp.
    pub regional_window_bp: i64,
    /// Write PNGs beside the SVGs.
    pub png: bool,
    /// Most rows shown in the association and MMD tables.
    pub max_table_rows: usize,
    /// Most points per latent-scatter panel.
    pub max_latent_points: usize,
}

impl Default for StudyOptions {
    fn default() -> Self {
        Self {
            out_dir: PathBuf::from("."),
            title: "Study report".into(),
            tool: "biomarker-gwas".into(),
            manhattan: ManhattanOptions::default(),
            qq_size: (480, 480),
            loci_p: 5e-8,
            window_bp: 250_000,
            clump_r2: 0.5,
            regional_top: 10,
            regional_window_bp: 500_000,
            png: true,
            max_table_rows: 500,
            max_latent_points: 4_000,
        }
    }
}

/// What a report run produced.
#[derive(Debug, Clone, Default)]
pub struct StudyOutputs {
    /// Every file written, the page last.
    pub files: Vec<PathBuf>,
    /// λGC per phenotype.
    pub lambda: BTreeMap<String, f64>,
    /// Number of top loci.
    pub n_loci: usize,
    /// Section ids on the page.
    pub sections: Vec<String>,
}

struct Writer<'a> {
    dir: &'a Path,
    png: bool,
    files: Vec<PathBuf>,
}

impl Writer<'_> {
    fn bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(name);
        write_atomic(&path, |w| w.write_all(bytes))?;
        self.files.push(path);
        Ok(())
    }

    fn figure<P: Plot>(&mut self, stem: &str, plot: &P, caption: String) -> Result<FigureView> {
        let Figure { svg, png } = render(plot, self.png)?;
        self.bytes(&format!("{stem}.svg"), svg.as_bytes())?;
        if let Some(png) = png {
            self.bytes(&format!("{stem}.png"), &png)?;
        }
        Ok(FigureView {
            caption,
            svg: strip_xml_declaration(svg),
        })
    }
}

/// Inline SVG in HTML must not carry an XML declaration.
fn strip_xml_declaration(svg: String) -> String {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest
            .find("?>")
            .map_or(svg.clone(), |i| rest[i + 2..].trim_start().to_owned()),
        None => svg,
    }
}

/// Formats a number with 4 significant digits (scientific outside 1e-3..1e6).
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NA".into()
        } else {
            format!("{x}")
        };
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{x:.3e}")
    } else {
        let digits = if a == 0.0 {
            0
        } else {
            (3 - a.log10().floor() as i32).max(0) as usize
        };
        format!("{x:.digits$}")
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or("NA".into(), fmt_num)
}

fn p_cell(p: f64) -> String {
    if p > 0.0 {
        format_p(-p.log10())
    } else if p == 0.0 {
        "0".into()
    } else {
        "NA".into()
    }
}

fn input_row(kind: &str, path: &Path) -> Result<InputRow> {
    let d = FileDigest::of(path)?;
    Ok(InputRow {
        kind: kind.into(),
        path: d.path,
        bytes: d.bytes,
        sha256: d.sha256,
    })
}

/// Builds the report. `progress(done, total, what)` is called after each step.
pub fn build(
    inputs: &StudyInputs,
    options: &StudyOptions,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<StudyOutputs> {
    let mut w = Writer {
        dir: &options.out_dir,
        png: options.png,
        files: Vec::new(),
    };
    let mut rows = Vec::new();

    // Read everything first, so a bad input fails before any figure is drawn.
    let gwas: Vec<GwasTable> = read_all(&inputs.gwas)?;
    let assoc: Vec<AssocTable> = read_all(&inputs.assoc)?;
    let comparison: Vec<ComparisonTable> = read_all(&inputs.comparison)?;
    let mmd: Vec<MmdTable> = read_all(&inputs.mmd)?;
    let log = inputs
        .training_log
        .as_deref()
        .map(TrainingLog::read)
        .transpose()?;
    let grid = inputs.grid.as_deref().map(GridTable::read).transpose()?;
    let variance = inputs
        .variance
        .as_deref()
        .map(VarianceTable::read)
        .transpose()?;
    let latent = inputs
        .latent
        .as_deref()
        .map(FeatureTable::read)
        .transpose()?;
    let latent_pca = inputs
        .latent_pca
        .as_deref()
        .map(FeatureTable::read)
        .transpose()?;
    let pheno = inputs.pheno.as_deref().map(PhenoTable::read).transpose()?;
    let manifests: Vec<(PathBuf, RunManifest)> = inputs
        .manifests
        .iter()
        .map(|p| RunManifest::read(p).map(|m| (p.clone(), m)))
        .collect::<Result<_, _>>()?;
    if (latent.is_some() || latent_pca.is_some()) && pheno.is_none() {
        return Err(ReportError::Invalid(
            "a latent-space scatter (--latent) needs --pheno with the diagnosis column".into(),
        ));
    }
    let mut ld = inputs.bfile.as_deref().map(LdSource::open).transpose()?;

    for (kind, paths) in [
        ("GWAS table", &inputs.gwas),
        ("association table", &inputs.assoc),
        ("model comparison table", &inputs.comparison),
        ("MMD table", &inputs.mmd),
        ("run manifest", &inputs.manifests),
    ] {
        for p in paths {
            rows.push(input_row(kind, p)?);
        }
    }
    for (kind, path) in [
        ("training log", &inputs.training_log),
        ("experiment grid", &inputs.grid),
        ("PCA explained variance", &inputs.variance),
        ("latent features", &inputs.latent),
        ("latent PCA", &inputs.latent_pca),
        ("phenotypes", &inputs.pheno),
    ] {
        if let Some(p) = path {
            rows.push(input_row(kind, p)?);
        }
    }
    if let Some(prefix) = &inputs.bfile {
        for p in biomarker_tables::plink::fileset_paths(prefix) {
            rows.push(input_row("genotypes", &p)?);
        }
    }

    // Top loci first: the Manhattan plots label their leads.
    let genome_wide = options.manhattan.genome_wide;
    let all_hits = hits(&gwas, -options.loci_p.log10());
    let loci: Vec<Locus> = match ld.as_mut() {
        Some(ld) => clump(
            &all_hits,
            options.window_bp,
            options.clump_r2,
            |a, b| match (
                ld.find(&a.id, &a.chrom, a.pos),
                ld.find(&b.id, &b.chrom, b.pos),
            ) {
                (Some(i), Some(j)) => ld.r2(i, j),
                _ => Ok(None),
            },
        )?,
        None => merge_by_distance(&all_hits, options.window_bp),
    };
    let pheno_names: Vec<(usize, String)> = gwas
        .iter()
        .enumerate()
        .flat_map(|(t, g)| phenotypes(g).into_iter().map(move |p| (t, p)))
        .collect();
    let total = 1
        + usize::from(log.is_some())
        + usize::from(variance.is_some())
        + usize::from(latent.is_some())
        + usize::from(latent_pca.is_some())
        + 2 * pheno_names.len()
        + usize::from(pheno_names.len() > 1)
        + usize::from(!gwas.is_empty()) * (1 + options.regional_top.min(loci.len()));
    let mut done = 0;
    let mut step = |what: &str| {
        done += 1;
        progress(done.min(total), total, what);
    };

    let training = match &log {
        Some(log) => {
            let figure = w.figure("training", &TrainingPlot { log: log.clone(), size: (1200, 420) }, "Training loss of each task (log scale where all losses are positive; validation lighter) and the GradNorm task weights per epoch.".into())?;
            step("training curves");
            let summary = format!(
                "{} epochs, tasks {}; {:.1} s of training logged.",
                log.epochs.len(),
                log.tasks().join(", "),
                log.total_seconds()
            );
            Some(TrainingView { figure, summary })
        }
        None => None,
    };

    let grid_view = grid.map(|g| {
        let highlight = inputs
            .grid_rank
            .as_deref()
            .and_then(|c| g.best_row(c, false));
        let note = match (&inputs.grid_rank, highlight) {
            (Some(c), Some(_)) => format!("{} runs; highlighted: smallest {c}.", g.rows.len()),
            _ => format!("{} runs.", g.rows.len()),
        };
        TableView {
            columns: g.columns,
            rows: g.rows,
            highlight,
            note,
        }
    });

    let pca_variance = match variance {
        Some(table) => {
            let f = w.figure("pca_variance", &VariancePlot { table, width: 800 }, "Fraction of the variance of each structure's deep features explained by its principal components.".into())?;
            step("PCA variance");
            Some(f)
        }
        None => None,
    };

    // Side by side when both views are given: each figure takes half the width.
    let latent_width = if latent.is_some() && latent_pca.is_some() {
        720
    } else {
        1050
    };
    let latent_pca_view = match (&latent_pca, &pheno) {
        (Some(features), Some(pheno)) => {
            let mut plot = latent_plot(
                features,
                inputs
                    .latent_pca
                    .as_deref()
                    .unwrap_or(Path::new("latent PCA")),
                pheno,
                &inputs.diagnosis_column,
                options.max_latent_points,
            )?;
            plot.width = latent_width;
            let f = w.figure("latent_pca", &plot, format!("Latent space, PCA: the first two principal components of each structure's bottleneck vectors, coloured by {}; at most {} subjects per panel.", inputs.diagnosis_column, options.max_latent_points))?;
            step("latent PCA");
            Some(f)
        }
        _ => None,
    };
    let latent_view = match (&latent, &pheno) {
        (Some(features), Some(pheno)) => {
            let mut plot = latent_plot(
                features,
                inputs.latent.as_deref().unwrap_or(Path::new("latent")),
                pheno,
                &inputs.diagnosis_column,
                options.max_latent_points,
            )?;
            plot.width = latent_width;
            let what = if features.feature_names.first().map(String::as_str) == Some("tsne_1") {
                "Latent space, t-SNE of each structure's bottleneck vectors"
            } else {
                "Latent space: the first two feature columns of each structure"
            };
            let f = w.figure(
                "latent",
                &plot,
                format!(
                    "{what}, coloured by {}; at most {} subjects per panel.",
                    inputs.diagnosis_column, options.max_latent_points
                ),
            )?;
            step("latent scatter");
            Some(f)
        }
        _ => None,
    };

    let assoc_view = (!assoc.is_empty()).then(|| assoc_table(&assoc, options.max_table_rows));
    let comparison_view =
        (!comparison.is_empty()).then(|| comparison_table(&comparison, options.max_table_rows));
    let mmd_view = (!mmd.is_empty()).then(|| mmd_table(&mmd, options.max_table_rows));

    // Genome-wide scans.
    let mut lambda = BTreeMap::new();
    let mut pheno_views = Vec::new();
    let mut all_points = Vec::new();
    for (t, name) in &pheno_names {
        let pts = points_of(&gwas[*t], name);
        let stem = file_stem(name);
        let leads: Vec<LeadMark> = loci
            .iter()
            .filter(|l| &l.lead.pheno == name && l.lead.log10p >= genome_wide)
            .map(|l| LeadMark {
                label: l.lead.id.clone(),
                chrom: l.lead.chrom.clone(),
                pos: l.lead.pos,
                log10p: l.lead.log10p,
            })
            .collect();
        let plot = ManhattanPlot::new(
            name.clone(),
            &[(name.clone(), pts.clone())],
            leads,
            options.manhattan.clone(),
        );
        let n_sig = pts.iter().filter(|p| p.log10p >= genome_wide).count();
        let manhattan = w.figure(&format!("manhattan_{stem}"), &plot, format!("Manhattan plot of {name}: {} of {} variants drawn (all with p < 1e-3; below that, the highest per pixel column and band). Lines at p = 5e-8 and 1e-5; triangles mark lead variants of significant loci.", plot.n_drawn(), pts.len()))?;
        step("Manhattan plot");
        let log10p: Vec<f64> = pts.iter().map(|p| p.log10p).collect();
        let qq = QqPlot::new(name.clone(), &log10p, options.qq_size);
        let lam = qq.data.lambda;
        if let Some(l) = lam {
            lambda.insert(name.clone(), l);
        }
        let qq_fig = w.figure(
            &format!("qq_{stem}"),
            &qq,
            format!(
                "QQ plot of {name} with the 95% band of uniform order statistics (Beta(i, n−i+1))."
            ),
        )?;
        step("QQ plot");
        let summary = format!(
            "{} variants tested; λGC = {}; {} variants with p < 5e-8.",
            pts.len(),
            lam.map_or("NA".into(), |l| format!("{l:.3}")),
            n_sig
        );
        pheno_views.push(PhenoView {
            name: name.clone(),
            anchor: format!("gwas-{stem}"),
            summary,
            manhattan,
            qq: qq_fig,
        });
        if pheno_names.len() > 1 {
            all_points.push((name.clone(), pts));
        }
    }
    let multi = if pheno_names.len() > 1 {
        let plot = ManhattanPlot::new(
            "All phenotypes",
            &all_points,
            vec![],
            options.manhattan.clone(),
        );
        drop(all_points);
        let f = w.figure(
            "manhattan_all",
            &plot,
            "All phenotypes in one Manhattan plot, one colour per phenotype.".into(),
        )?;
        step("multi-phenotype Manhattan");
        Some(f)
    } else {
        None
    };

    let loci_view = if gwas.is_empty() {
        None
    } else {
        let tsv = loci_tsv(&loci);
        w.bytes("top_loci.tsv", tsv.as_bytes())?;
        step("top loci");
        let mut regional = Vec::new();
        for (k, locus) in loci.iter().take(options.regional_top).enumerate() {
            let plot = regional_plot(&gwas, locus, options.regional_window_bp, ld.as_mut())?;
            let caption = format!(
                "Locus {}: {} on chromosome {} at {} for {}{}.",
                k + 1,
                locus.lead.id,
                locus.lead.chrom,
                locus.lead.pos,
                locus.lead.pheno,
                if ld.is_some() {
                    ", coloured by r² with the lead"
                } else {
                    " (no genotypes given: r² unknown, grey)"
                }
            );
            regional.push(w.figure(
                &format!("regional_{}_{}", k + 1, file_stem(&locus.lead.id)),
                &plot,
                caption,
            )?);
            step("regional plot");
        }
        let method = match &inputs.bfile {
            Some(b) => format!(
                "Variants with p < {:e} grouped greedily from the most significant: a lead takes the hits within ±{} kb with r² ≥ {} (from {}).",
                options.loci_p,
                options.window_bp / 1000,
                options.clump_r2,
                b.display()
            ),
            None => format!("Variants with p < {:e} grouped greedily from the most significant: a lead takes every hit within ±{} kb.", options.loci_p, options.window_bp / 1000),
        };
        Some(LociView {
            method,
            table: loci_table(&loci),
            regional,
        })
    };

    let page = ReportPage {
        title: options.title.clone(),
        tool: options.tool.clone(),
        inputs: rows,
        manifests: manifests.iter().map(|(p, m)| manifest_view(p, m)).collect(),
        training,
        grid: grid_view,
        pca_variance,
        latent: latent_view,
        latent_pca: latent_pca_view,
        assoc: assoc_view,
        comparison: comparison_view,
        mmd: mmd_view,
        multi,
        gwas: pheno_views,
        loci: loci_view,
    };
    let html = page.to_html()?;
    w.bytes("report.html", html.as_bytes())?;
    step("report.html");
    Ok(StudyOutputs {
        files: w.files,
        lambda,
        n_loci: loci.len(),
        sections: page.section_ids().into_iter().map(str::to_owned).collect(),
    })
}

fn manifest_view(path: &Path, m: &RunManifest) -> ManifestView {
    ManifestView {
        path: path.display().to_string(),
        subcommand: m.subcommand.clone(),
        version: m.version.clone(),
        command_line: m.command_line.join(" "),
        parameters: serde_json::to_string_pretty(&m.parameters).unwrap_or_default(),
        timings: m
            .timings
            .iter()
            .map(|t| format!("{}: {:.2} s", t.step, t.seconds))
            .collect(),
    }
}

/// Diagnosis labels sorted CN, MCI, AD first (the clinical order), then alphabetically,
/// missing last.
fn group_order(labels: &[String]) -> Vec<String> {
    let rank = |s: &str| match s {
        "CN" => 0,
        "MCI" => 1,
        "AD" => 2,
        "NA" => 4,
        _ => 3,
    };
    let mut g: Vec<String> = labels.to_vec();
    g.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    g.dedup();
    g
}

fn latent_plot(
    features: &FeatureTable,
    features_path: &Path,
    pheno: &PhenoTable,
    column: &str,
    max_points: usize,
) -> Result<LatentPlot> {
    let col = pheno.column(column).ok_or_else(|| {
        ReportError::Invalid(format!(
            "{}: no column {column:?} for the diagnosis (have {})",
            pheno.path.display(),
            pheno
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    if features.feature_names.len() < 2 {
        return Err(ReportError::Invalid(format!(
            "{}: a latent scatter needs at least two feature columns, found {}",
            features_path.display(),
            features.feature_names.len()
        )));
    }
    let label = |i: usize| -> String {
        match &col.values {
            PhenoValues::Categorical(v) => v[i].clone().unwrap_or_else(|| "NA".into()),
            PhenoValues::Numeric(v) => v[i].map_or("NA".into(), |x| format!("{x}")),
        }
    };
    let pheno_iids = pheno.iids();
    let mut panels = Vec::new();
    let mut labels_seen = Vec::new();
    // (structure, points labelled by group name) before groups get their indices.
    type Labelled = (String, Vec<(f64, f64, String)>);
    let mut raw: Vec<Labelled> = Vec::new();
    for structure in features.structure_names() {
        let (samples, values) = features.structure_matrix(&structure);
        let iids: Vec<&str> = samples.iter().map(|s| s.iid.as_str()).collect();
        let join = Alignment::join(
            Side {
                name: features_path,
                iids: &iids,
            },
            Side {
                name: &pheno.path,
                iids: &pheno_iids,
            },
        )?;
        if join.is_empty() {
            return Err(ReportError::Invalid(format!("{join}")));
        }
        let d = features.feature_names.len();
        let stride = join.len().div_ceil(max_points.max(1));
        let pts: Vec<(f64, f64, String)> = join
            .left
            .iter()
            .zip(&join.right)
            .step_by(stride.max(1))
            .map(|(&i, &j)| (values[i * d], values[i * d + 1], label(j)))
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        labels_seen.extend(pts.iter().map(|p| p.2.clone()));
        raw.push((structure, pts));
    }
    let groups = group_order(&labels_seen);
    let index: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.as_str(), i))
        .collect();
    for (structure, pts) in raw {
        panels.push(LatentPanel {
            structure,
            axes: (
                features.feature_names[0].clone(),
                features.feature_names[1].clone(),
            ),
            points: pts
                .iter()
                .map(|p| (p.0, p.1, index[p.2.as_str()]))
                .collect(),
        });
    }
    Ok(LatentPlot {
        panels,
        groups,
        width: 1050,
    })
}

/// Reads every file of one table kind.
fn read_all<T: TableKind>(paths: &[PathBuf]) -> Result<Vec<T>> {
    Ok(paths.iter().map(|p| T::read(p)).collect::<Result<_, _>>()?)
}

/// A model's fit as one cell: `R² x` for OLS, `AUC x (CV y)` for logistic models.
fn fit_cell(r2: Option<f64>, auc: Option<f64>, auc_cv: Option<f64>) -> String {
    match (r2, auc) {
        (Some(r2), _) => format!("R² {}", fmt_num(r2)),
        (None, Some(auc)) => format!(
            "AUC {}{}",
            fmt_num(auc),
            auc_cv.map_or(String::new(), |c| format!(" (CV {})", fmt_num(c)))
        ),
        _ => "NA".into(),
    }
}

fn comparison_table(tables: &[ComparisonTable], max_rows: usize) -> TableView {
    let recs: Vec<_> = tables.iter().flat_map(|t| t.records.iter()).collect();
    let n = recs.len();
    let columns = [
        "structure",
        "outcome",
        "n",
        "volume alone",
        "deep alone",
        "both",
        "AIC volume / deep / both",
        "LR: deep adds to volume (p)",
        "LR: volume adds to deep (p)",
        "better",
    ];
    let rows = recs
        .iter()
        .take(max_rows)
        .map(|r| {
            vec![
                r.structure.clone(),
                r.outcome.clone(),
                r.n.to_string(),
                fit_cell(r.r2_volume, r.auc_volume, r.auc_cv_volume),
                fit_cell(r.r2_deep, r.auc_deep, r.auc_cv_deep),
                fit_cell(r.r2_both, r.auc_both, r.auc_cv_both),
                format!(
                    "{} / {} / {}",
                    fmt_num(r.aic_volume),
                    fmt_num(r.aic_deep),
                    fmt_num(r.aic_both)
                ),
                format!("{} ({})", fmt_num(r.lr_deep_stat), p_cell(r.lr_deep_p)),
                format!("{} ({})", fmt_num(r.lr_volume_stat), p_cell(r.lr_volume_p)),
                r.better.clone(),
            ]
        })
        .collect();
    TableView {
        columns: columns.iter().map(|s| (*s).to_owned()).collect(),
        rows,
        highlight: None,
        note: format!(
            "{} of {n} rows. Volume alone, deep feature alone and both on the same samples; \
             likelihood-ratio tests of each nested pair.",
            n.min(max_rows)
        ),
    }
}

fn assoc_table(tables: &[AssocTable], max_rows: usize) -> TableView {
    let mut recs: Vec<_> = tables.iter().flat_map(|t| t.records.iter()).collect();
    recs.sort_by(|a, b| a.p.total_cmp(&b.p));
    let n = recs.len();
    let columns = [
        "analysis",
        "outcome",
        "predictor",
        "structure",
        "covariates",
        "n",
        "beta",
        "se",
        "stat",
        "p",
        "95% CI",
        "OR",
        "R² / AUC",
        "AIC",
    ];
    let rows = recs
        .iter()
        .take(max_rows)
        .map(|r| {
            vec![
                r.analysis.clone(),
                r.outcome.clone(),
                r.predictor.clone(),
                r.structure.clone().unwrap_or_default(),
                r.covariates.clone(),
                r.n.to_string(),
                fmt_num(r.beta),
                fmt_num(r.se),
                fmt_num(r.stat),
                p_cell(r.p),
                match (r.ci_low, r.ci_high) {
                    (Some(l), Some(h)) => format!("{} – {}", fmt_num(l), fmt_num(h)),
                    _ => "NA".into(),
                },
                opt(r.odds_ratio),
                fit_cell(r.r2, r.auc, r.auc_cv),
                opt(r.aic),
            ]
        })
        .collect();
    TableView {
        columns: columns.iter().map(|s| (*s).to_owned()).collect(),
        rows,
        highlight: None,
        note: format!("{} of {n} rows, by p.", n.min(max_rows)),
    }
}

fn mmd_table(tables: &[MmdTable], max_rows: usize) -> TableView {
    let mut recs: Vec<_> = tables.iter().flat_map(|t| t.records.iter()).collect();
    recs.sort_by(|a, b| a.p_value.total_cmp(&b.p_value));
    let n = recs.len();
    let columns = [
        "structure",
        "groups",
        "n",
        "estimator",
        "kernel",
        "bandwidth",
        "statistic",
        "p",
        "q (BH)",
        "p (FWER)",
        "null",
        "permutations",
        "seed",
    ];
    let rows = recs
        .iter()
        .take(max_rows)
        .map(|r| {
            vec![
                r.structure.clone(),
                format!("{} vs {}", r.group_a, r.group_b),
                format!("{} / {}", r.n_a, r.n_b),
                r.estimator.clone(),
                r.kernel.clone(),
                opt(r.bandwidth),
                fmt_num(r.statistic),
                p_cell(r.p_value),
                r.p_adjusted.map_or("NA".into(), p_cell),
                r.p_fwer.map_or("NA".into(), p_cell),
                r.null_method.clone(),
                r.permutations.map_or("NA".into(), |p| p.to_string()),
                r.seed.map_or("NA".into(), |s| s.to_string()),
            ]
        })
        .collect();
    TableView {
        columns: columns.iter().map(|s| (*s).to_owned()).collect(),
        rows,
        highlight: None,
        note: format!(
            "{} of {n} tests, by p; q = Benjamini–Hochberg within the family.",
            n.min(max_rows)
        ),
    }
}

/// Columns of `top_loci.tsv`.
pub const LOCI_COLUMNS: [&str; 15] = [
    "LOCUS",
    "CHROM",
    "POS",
    "ID",
    "PHENO",
    "A1",
    "A1_FREQ",
    "BETA",
    "SE",
    "P",
    "LOG10P",
    "START",
    "END",
    "N_HITS",
    "PHENOTYPES",
];

fn locus_cells(k: usize, l: &Locus) -> Vec<String> {
    let h = &l.lead;
    vec![
        (k + 1).to_string(),
        h.chrom.clone(),
        h.pos.to_string(),
        h.id.clone(),
        h.pheno.clone(),
        h.a1.clone(),
        opt(h.a1_freq),
        opt(h.beta),
        opt(h.se),
        format_p(h.log10p),
        format!("{:.3}", h.log10p),
        l.start.to_string(),
        l.end.to_string(),
        l.n_hits.to_string(),
        l.phenotypes.join(","),
    ]
}

fn loci_tsv(loci: &[Locus]) -> String {
    let mut s = LOCI_COLUMNS.join("\t");
    s.push('\n');
    for (k, l) in loci.iter().enumerate() {
        s.push_str(&locus_cells(k, l).join("\t"));
        s.push('\n');
    }
    s
}

fn loci_table(loci: &[Locus]) -> TableView {
    TableView {
        columns: LOCI_COLUMNS.iter().map(|s| (*s).to_owned()).collect(),
        rows: loci
            .iter()
            .enumerate()
            .map(|(k, l)| locus_cells(k, l))
            .collect(),
        highlight: None,
        note: if loci.is_empty() {
            "No variant passed the threshold.".into()
        } else {
            format!("{} loci.", loci.len())
        },
    }
}

fn regional_plot(
    gwas: &[GwasTable],
    locus: &Locus,
    half: i64,
    mut ld: Option<&mut LdSource>,
) -> Result<RegionalPlot> {
    let lead = &locus.lead;
    let (from, to) = ((lead.pos - half).max(0), lead.pos + half);
    let lead_index = ld
        .as_ref()
        .and_then(|s| s.find(&lead.id, &lead.chrom, lead.pos));
    let mut points = Vec::new();
    for r in gwas.iter().flat_map(|t| t.records.iter()) {
        if r.pheno != lead.pheno
            || r.chrom != lead.chrom
            || r.test != "ADD"
            || r.pos < from
            || r.pos > to
            || r.id == lead.id
        {
            continue;
        }
        let Some(log10p) = record_log10p(r) else {
            continue;
        };
        let r2 = match (ld.as_deref_mut(), lead_index) {
            (Some(src), Some(li)) => match src.find(&r.id, &r.chrom, r.pos) {
                Some(j) => src.r2(li, j)?,
                None => None,
            },
            _ => None,
        };
        points.push(RegionPoint {
            pos: r.pos,
            log10p,
            r2,
        });
    }
    Ok(RegionalPlot {
        title: format!("{} · {}", lead.id, lead.pheno),
        chrom: lead.chrom.clone(),
        lead_id: lead.id.clone(),
        lead_pos: lead.pos,
        lead_log10p: lead.log10p,
        points,
        range: (from, to),
        size: (820, 420),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_with_four_significant_digits() {
        assert_eq!(fmt_num(0.123456), "0.1235");
        assert_eq!(fmt_num(12.3456), "12.35");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(1.5e-5), "1.500e-5");
        assert_eq!(fmt_num(f64::NAN), "NA");
        assert_eq!(p_cell(3e-12), "3.00e-12");
    }

    #[test]
    fn groups_sort_clinically() {
        let g = group_order(&[
            "AD".into(),
            "NA".into(),
            "CN".into(),
            "other".into(),
            "MCI".into(),
            "AD".into(),
        ]);
        assert_eq!(g, ["CN", "MCI", "AD", "other", "NA"]);
    }

    #[test]
    fn xml_declaration_is_stripped_for_inline_svg() {
        assert_eq!(
            strip_xml_declaration("<?xml version=\"1.0\"?>\n<svg/>".into()),
            "<svg/>"
        );
        assert_eq!(strip_xml_declaration("<svg/>".into()), "<svg/>");
    }
}
