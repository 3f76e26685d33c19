//! Synthetic cohorts with known truth: the embedded default data set of biomarker-gwas.
//!
//! [`simulate`] writes, into one folder:
//! - `cohort.bed/.bim/.fam`: genotypes over 22 autosomes with a realistic allele-frequency
//!   spectrum, LD blocks, ~1% missing calls, APOE rs429358/rs7412 and planted causal variants;
//! - `covariates.tsv` (age, sex) and `phenotypes.tsv` (diagnosis, AD vs CN, a null trait and
//!   every structure's volume in mm³, counted from its label map);
//! - `labelmaps/<IID>.nii.gz`, `images.tsv` (IID → label map) and `labels.tsv` (label →
//!   structure name);
//! - `truth.json` (causal variants and every model coefficient) and `truth_subjects.tsv`
//!   (each subject's ε4 dose, liability, log-volume factors and shape modes).
//!
//! Everything is a deterministic function of the seed, whatever the number of threads.

pub mod anatomy;
pub mod genome;
mod nifti_out;
mod normal;
pub mod rng;
pub mod subjects;

use std::path::{Path, PathBuf};

use biomarker_tables::plink::{write_bim, write_fam, BedWriter, FamRecord};
use biomarker_tables::{PhenoColumn, PhenoTable, PhenoValues, SampleId, TableError};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;

use anatomy::{voxel_counts, Grid, STRUCTURES};
use genome::{add_missing_calls, block_genotypes, Layout};
use subjects::{choose_causal, CausalVariant, Subject};

/// Everything that can go wrong while simulating.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Writing a table or PLINK file failed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// Creating a folder or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing a NIfTI image failed.
    #[error("{}: writing NIfTI: {message}", path.display())]
    Nifti {
        /// The image path.
        path: PathBuf,
        /// The underlying error.
        message: String,
    },
    /// The configuration cannot be simulated.
    #[error("invalid simulation settings: {0}")]
    Config(String),
}

/// What to simulate.
#[derive(Debug, Clone, Serialize)]
pub struct SimConfig {
    /// Number of subjects.
    pub samples: usize,
    /// Number of variants (APOE and causal variants included).
    pub variants: usize,
    /// Seed of every random stream.
    pub seed: u64,
    /// Label-map grid edge in voxels.
    pub size: usize,
    /// Number of planted causal variants.
    pub n_causal: usize,
    /// Fraction of genotype calls set missing.
    pub missing_rate: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            samples: 1000,
            variants: 20_000,
            seed: 42,
            size: 32,
            n_causal: 6,
            missing_rate: 0.01,
        }
    }
}

impl SimConfig {
    fn validate(&self) -> Result<(), SimError> {
        let fail = |m: String| Err(SimError::Config(m));
        if self.samples < 20 {
            return fail(format!("{} samples: at least 20 are needed", self.samples));
        }
        if self.variants < 100 {
            return fail(format!(
                "{} variants: at least 100 are needed",
                self.variants
            ));
        }
        if ![16, 32, 48, 64, 96, 128].contains(&self.size) {
            return fail(format!(
                "grid size {}: expected 16, 32, 48, 64, 96 or 128",
                self.size
            ));
        }
        if !(0.0..0.5).contains(&self.missing_rate) {
            return fail(format!(
                "missing rate {}: expected 0 ≤ rate < 0.5",
                self.missing_rate
            ));
        }
        if self.n_causal > 20 {
            return fail(format!(
                "{} causal variants: at most 20 (one per chromosome, not 19)",
                self.n_causal
            ));
        }
        Ok(())
    }
}

/// Names of the files a cohort folder holds.
pub mod files {
    /// PLINK prefix (cohort.bed/.bim/.fam).
    pub const PLINK_PREFIX: &str = "cohort";
    /// Covariates: age, sex.
    pub const COVARIATES: &str = "covariates.tsv";
    /// Phenotypes: diagnosis, ad_vs_cn, null_trait, vol_<structure>.
    pub const PHENOTYPES: &str = "phenotypes.tsv";
    /// IID → label map path (relative to the folder).
    pub const IMAGES: &str = "images.tsv";
    /// Label number → structure name.
    pub const LABELS: &str = "labels.tsv";
    /// Folder of label maps.
    pub const LABEL_MAPS: &str = "labelmaps";
    /// The truth file.
    pub const TRUTH: &str = "truth.json";
    /// Per-subject truth.
    pub const TRUTH_SUBJECTS: &str = "truth_subjects.tsv";
}

/// The truth file's content.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    /// The settings.
    pub config: SimConfig,
    /// Voxel edge in mm.
    pub voxel_mm: f64,
    /// The planted causal variants.
    pub causal: Vec<CausalVariant>,
    /// APOE haplotype frequencies ε2, ε3, ε4.
    pub apoe_haplotype_freqs: [f64; 3],
    /// The diagnosis model.
    pub diagnosis_model: subjects::DiagnosisModel,
    /// Effects on log volume per structure.
    pub structure_effects: Vec<(String, subjects::GroupEffects)>,
    /// The null trait is N(0, 1) noise, unrelated to anything.
    pub null_trait: String,
}

