//! GwasTable: genome-wide association results, a superset of PLINK 2's `.glm` columns and of
//! GWAS-SSF. For logistic models BETA is log(OR) and STAT the Wald Z; LOG10P is −log10 p,
//! computed in log space so it stays exact where P underflows to 0.

use super::record_table;

record_table! {
    /// One tested variant × phenotype (× term).
    record GwasRecord;
    /// Association results of a scan.
    table GwasTable, schema "gwas.schema.json";
    {
        /// Phenotype tested.
        pheno: String => "PHENO",
        /// Chromosome code as in the .bim.
        chrom: String => "CHROM",
        /// Base-pair position.
        pos: i64 => "POS",
        /// Variant ID.
        id: String => "ID",
        /// Reference allele (.bim column 6).
        reference: String => "REF",
        /// Alternate allele (.bim column 5).
        alt: String => "ALT",
        /// Tested allele.
        a1: String => "A1",
        /// The other allele.
        omitted: String => "OMITTED",
        /// A1 frequency among the samples tested.
        a1_freq: Option<f64> => "A1_FREQ",
        /// `linear` or `logistic`.
        model: String => "MODEL",
        /// Logistic only: whether Firth regression was used.
        firth: Option<bool> => "FIRTH",
        /// `ADD` or a covariate name.
        test: String => "TEST",
        /// Samples in the regression.
        obs_ct: i64 => "OBS_CT",
        /// Effect of one A1 allele (log OR for logistic).
        beta: Option<f64> => "BETA",
        /// Standard error of BETA.
        se: Option<f64> => "SE",
        /// T (linear) or Z (logistic) statistic.
        stat: Option<f64> => "STAT",
        /// p-value (0 where it underflows; see LOG10P).
        p: Option<f64> => "P",
        /// −log10 p.
        log10p: Option<f64> => "LOG10P",
        /// Why the variant was not tested; missing when it was.
        errcode: Option<String> => "ERRCODE",
    }
}
