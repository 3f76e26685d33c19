//! Feature association: regressions of imaging features (deep-feature PCs, volumes) on named
//! predictors (OLS) and of case/control outcomes on features (logistic), with the model-level
//! statistics statsmodels reports (R², adjusted R², F test, log-likelihood, deviance, AIC),
//! Wald confidence intervals, likelihood-ratio tests of nested models and ROC AUC in-sample
//! and cross-validated. Every fit runs through the solvers in [`crate::regress`], the same
//! ones the genome scan uses.
//!
//! - [`fit`]: model summaries from a design matrix and a response;
//! - [`auc`]: ROC AUC (Mann–Whitney with mid-ranks) and seeded stratified k-fold folds;
//! - [`run`]: the `assoc` command: inputs aligned on IID, models, AssocTable/ComparisonTable.

pub mod auc;
pub mod fit;
pub mod run;

pub use auc::{cv_auc, roc_auc, stratified_folds};
pub use fit::{fit_logistic, fit_ols, lr_test, LogisticSummary, LrTest, OlsSummary};
pub use run::{run, AssocConfig, AssocReport, Model};
