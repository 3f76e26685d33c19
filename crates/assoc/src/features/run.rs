//! The `assoc` command's engine: loads a phenotype table, optional covariates and an optional
//! FeatureTable (widened to one column `<structure>_<feature>` per pair), aligns them on IID
//! (reporting what each side lost), and fits
//!
//! - OLS of each outcome on each predictor with the covariates, or logistic regression of
//!   each case/control outcome (PLINK coding 1/2, or 0/1) on each predictor, one AssocTable
//!   row per outcome × predictor (the predictor's coefficient and the model's statistics);
//! - with `compare`, per outcome and structure: outcome ~ volume, ~ deep feature and ~ both
//!   (each with the covariates, on the same complete cases), one ComparisonTable row.
//!
//! Each model uses the samples complete in its own columns. Categorical covariates are one-hot
//! encoded (most frequent level the reference). A covariate that is the model's outcome or
//! predictor is left out of that model.

use std::collections::BTreeMap;
use std::path::PathBuf;

use biomarker_tables::{
    Alignment, AssocRecord, AssocTable, ComparisonRecord, ComparisonTable, FeatureTable,
    PhenoTable, Side, TableKind,
};
use ndarray::Array2;

use super::fit::{fit_logistic, fit_ols, lr_test};
use crate::error::{AssocError, Result};

/// Which regression to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Ordinary least squares of a quantitative outcome.
    Ols,
    /// Logistic regression of a case/control outcome.
    Logistic,
}

impl Model {
    /// `ols` or `logistic`.
    pub fn name(self) -> &'static str {
        match self {
            Model::Ols => "ols",
            Model::Logistic => "logistic",
        }
    }
}

/// What to fit, validated by [`AssocConfig::validate`].
#[derive(Debug, Clone)]
pub struct AssocConfig {
    /// Phenotype table (outcomes, volumes, anything numeric).
    pub pheno: PathBuf,
    /// Covariate table.
    pub covar: Option<PathBuf>,
    /// FeatureTable (deep features or their PCs).
    pub features: Option<PathBuf>,
    /// Covariate columns (empty: every column of the covariate table).
    pub covar_names: Vec<String>,
    /// Outcome column names or `*` patterns.
    pub outcomes: Vec<String>,
    /// Predictor column names or `*` patterns (may be empty with `compare`).
    pub predictors: Vec<String>,
    /// OLS or logistic.
    pub model: Model,
    /// Folds of the cross-validated AUC (logistic; 0 = none).
    pub cv_folds: usize,
    /// Seed of the folds.
    pub seed: u64,
    /// Also compare deep features with volumes per structure.
    pub compare: bool,
    /// The FeatureTable column used as the deep feature in comparisons.
    pub deep_feature: String,
    /// Volume columns are `<volume_prefix><structure>`.
    pub volume_prefix: String,
}

impl AssocConfig {
    /// Checks options that contradict each other.
    pub fn validate(&self) -> Result<()> {
        if self.outcomes.is_empty() {
            return Err(AssocError::Option("no outcome given".into()));
        }
        if self.predictors.is_empty() && !self.compare {
            return Err(AssocError::Option(
                "no predictor given (and no comparison asked for)".into(),
            ));
        }
        if self.compare && self.features.is_none() {
            return Err(AssocError::Option(
                "comparing deep features with volumes needs a feature table".into(),
            ));
        }
        if self.cv_folds == 1 {
            return Err(AssocError::Option(
                "cross-validation needs at least 2 folds (0 turns it off)".into(),
            ));
        }
        Ok(())
    }
}

/// What a run produced.
#[derive(Debug, Clone, Default)]
pub struct AssocReport {
    /// One row per outcome × predictor.
    pub assoc: AssocTable,
    /// One row per outcome × structure, when comparing.
    pub comparison: Option<ComparisonTable>,
    /// Samples after aligning all inputs.
    pub samples: usize,
    /// One line per join, naming what each side lost.
    pub alignments: Vec<String>,
    /// Models that could not be fitted, with the reason.
    pub skipped: Vec<String>,
}

/// Named numeric columns over the aligned samples.
struct Columns {
    values: BTreeMap<String, Vec<Option<f64>>>,
    /// Column → structure, for feature columns and volumes.
    structure: BTreeMap<String, String>,
    covariates: Vec<String>,
}

fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

impl Columns {
    fn expand(&self, patterns: &[String], what: &str) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for p in patterns {
            let hits: Vec<&String> = self.values.keys().filter(|k| glob(p, k)).collect();
            if hits.is_empty() {
                let have: Vec<&str> = self.values.keys().map(String::as_str).collect();
                return Err(AssocError::Option(format!(
                    "{what} {p:?} matches no column; the inputs have {}",
                    have.join(", ")
                )));
            }
            for h in hits {
                if !out.contains(h) {
                    out.push(h.clone());
                }
            }
        }
        Ok(out)
    }

    /// The complete-case design `[1, terms…, covariates…]` and response.
    fn design(
        &self,
        y: &str,
        terms: &[&str],
        binary: bool,
    ) -> Result<(Array2<f64>, Vec<f64>, Vec<String>)> {
        let covs: Vec<String> = self
            .covariates
            .iter()
            .filter(|c| c.as_str() != y && !terms.contains(&c.as_str()))
            .cloned()
            .collect();
        let mut response = self.values[y].clone();
        if binary {
            let (is_binary, coded) = crate::scan::input::type_phenotype(response);
            if !is_binary {
                return Err(AssocError::Option(format!(
                    "outcome {y} is not case/control (expected values 1/2 or 0/1)"
                )));
            }
            response = coded;
        }
        let cols: Vec<&Vec<Option<f64>>> = terms
            .iter()
            .map(|t| &self.values[*t])
            .chain(covs.iter().map(|c| &self.values[c]))
            .collect();
        let rows: Vec<usize> = (0..response.len())
            .filter(|&i| response[i].is_some() && cols.iter().all(|c| c[i].is_some()))
            .collect();
        let x = Array2::from_shape_fn((rows.len(), cols.len() + 1), |(r, j)| {
            if j == 0 {
                1.0
            } else {
                cols[j - 1][rows[r]].unwrap_or(f64::NAN)
            }
        });
        let yv = rows
            .iter()
            .map(|&i| response[i].unwrap_or(f64::NAN))
            .collect();
        Ok((x, yv, covs))
    }
}

fn join(left: &PhenoTable, right: &PhenoTable) -> Result<Alignment> {
    Ok(Alignment::join(
        Side {
            name: &left.path,
            iids: &left.iids(),
        },
        Side {
            name: &right.path,
            iids: &right.iids(),
        },
    )?)
}

fn load(cfg: &AssocConfig, report: &mut AssocReport) -> Result<Columns> {
    let mut pheno = PhenoTable::read(&cfg.pheno)?;
    let covar = cfg.covar.as_deref().map(PhenoTable::read).transpose()?;
    // Every covariate-file column can be an outcome or predictor; only the selected ones
    // (all by default) adjust the models.
    let covariates: Vec<String> = match &covar {
        Some(c) if !cfg.covar_names.is_empty() => c.select(&cfg.covar_names)?.design(),
        Some(c) => c.design(),
        None => Vec::new(),
    }
    .into_iter()
    .map(|c| c.name)
    .collect();
    let mut structure = BTreeMap::new();
    let wide = match &cfg.features {
        Some(path) => {
            let ft = FeatureTable::read(path)?;
            for s in ft.structure_names() {
                for f in &ft.feature_names {
                    structure.insert(format!("{s}_{f}"), s.clone());
                }
            }
            let mut w = ft.to_wide();
            w.path = path.clone();
            Some(w)
        }
        None => None,
    };
    let mut others: Vec<PhenoTable> = covar.iter().cloned().chain(wide).collect();
    for other in &mut others {
        let a = join(&pheno, other)?;
        report.alignments.push(a.to_string());
        pheno = pheno.take_rows(&a.left);
        *other = other.take_rows(&a.right);
    }
    // Later joins may have dropped rows the earlier tables still hold: realign all.
    for other in &mut others {
        let a = join(&pheno, other)?;
        *other = other.take_rows(&a.right);
    }
    if pheno.samples.is_empty() {
        return Err(AssocError::input(&cfg.pheno, "no sample is in every input"));
    }
    report.samples = pheno.samples.len();
    let mut values = BTreeMap::new();
    for table in std::iter::once(&pheno).chain(&others) {
        for c in table.design() {
            if values.contains_key(&c.name) {
                return Err(AssocError::input(
                    &table.path,
                    format!("column {} is also in another input", c.name),
                ));
            }
            if let Some(s) = c.name.strip_prefix(&cfg.volume_prefix) {
                structure
                    .entry(c.name.clone())
                    .or_insert_with(|| s.to_owned());
            }
            values.insert(c.name, c.values);
        }
    }
    Ok(Columns {
        values,
        structure,
        covariates,
    })
}

