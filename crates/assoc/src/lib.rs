//! Statistical association.
//!
//! This crate will own: ordinary least squares, logistic and Firth-penalised logistic
//! regression (shared by feature association and genome scans); MMD two-sample tests with
//! their permutation and asymptotic nulls; multiple-testing adjustment; and genome-wide scans
//! over PLINK file sets streamed in blocks of variants.
