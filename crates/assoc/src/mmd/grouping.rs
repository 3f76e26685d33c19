//! Who belongs to which group: a categorical phenotype column (diagnosis AD / MCI / CN, all
//! pairs of levels or the pairs asked for), or APOE ε4 carrier status derived from the
//! genotypes of rs429358 and rs7412 in a PLINK file set.

use std::collections::BTreeSet;
use std::path::Path;

use biomarker_tables::plink::{BimRecord, Fileset, MISSING_CALL};
use biomarker_tables::{PhenoTable, PhenoValues, SampleId};

use super::MmdError;

/// APOE ε4's defining SNP (C = ε4), GRCh37 position 19:45,411,941.
pub const RS429358: (&str, &str, i64) = ("rs429358", "19", 45_411_941);
/// APOE ε2's defining SNP (T = ε2), GRCh37 position 19:45,412,079.
pub const RS7412: (&str, &str, i64) = ("rs7412", "19", 45_412_079);
/// Label of ε4 carriers.
pub const CARRIER: &str = "APOE4_carrier";
/// Label of ε4 non-carriers.
pub const NON_CARRIER: &str = "APOE4_noncarrier";

/// A group label (or none) per sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    /// Where the labels came from (a file and column), for messages.
    pub source: String,
    /// The samples.
    pub samples: Vec<SampleId>,
    /// Each sample's group; None when missing.
    pub labels: Vec<Option<String>>,
}

impl Grouping {
    /// Groups from a phenotype column; numbers are used as labels as written (e.g. 0/1).
    pub fn from_column(table: &PhenoTable, column: &str) -> Result<Self, MmdError> {
        let col = table.select(&[column.to_owned()])?.columns.remove(0);
        let labels = match col.values {
            PhenoValues::Categorical(v) => v,
            PhenoValues::Numeric(v) => v.into_iter().map(|x| x.map(|x| format!("{x}"))).collect(),
        };
        Ok(Self {
            source: format!("{} column {column}", table.path.display()),
            samples: table.samples.clone(),
            labels,
        })
    }

    /// APOE ε4 carriers vs non-carriers from `prefix.{bed,bim,fam}`.
    ///
    /// The ε4 dose is counted from unphased genotypes: with c copies of rs429358-C and t
    /// copies of rs7412-T, the dose is `min(c, 2 − t)`: every C is taken as ε4 (C on the
    /// rs7412-C background) unless rs7412-T copies force it onto ε1 (C/T), which is very
    /// rare. Without rs7412 in the file the dose is c. A missing call leaves the sample
    /// ungrouped.
    pub fn apoe4(prefix: &Path) -> Result<(Self, Vec<Option<u8>>), MmdError> {
        let set = Fileset::open(prefix)?;
        let variants = set.read_variants()?;
        let find = |(id, chrom, pos): (&str, &str, i64)| {
            variants.iter().position(|v| {
                v.id == id || (v.chrom.trim_start_matches("chr") == chrom && v.pos == pos)
            })
        };
        let Some(i429) = find(RS429358) else {
            return Err(MmdError::Input(format!(
                "{}.bim: no rs429358 (by ID or at GRCh37 19:45411941): cannot derive APOE ε4 status",
                prefix.display()
            )));
        };
        let copies = |index: usize, allele: &str| -> Result<Vec<Option<u8>>, MmdError> {
            let v: &BimRecord = &variants[index];
            let alt_is = if v.alt.eq_ignore_ascii_case(allele) {
                true
            } else if v.reference.eq_ignore_ascii_case(allele) {
                false
            } else {
                return Err(MmdError::Input(format!(
                    "{}.bim: {} has alleles {}/{}, expected one of them to be {allele}",
                    prefix.display(),
                    v.id,
                    v.alt,
                    v.reference
                )));
            };
            let mut counts = vec![0i8; set.samples.len()];
            set.bed.read_alt_counts(index, &mut counts)?;
            Ok(counts
                .into_iter()
                .map(|g| (g != MISSING_CALL).then(|| if alt_is { g as u8 } else { 2 - g as u8 }))
                .collect())
        };
        let c = copies(i429, "C")?;
        let t = match find(RS7412) {
            Some(i) => copies(i, "T")?,
            None => {
                tracing::warn!(
                    "{}.bim has no rs7412: ε4 dose from rs429358 alone",
                    prefix.display()
                );
                vec![Some(0); set.samples.len()]
            }
        };
        let dose: Vec<Option<u8>> = c
            .iter()
            .zip(&t)
            .map(|(c, t)| Some((*c)?.min(2 - (*t)?)))
            .collect();
        let labels = dose
            .iter()
            .map(|d| d.map(|d| if d > 0 { CARRIER } else { NON_CARRIER }.to_owned()))
            .collect();
        let samples = set
            .samples
            .iter()
            .map(|s| SampleId::with_fid(&s.fid, &s.iid))
            .collect();
        Ok((
            Self {
                source: format!("{}.bed APOE ε4 status", prefix.display()),
                samples,
                labels,
            },
            dose,
        ))
    }

