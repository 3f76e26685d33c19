//! The downstream value of a run's features, computed exactly as the study's own commands
//! would compute it from the run's `features.tsv`:
//!
//! 1. per structure, a PCA of the bottleneck features of every subject
//!    ([`biomarker_reduce::fit_features`], the code of `pca --features`; largest-loading sign
//!    rule), written as `feature-pcs.tsv`;
//! 2. on the test split (subjects the encoder never trained on), per structure, OLS of the
//!    structure's volume and of age on its PC1 ([`biomarker_assoc::features::run`], the code of
//!    `assoc`); |r| = √R²;
//! 3. on every subject with a diagnosis, per structure, logistic regression of AD vs CN on PC1
//!    with its k-fold cross-validated ROC AUC (same code, `assoc --model logistic`). The
//!    encoder never sees the diagnosis, and the folds keep the logistic fit honest.
//!
//! The run's numbers are the means over structures; `downstream.tsv` keeps them per structure.
//! A structure whose model cannot be fitted (too few subjects, no convergence) is left out of
//! the mean; a mean over no structure is NaN (`NA` in the table).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use biomarker_assoc::features::{self as assoc, AssocConfig, Model};
use biomarker_deep::data::{Dataset, Split};
use biomarker_reduce::{fit_features, FeaturePcaOptions, PcaOptions};
use biomarker_tables::{FeatureTable, PhenoColumn, PhenoTable, PhenoValues, SampleId, TableKind};

/// Prefix of the volume columns of the test-split target table.
const VOLUME_PREFIX: &str = "vol_";
/// Name of the age column of the test-split target table.
const AGE: &str = "age";

/// What the features are judged against, shared by every run of the grid.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Test-split subjects' `vol_<structure>` (mm³) and, where known, `age`.
    pub test_table: PathBuf,
    /// Whether `test_table` has an age column.
    pub has_age: bool,
    /// Phenotype table and case/control column of AD vs CN, if available.
    pub ad: Option<(PathBuf, String)>,
    /// Folds of the cross-validated AUC.
    pub cv_folds: usize,
    /// Seed of the folds.
    pub cv_seed: u64,
}

impl Targets {
    /// Writes the test-split target table to `path` and describes the targets. `ages` are per
    /// subject of `data` (None: no age known).
    pub fn write(
        path: &Path,
        data: &Dataset,
        split: &[Split],
        ages: Option<&[Option<f64>]>,
        ad: Option<(PathBuf, String)>,
        cv_folds: usize,
        cv_seed: u64,
    ) -> anyhow::Result<Self> {
        let subjects: Vec<usize> = (0..data.subjects.len())
            .filter(|&s| split[s] == Split::Test)
            .collect();
        anyhow::ensure!(
            !subjects.is_empty(),
            "the test split is empty: the features' downstream value needs test subjects"
        );
        let row: BTreeMap<usize, usize> =
            subjects.iter().enumerate().map(|(r, &s)| (s, r)).collect();
        let mut volumes = vec![vec![None; subjects.len()]; data.structures.len()];
        for i in 0..data.len() {
            if let Some(&r) = row.get(&data.item_subject[i]) {
                volumes[data.item_structure[i] as usize][r] = Some(data.item_volume[i]);
            }
        }
        let mut columns: Vec<PhenoColumn> = data
            .structures
            .iter()
            .zip(volumes)
            .map(|(name, v)| PhenoColumn {
                name: format!("{VOLUME_PREFIX}{name}"),
                values: PhenoValues::Numeric(v),
            })
            .collect();
        if let Some(ages) = ages {
            columns.push(PhenoColumn {
                name: AGE.into(),
                values: PhenoValues::Numeric(subjects.iter().map(|&s| ages[s]).collect()),
            });
        }
        let table = PhenoTable {
            path: path.to_path_buf(),
            samples: subjects
                .iter()
                .map(|&s| SampleId::new(data.subjects[s].clone()))
                .collect(),
            columns,
        };
        table.write(path)?;
        Ok(Self {
            test_table: path.to_path_buf(),
            has_age: ages.is_some(),
            ad,
            cv_folds,
            cv_seed,
        })
    }
}

/// One structure's downstream numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StructureValue {
    /// Structure name.
    pub structure: String,
    /// Test subjects in the volume model.
    pub n_test: Option<i64>,
    /// Correlation of PC1 with the volume on the test split (sign of the OLS slope × √R²).
    pub volume_r: Option<f64>,
    /// Correlation of PC1 with age on the test split.
    pub age_r: Option<f64>,
    /// Subjects (AD or CN) in the AD model.
    pub n_ad: Option<i64>,
    /// Cross-validated ROC AUC of AD vs CN on PC1.
    pub ad_auc_cv: Option<f64>,
}

/// A run's downstream value: per structure, and the means over structures.
#[derive(Debug, Clone, PartialEq)]
pub struct Downstream {
    /// Per structure, in the order of the feature table.
    pub structures: Vec<StructureValue>,
    /// Mean |r| of PC1 with volume.
    pub pc1_volume_abs_r: f64,
    /// Mean |r| of PC1 with age (NaN without ages).
    pub pc1_age_abs_r: f64,
    /// Mean cross-validated AD AUC (NaN without a diagnosis).
    pub ad_auc_cv: f64,
}

