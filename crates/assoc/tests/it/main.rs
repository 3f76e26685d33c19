//! Integration tests of the assoc crate, one binary: scans against PLINK 2 and statsmodels
//! fixtures, live against PLINK 2 on real data, malformed inputs, the regression solvers and
//! the feature association against statsmodels and scikit-learn.

mod cohort;
mod common;
mod features;
mod live_plink2;
mod malformed;
mod mmd;
mod patterns;
mod regress;
mod sim_vs_peers;