    /// The distinct labels, sorted.
    pub fn levels(&self) -> Vec<String> {
        self.labels
            .iter()
            .flatten()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// The pairs to test: those asked for (each level must exist), or every pair of levels.
    pub fn pairs(&self, requested: &[(String, String)]) -> Result<Vec<(String, String)>, MmdError> {
        let levels = self.levels();
        if requested.is_empty() {
            if levels.len() < 2 {
                return Err(MmdError::Input(format!(
                    "{}: need at least two groups, found {levels:?}",
                    self.source
                )));
            }
            return Ok((0..levels.len())
                .flat_map(|i| (i + 1..levels.len()).map(move |j| (i, j)))
                .map(|(i, j)| (levels[i].clone(), levels[j].clone()))
                .collect());
        }
        for (a, b) in requested {
            for g in [a, b] {
                if !levels.contains(g) {
                    return Err(MmdError::Input(format!(
                        "{}: no group {g:?}; the groups are {levels:?}",
                        self.source
                    )));
                }
            }
            if a == b {
                return Err(MmdError::Input(format!(
                    "pair {a}:{b} compares a group with itself"
                )));
            }
        }
        Ok(requested.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use biomarker_tables::plink::{write_bim, write_fam, BedWriter, FamRecord};

    #[test]
    fn apoe4_dose_from_both_snps_in_either_allele_orientation() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("g");
        let fam: Vec<FamRecord> = (0..5)
            .map(|i| FamRecord {
                fid: "f".into(),
                iid: format!("s{i}"),
                father: "0".into(),
                mother: "0".into(),
                sex: 0,
                phenotype: None,
            })
            .collect();
        write_fam(&dir.path().join("g.fam"), &fam).unwrap();
        // rs429358 with ALT = T (so C copies = 2 − ALT count); rs7412 with ALT = T.
        write_bim(
            &dir.path().join("g.bim"),
            &[
                BimRecord {
                    chrom: "19".into(),
                    id: "rs429358".into(),
                    cm: 0.0,
                    pos: 45_411_941,
                    alt: "T".into(),
                    reference: "C".into(),
                },
                BimRecord {
                    chrom: "19".into(),
                    id: "rs7412".into(),
                    cm: 0.0,
                    pos: 45_412_079,
                    alt: "T".into(),
                    reference: "C".into(),
                },
            ],
        )
        .unwrap();
        let mut bed = BedWriter::create(&dir.path().join("g.bed"), 5).unwrap();
        // C copies: 0, 1, 2, 1, missing.   T copies at rs7412: 0, 0, 0, 1, 0.
        bed.write_variant(&[2, 1, 0, 1, -1]).unwrap();
        bed.write_variant(&[0, 0, 0, 1, 0]).unwrap();
        bed.finish().unwrap();
        let (g, dose) = Grouping::apoe4(&prefix).unwrap();
        assert_eq!(dose, vec![Some(0), Some(1), Some(2), Some(1), None]);
        assert_eq!(g.labels[0].as_deref(), Some(NON_CARRIER));
        assert_eq!(g.labels[2].as_deref(), Some(CARRIER));
        assert_eq!(
            g.pairs(&[]).unwrap(),
            vec![(CARRIER.to_owned(), NON_CARRIER.to_owned())]
        );
    }

    #[test]
    fn pairs_all_or_requested_with_clear_errors() {
        let g = Grouping {
            source: "p.tsv column DX".into(),
            samples: (0..4).map(|i| SampleId::new(format!("s{i}"))).collect(),
            labels: vec![
                Some("CN".into()),
                Some("AD".into()),
                Some("MCI".into()),
                None,
            ],
        };
        assert_eq!(g.pairs(&[]).unwrap().len(), 3);
        let err = g
            .pairs(&[("AD".into(), "XX".into())])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "p.tsv column DX: no group \"XX\"; the groups are [\"AD\", \"CN\", \"MCI\"]"
        );
    }
}