fn mean(values: impl Iterator<Item = Option<f64>>) -> f64 {
    let v: Vec<f64> = values.flatten().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// The association records of `cfg`, with the reasons of skipped models logged.
fn associate(cfg: &AssocConfig, what: &str) -> anyhow::Result<Vec<biomarker_tables::AssocRecord>> {
    let report = assoc::run(cfg, &|_, _| {}).with_context(|| format!("{what} association"))?;
    for line in &report.skipped {
        tracing::debug!("{what}: skipped {line}");
    }
    Ok(report.assoc.records)
}

/// Writes `features.tsv` and `feature-pcs.tsv` into `dir` and evaluates the PC1 of each
/// structure against `targets`; the per-structure numbers go to `downstream.tsv`.
pub fn evaluate(
    features: &FeatureTable,
    dir: &Path,
    targets: &Targets,
) -> anyhow::Result<Downstream> {
    features.write(&dir.join("features.tsv"))?;
    let options = FeaturePcaOptions {
        pca: PcaOptions {
            n_components: 1,
            scale: false,
        },
        volumes: None,
    };
    let (_, scores) = fit_features(features, &options)?;
    let pcs = dir.join("feature-pcs.tsv");
    scores.write(&pcs)?;
    let column = |s: &str| format!("{s}_PC1");
    let base = AssocConfig {
        pheno: targets.test_table.clone(),
        covar: None,
        features: Some(pcs.clone()),
        covar_names: Vec::new(),
        outcomes: Vec::new(),
        predictors: vec![column("*")],
        model: Model::Ols,
        cv_folds: 0,
        seed: targets.cv_seed,
        compare: false,
        deep_feature: "PC1".into(),
        volume_prefix: VOLUME_PREFIX.into(),
    };
    let mut outcomes = vec![format!("{VOLUME_PREFIX}*")];
    if targets.has_age {
        outcomes.push(AGE.into());
    }
    let ols = associate(
        &AssocConfig {
            outcomes,
            ..base.clone()
        },
        "volume and age",
    )?;
    // A cohort too small for the folds (or without cases) gives NA rather than failing the
    // grid after its training is done.
    let logistic = match &targets.ad {
        Some((pheno, col)) => associate(
            &AssocConfig {
                pheno: pheno.clone(),
                outcomes: vec![col.clone()],
                model: Model::Logistic,
                cv_folds: targets.cv_folds,
                ..base
            },
            "AD vs CN",
        )
        .unwrap_or_else(|e| {
            tracing::warn!("{e:#}; the AD AUC is NA");
            Vec::new()
        }),
        None => Vec::new(),
    };
    let find = |records: &[biomarker_tables::AssocRecord], outcome: &str, predictor: &str| {
        records
            .iter()
            .find(|r| r.outcome == outcome && r.predictor == predictor)
            .cloned()
    };
    let signed_r = |r: &biomarker_tables::AssocRecord| r.r2.map(|r2| r2.sqrt() * r.beta.signum());
    let mut structures = Vec::new();
    for s in features.structure_names() {
        let pc = column(&s);
        let vol = find(&ols, &format!("{VOLUME_PREFIX}{s}"), &pc);
        let age = find(&ols, AGE, &pc);
        let ad = targets
            .ad
            .as_ref()
            .and_then(|(_, col)| find(&logistic, col, &pc));
        structures.push(StructureValue {
            structure: s,
            n_test: vol.as_ref().map(|r| r.n),
            volume_r: vol.as_ref().and_then(signed_r),
            age_r: age.as_ref().and_then(signed_r),
            n_ad: ad.as_ref().map(|r| r.n),
            ad_auc_cv: ad.and_then(|r| r.auc_cv),
        });
    }
    write_table(&dir.join("downstream.tsv"), &structures)?;
    Ok(Downstream {
        pc1_volume_abs_r: mean(structures.iter().map(|v| v.volume_r.map(f64::abs))),
        pc1_age_abs_r: mean(structures.iter().map(|v| v.age_r.map(f64::abs))),
        ad_auc_cv: mean(structures.iter().map(|v| v.ad_auc_cv)),
        structures,
    })
}

fn write_table(path: &Path, rows: &[StructureValue]) -> anyhow::Result<()> {
    let f = |v: Option<f64>| v.map_or("NA".into(), |x| format!("{x:.6}"));
    let n = |v: Option<i64>| v.map_or("NA".into(), |x| x.to_string());
    biomarker_tables::atomic::write_atomic(path, |w| {
        writeln!(
            w,
            "structure\tn_test\tpc1_volume_r\tpc1_age_r\tn_ad_cn\tad_auc_cv"
        )?;
        for r in rows {
            writeln!(
                w,
                "{}\t{}\t{}\t{}\t{}\t{}",
                r.structure,
                n(r.n_test),
                f(r.volume_r),
                f(r.age_r),
                n(r.n_ad),
                f(r.ad_auc_cv)
            )?;
        }
        Ok(())
    })?;
    Ok(())
}
