//! MmdTable: two-sample tests between groups of subjects per structure (MMD and companions),
//! with the null distribution used, multiple-testing adjustments and reproducibility fields.

use super::record_table;

record_table! {
    /// One test of one structure between two groups.
    record MmdRecord;
    /// Two-sample test results.
    table MmdTable, schema "mmd.schema.json";
    {
        /// Structure tested.
        structure: String => "structure",
        /// First group label.
        group_a: String => "group_a",
        /// Second group label.
        group_b: String => "group_b",
        /// Size of group a.
        n_a: i64 => "n_a",
        /// Size of group b.
        n_b: i64 => "n_b",
        /// unbiased, biased, linear, dfda, hotelling or energy.
        estimator: String => "estimator",
        /// linear, gaussian, laplacian or none.
        kernel: String => "kernel",
        /// Kernel bandwidth, where the kernel has one.
        bandwidth: Option<f64> => "bandwidth",
        /// The test statistic.
        statistic: f64 => "statistic",
        /// p-value.
        p_value: f64 => "p_value",
        /// Benjamini–Hochberg q-value within the family.
        p_adjusted: Option<f64> => "p_adjusted",
        /// Family-wise p from the max statistic.
        p_fwer: Option<f64> => "p_fwer",
        /// Statistic standardised against its permutation null.
        z_score: Option<f64> => "z_score",
        /// permutation, gamma, normal, chi2 or f.
        null_method: String => "null_method",
        /// Number of permutations, where permuted.
        permutations: Option<i64> => "permutations",
        /// Seed of the permutations.
        seed: Option<i64> => "seed",
    }
}