/// Counts of what was written.
#[derive(Debug, Clone, Serialize)]
pub struct SimSummary {
    /// Subjects.
    pub samples: usize,
    /// Variants.
    pub variants: usize,
    /// Subjects per diagnosis (CN, MCI, AD).
    pub diagnosis_counts: [usize; 3],
    /// Causal variant IDs.
    pub causal: Vec<String>,
    /// Files written, relative to the output folder.
    pub files: Vec<String>,
}

/// ALT counts of single variants, drawn through their blocks.
fn variant_doses(config: &SimConfig, layout: &Layout, variant: usize) -> Vec<i8> {
    let b = layout.block_of(variant);
    let mut g = Vec::new();
    block_genotypes(config.seed, layout, b, config.samples, &mut g);
    let row = variant - layout.blocks[b].first;
    g[row * config.samples..(row + 1) * config.samples].to_vec()
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.into(),
        source,
    }
}

/// Simulates a cohort into `out`; `progress` is called with the number of label maps done.
pub fn simulate(
    config: &SimConfig,
    out: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SimSummary, SimError> {
    config.validate()?;
    let n = config.samples;
    std::fs::create_dir_all(out.join(files::LABEL_MAPS)).map_err(io_err(out))?;
    let layout = genome::layout(config.seed, config.variants);
    let causal = choose_causal(config.seed, &layout, config.n_causal);
    let apoe = layout
        .index_of("rs429358")
        .expect("APOE is always laid out");
    let e4_dose = variant_doses(config, &layout, apoe);
    let causal_doses: Vec<Vec<i8>> = causal
        .iter()
        .map(|c| variant_doses(config, &layout, c.index))
        .collect();

    let subjects: Vec<Subject> = (0..n)
        .into_par_iter()
        .map(|i| {
            let doses: Vec<i8> = causal_doses.iter().map(|d| d[i]).collect();
            subjects::subject(config.seed, i, e4_dose[i] as u8, &causal, &doses)
        })
        .collect();

    let grid = Grid { size: config.size };
    let header = nifti_out::label_map_header(grid);
    let done = std::sync::atomic::AtomicU64::new(0);
    let counts: Vec<Vec<u64>> = subjects
        .par_iter()
        .map(|s| {
            let map = anatomy::draw(grid, &s.geometry);
            let path = out
                .join(files::LABEL_MAPS)
                .join(format!("{}.nii.gz", s.iid));
            nifti_out::write_label_map(&path, &map, &header)?;
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            Ok(voxel_counts(&map))
        })
        .collect::<Result<_, SimError>>()?;

    write_genotypes(config, &layout, &subjects, out)?;
    write_tables(config, &subjects, &counts, grid, out)?;
    let truth = Truth {
        config: config.clone(),
        voxel_mm: grid.voxel_mm(),
        causal: causal.clone(),
        apoe_haplotype_freqs: genome::APOE_FREQS,
        diagnosis_model: subjects::DIAGNOSIS_MODEL,
        structure_effects: STRUCTURES
            .iter()
            .map(|s| (s.name.to_owned(), subjects::group_effects(s.group)))
            .collect(),
        null_trait: "null_trait".into(),
    };
    let truth_path = out.join(files::TRUTH);
    biomarker_tables::atomic::write_atomic(&truth_path, |w| {
        serde_json::to_writer_pretty(&mut *w, &truth)?;
        w.write_all(b"\n")
    })?;

    let mut diagnosis_counts = [0; 3];
    for s in &subjects {
        diagnosis_counts[s.diagnosis as usize] += 1;
    }
    let p = files::PLINK_PREFIX;
    Ok(SimSummary {
        samples: n,
        variants: layout.variants.len(),
        diagnosis_counts,
        causal: causal.iter().map(|c| c.id.clone()).collect(),
        files: [
            format!("{p}.bed"),
            format!("{p}.bim"),
            format!("{p}.fam"),
            files::COVARIATES.into(),
            files::PHENOTYPES.into(),
            files::IMAGES.into(),
            files::LABELS.into(),
            files::TRUTH.into(),
            files::TRUTH_SUBJECTS.into(),
            format!("{}/<IID>.nii.gz × {n}", files::LABEL_MAPS),
        ]
        .to_vec(),
    })
}

/// Streams the genotypes block by block (in parallel batches, written in order).
fn write_genotypes(
    config: &SimConfig,
    layout: &Layout,
    subjects: &[Subject],
    out: &Path,
) -> Result<(), SimError> {
    let prefix = out.join(files::PLINK_PREFIX);
    let path = |ext: &str| prefix.with_extension(ext);
    let mut bed = BedWriter::create(&path("bed"), config.samples)?;
    const BATCH: usize = 256;
    for start in (0..layout.blocks.len()).step_by(BATCH) {
        let stop = (start + BATCH).min(layout.blocks.len());
        let batch: Vec<Vec<i8>> = (start..stop)
            .into_par_iter()
            .map(|b| {
                let mut g = Vec::new();
                block_genotypes(config.seed, layout, b, config.samples, &mut g);
                add_missing_calls(config.seed, b, config.missing_rate, &mut g);
                g
            })
            .collect();
        for g in &batch {
            for variant in g.chunks(config.samples) {
                bed.write_variant(variant)?;
            }
        }
    }
    bed.finish()?;
    write_bim(&path("bim"), &layout.variants)?;
    let fam: Vec<FamRecord> = subjects
        .iter()
        .map(|s| FamRecord {
            fid: s.iid.clone(),
            iid: s.iid.clone(),
            father: "0".into(),
            mother: "0".into(),
            sex: s.sex,
            phenotype: None,
        })
        .collect();
    write_fam(&path("fam"), &fam)?;
    Ok(())
}

fn numeric(name: impl Into<String>, values: impl Iterator<Item = f64>) -> PhenoColumn {
    PhenoColumn {
        name: name.into(),
        values: PhenoValues::Numeric(values.map(Some).collect()),
    }
}

fn write_tables(
    config: &SimConfig,
    subjects: &[Subject],
    counts: &[Vec<u64>],
    grid: Grid,
    out: &Path,
) -> Result<(), SimError> {
    let samples: Vec<SampleId> = subjects
        .iter()
        .map(|s| SampleId::with_fid(&s.iid, &s.iid))
        .collect();
    let table = |name: &str, columns| PhenoTable {
        path: out.join(name),
        samples: samples.clone(),
        columns,
    };

    let covariates = vec![
        numeric("age", subjects.iter().map(|s| s.age)),
        numeric("sex", subjects.iter().map(|s| s.sex as f64)),
    ];
    table(files::COVARIATES, covariates).write(&out.join(files::COVARIATES))?;

    let mut null_rng = rng::rng_for(config.seed, rng::Stream::Subject, u64::MAX);
    let mut phenotypes = vec![
        PhenoColumn {
            name: "diagnosis".into(),
            values: PhenoValues::Categorical(
                subjects
                    .iter()
                    .map(|s| Some(s.diagnosis.as_str().to_owned()))
                    .collect(),
            ),
        },
        // PLINK case/control coding: 1 = control (CN), 2 = case (AD), MCI missing.
        PhenoColumn {
            name: "ad_vs_cn".into(),
            values: PhenoValues::Numeric(
                subjects
                    .iter()
                    .map(|s| match s.diagnosis {
                        subjects::Diagnosis::CN => Some(1.0),
                        subjects::Diagnosis::AD => Some(2.0),
                        subjects::Diagnosis::MCI => None,
                    })
                    .collect(),
            ),
        },
        numeric(
            "null_trait",
            (0..subjects.len()).map(|_| StandardNormal.sample(&mut null_rng)),
        ),
    ];
    let voxel_volume = grid.voxel_volume();
    for (k, s) in STRUCTURES.iter().enumerate() {
        phenotypes.push(numeric(
            format!("vol_{}", s.name),
            counts.iter().map(|c| c[k] as f64 * voxel_volume),
        ));
    }
    table(files::PHENOTYPES, phenotypes).write(&out.join(files::PHENOTYPES))?;

    let mut truth = vec![
        numeric("apoe4_dose", subjects.iter().map(|s| s.apoe4_dose as f64)),
        numeric("liability", subjects.iter().map(|s| s.liability)),
    ];
    for (k, s) in STRUCTURES.iter().enumerate() {
        truth.push(numeric(
            format!("lv_{}", s.name),
            subjects.iter().map(|x| x.geometry.log_volume[k]),
        ));
        for (m, mode) in ["elongation", "bend", "taper"].iter().enumerate() {
            truth.push(numeric(
                format!("{mode}_{}", s.name),
                subjects.iter().map(|x| x.geometry.shape[k][m]),
            ));
        }
    }
    table(files::TRUTH_SUBJECTS, truth).write(&out.join(files::TRUTH_SUBJECTS))?;

    let images = out.join(files::IMAGES);
    biomarker_tables::atomic::write_atomic(&images, |w| {
        writeln!(w, "IID\tpath")?;
        for s in subjects {
            writeln!(w, "{}\t{}/{}.nii.gz", s.iid, files::LABEL_MAPS, s.iid)?;
        }
        Ok(())
    })?;
    let labels = out.join(files::LABELS);
    biomarker_tables::atomic::write_atomic(&labels, |w| {
        writeln!(w, "label\tstructure")?;
        for s in &STRUCTURES {
            writeln!(w, "{}\t{}", s.label, s.name)?;
        }
        Ok(())
    })?;
    Ok(())
}