fn p_of(ln_p: f64) -> f64 {
    ln_p.exp()
}

fn one(cfg: &AssocConfig, cols: &Columns, outcome: &str, predictor: &str) -> Result<AssocRecord> {
    let binary = cfg.model == Model::Logistic;
    let (x, y, covs) = cols.design(outcome, &[predictor], binary)?;
    let structure = cols
        .structure
        .get(if binary { predictor } else { outcome })
        .or_else(|| cols.structure.get(predictor))
        .cloned();
    let mut r = AssocRecord {
        analysis: cfg.model.name().into(),
        outcome: outcome.into(),
        predictor: predictor.into(),
        structure,
        covariates: covs.join(","),
        n: y.len() as i64,
        ..AssocRecord::default()
    };
    match cfg.model {
        Model::Ols => {
            let s = fit_ols(x.view(), &y)?;
            (r.beta, r.se, r.stat, r.p) =
                (s.fit.coef[1], s.fit.se[1], s.fit.t[1], p_of(s.fit.ln_p[1]));
            (r.ci_low, r.ci_high) = (Some(s.ci[1].0), Some(s.ci[1].1));
            r.r2 = Some(s.r2);
            r.adj_r2 = Some(s.adj_r2);
            r.f_stat = Some(s.f_stat);
            r.f_p = Some(p_of(s.f_ln_p));
            r.aic = Some(s.aic);
        }
        Model::Logistic => {
            let cv = (cfg.cv_folds >= 2).then_some((cfg.cv_folds, cfg.seed));
            let s = fit_logistic(x.view(), &y, cv)?;
            if !s.fit.converged {
                return Err(AssocError::Regression(
                    "logistic regression did not converge".into(),
                ));
            }
            (r.beta, r.se, r.stat, r.p) =
                (s.fit.coef[1], s.fit.se[1], s.fit.z[1], p_of(s.fit.ln_p[1]));
            (r.ci_low, r.ci_high) = (Some(s.ci[1].0), Some(s.ci[1].1));
            r.odds_ratio = Some(s.fit.coef[1].exp());
            r.deviance = Some(s.fit.deviance);
            r.aic = Some(s.aic);
            r.auc = s.auc;
            r.auc_cv = s.auc_cv;
        }
    }
    Ok(r)
}

/// Per model: log-likelihood, parameters, AIC, R², AUC, CV AUC.
type Stats = (f64, usize, f64, Option<f64>, Option<f64>, Option<f64>);

fn compare_one(
    cfg: &AssocConfig,
    cols: &Columns,
    outcome: &str,
    s: &str,
    vol: &str,
    deep: &str,
) -> Result<ComparisonRecord> {
    let binary = cfg.model == Model::Logistic;
    // Complete cases of the largest model, then each model on those rows.
    let (x, y, covs) = cols.design(outcome, &[vol, deep], binary)?;
    let pick = |keep: &[usize]| {
        Array2::from_shape_fn((x.nrows(), x.ncols() - 3 + keep.len() + 1), |(i, j)| {
            if j <= keep.len() {
                x[[i, if j == 0 { 0 } else { keep[j - 1] }]]
            } else {
                x[[i, j - keep.len() + 2]]
            }
        })
    };
    let fit = |xm: Array2<f64>| -> Result<Stats> {
        let p = xm.ncols();
        Ok(match cfg.model {
            Model::Ols => {
                let f = fit_ols(xm.view(), &y)?;
                (f.fit.log_likelihood, p, f.aic, Some(f.r2), None, None)
            }
            Model::Logistic => {
                let cv = (cfg.cv_folds >= 2).then_some((cfg.cv_folds, cfg.seed));
                let f = fit_logistic(xm.view(), &y, cv)?;
                (f.fit.log_likelihood, p, f.aic, None, f.auc, f.auc_cv)
            }
        })
    };
    let v = fit(pick(&[1]))?;
    let d = fit(pick(&[2]))?;
    let b = fit(x.clone())?;
    let lr_d = lr_test(b.0, b.1, v.0, v.1);
    let lr_v = lr_test(b.0, b.1, d.0, d.1);
    Ok(ComparisonRecord {
        structure: s.into(),
        outcome: outcome.into(),
        analysis: cfg.model.name().into(),
        volume: vol.into(),
        deep: deep.into(),
        covariates: covs.join(","),
        n: y.len() as i64,
        r2_volume: v.3,
        r2_deep: d.3,
        r2_both: b.3,
        auc_volume: v.4,
        auc_deep: d.4,
        auc_both: b.4,
        auc_cv_volume: v.5,
        auc_cv_deep: d.5,
        auc_cv_both: b.5,
        aic_volume: v.2,
        aic_deep: d.2,
        aic_both: b.2,
        lr_deep_stat: lr_d.stat,
        lr_deep_p: p_of(lr_d.ln_p),
        lr_volume_stat: lr_v.stat,
        lr_volume_p: p_of(lr_v.ln_p),
        better: if d.0 > v.0 { "deep" } else { "volume" }.into(),
    })
}

