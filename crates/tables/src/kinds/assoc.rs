//! AssocTable: regression of features on predictors (OLS) and of binary outcomes on features
//! (logistic), one row per tested coefficient, with model-level fit statistics repeated.

use super::record_table;

record_table! {
    /// One tested coefficient of one model.
    record AssocRecord;
    /// Feature association results.
    table AssocTable, schema "assoc.schema.json";
    {
        /// `ols` or `logistic`.
        analysis: String => "analysis",
        /// The modelled outcome.
        outcome: String => "outcome",
        /// The tested predictor.
        predictor: String => "predictor",
        /// Structure the feature belongs to, where it does.
        structure: Option<String> => "structure",
        /// Covariates, comma separated.
        covariates: String => "covariates",
        /// Samples used.
        n: i64 => "n",
        /// Coefficient.
        beta: f64 => "beta",
        /// Its standard error.
        se: f64 => "se",
        /// t (OLS) or z (logistic).
        stat: f64 => "stat",
        /// Two-sided p-value.
        p: f64 => "p",
        /// Lower 95% confidence bound.
        ci_low: Option<f64> => "ci_low",
        /// Upper 95% confidence bound.
        ci_high: Option<f64> => "ci_high",
        /// exp(beta), logistic only.
        odds_ratio: Option<f64> => "odds_ratio",
        /// R², OLS only.
        r2: Option<f64> => "r2",
        /// Adjusted R², OLS only.
        adj_r2: Option<f64> => "adj_r2",
        /// Overall F statistic, OLS only.
        f_stat: Option<f64> => "f_stat",
        /// p of the F statistic.
        f_p: Option<f64> => "f_p",
        /// Residual deviance, logistic only.
        deviance: Option<f64> => "deviance",
        /// Akaike information criterion.
        aic: Option<f64> => "aic",
        /// In-sample ROC AUC, logistic only.
        auc: Option<f64> => "auc",
        /// Cross-validated ROC AUC, logistic only.
        auc_cv: Option<f64> => "auc_cv",
    }
}
