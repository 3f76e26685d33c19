//! ComparisonTable: deep features against conventional volumes, per structure and outcome.
//! Three models share the outcome, the covariates and the samples: volume alone, the deep
//! feature alone, and both; the likelihood-ratio tests say whether either feature adds to the
//! other, and `better` names the single feature whose model fits better.

use super::record_table;

record_table! {
    /// One structure × outcome comparison.
    record ComparisonRecord;
    /// Deep-feature versus volume comparisons.
    table ComparisonTable, schema "comparison.schema.json";
    {
        /// Structure compared.
        structure: String => "structure",
        /// The outcome explained (e.g. `age` or `ad_vs_cn`).
        outcome: String => "outcome",
        /// `ols` (quantitative outcome) or `logistic` (case/control outcome).
        analysis: String => "analysis",
        /// The volume column.
        volume: String => "volume",
        /// The deep-feature column.
        deep: String => "deep",
        /// Covariates in every model, comma separated.
        covariates: String => "covariates",
        /// Samples used (complete cases of all three models).
        n: i64 => "n",
        /// R² of outcome ~ volume + covariates (OLS).
        r2_volume: Option<f64> => "r2_volume",
        /// R² of outcome ~ deep + covariates (OLS).
        r2_deep: Option<f64> => "r2_deep",
        /// R² of outcome ~ volume + deep + covariates (OLS).
        r2_both: Option<f64> => "r2_both",
        /// In-sample ROC AUC of the volume model (logistic).
        auc_volume: Option<f64> => "auc_volume",
        /// In-sample ROC AUC of the deep model (logistic).
        auc_deep: Option<f64> => "auc_deep",
        /// In-sample ROC AUC of the combined model (logistic).
        auc_both: Option<f64> => "auc_both",
        /// Cross-validated ROC AUC of the volume model (logistic).
        auc_cv_volume: Option<f64> => "auc_cv_volume",
        /// Cross-validated ROC AUC of the deep model (logistic).
        auc_cv_deep: Option<f64> => "auc_cv_deep",
        /// Cross-validated ROC AUC of the combined model (logistic).
        auc_cv_both: Option<f64> => "auc_cv_both",
        /// AIC of the volume model.
        aic_volume: f64 => "aic_volume",
        /// AIC of the deep model.
        aic_deep: f64 => "aic_deep",
        /// AIC of the combined model.
        aic_both: f64 => "aic_both",
        /// Likelihood-ratio χ² of volume + deep against volume alone (does deep add?).
        lr_deep_stat: f64 => "lr_deep_stat",
        /// Its p-value (χ² with one degree of freedom).
        lr_deep_p: f64 => "lr_deep_p",
        /// Likelihood-ratio χ² of volume + deep against deep alone (does volume add?).
        lr_volume_stat: f64 => "lr_volume_stat",
        /// Its p-value (χ² with one degree of freedom).
        lr_volume_p: f64 => "lr_volume_p",
        /// `deep` or `volume`: the single-feature model with the higher likelihood (equal
        /// parameter counts, so also the lower AIC, higher R² or lower deviance).
        better: String => "better",
    }
}