/// Runs the association (and comparison) described by `cfg`; `progress(done, total)` is
/// called after each model (a comparison counts as one).
pub fn run(cfg: &AssocConfig, progress: &dyn Fn(u64, u64)) -> Result<AssocReport> {
    cfg.validate()?;
    let mut report = AssocReport::default();
    let cols = load(cfg, &mut report)?;
    let outcomes = cols.expand(&cfg.outcomes, "outcome")?;
    let predictors = cols.expand(&cfg.predictors, "predictor")?;
    let mut meta = BTreeMap::new();
    meta.insert("model".to_owned(), cfg.model.name().to_owned());
    meta.insert("cv_folds".to_owned(), cfg.cv_folds.to_string());
    meta.insert("seed".to_owned(), cfg.seed.to_string());
    report.assoc.metadata = meta.clone();
    // Structures with a deep-feature column, for the comparison.
    let suffix = format!("_{}", cfg.deep_feature);
    let structures: Vec<(String, String)> = if cfg.compare {
        cols.structure
            .iter()
            .filter(|(c, _)| c.ends_with(&suffix) && !c.starts_with(&cfg.volume_prefix))
            .map(|(c, s)| (s.clone(), c.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let total = (outcomes.len() * (predictors.len() + structures.len())) as u64;
    let mut done = 0;
    for o in &outcomes {
        for p in predictors.iter().filter(|p| *p != o) {
            done += 1;
            progress(done, total);
            match one(cfg, &cols, o, p) {
                Ok(r) => report.assoc.records.push(r),
                Err(AssocError::Option(m)) => return Err(AssocError::Option(m)),
                Err(e) => report.skipped.push(format!("{o} ~ {p}: {e}")),
            }
        }
    }
    if cfg.compare {
        let mut table = ComparisonTable {
            records: Vec::new(),
            metadata: meta,
        };
        for o in &outcomes {
            for (s, deep) in &structures {
                done += 1;
                progress(done, total);
                let vol = format!("{}{s}", cfg.volume_prefix);
                if !cols.values.contains_key(&vol) {
                    report
                        .skipped
                        .push(format!("{o}: structure {s} has no volume column {vol}"));
                    continue;
                }
                match compare_one(cfg, &cols, o, s, &vol, deep) {
                    Ok(r) => table.records.push(r),
                    Err(AssocError::Option(m)) => return Err(AssocError::Option(m)),
                    Err(e) => report.skipped.push(format!("{o}: {s}: {e}")),
                }
            }
        }
        if table.records.is_empty() {
            return Err(AssocError::Option(format!(
                "no structure has both a deep feature (<structure>{suffix}) and a volume \
                 ({}<structure>)",
                cfg.volume_prefix
            )));
        }
        report.comparison = Some(table);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_stars() {
        assert!(glob("vol_*", "vol_left_hippocampus"));
        assert!(glob("*_PC1", "left_hippocampus_PC1"));
        assert!(glob("*hippo*PC1", "left_hippocampus_PC1"));
        assert!(!glob("*_PC1", "left_hippocampus_PC2"));
        assert!(glob("age", "age") && !glob("age", "agex"));
        assert!(!glob("a*a", "a"));
    }
}
