//! The .fam file: one sample per line, six whitespace-separated fields
//! (FID IID father mother sex phenotype).

use std::path::Path;

use crate::atomic::write_atomic;
use crate::error::{Result, TableError};
use crate::sample::ensure_unique;

/// One .fam line.
#[derive(Debug, Clone, PartialEq)]
pub struct FamRecord {
    /// Family ID.
    pub fid: String,
    /// Individual ID.
    pub iid: String,
    /// Father's IID, `0` if unknown.
    pub father: String,
    /// Mother's IID, `0` if unknown.
    pub mother: String,
    /// 1 = male, 2 = female, 0 = unknown.
    pub sex: u8,
    /// Phenotype; missing (`-9`, `0` in case/control files, `NA`) as None.
    pub phenotype: Option<f64>,
}

/// Reads a .fam file; IIDs must be unique.
pub fn read_fam(path: &Path) -> Result<Vec<FamRecord>> {
    let out = super::read_records(path, "FID IID father mother sex phenotype", |f, place| {
        let sex = match f[4] {
            "1" => 1,
            "2" => 2,
            "0" | "-9" | "NA" => 0,
            other => {
                return Err(TableError::Cell {
                    path: path.into(),
                    place,
                    column: "sex".into(),
                    value: other.into(),
                    message: "expected 1, 2 or 0".into(),
                })
            }
        };
        let phenotype = match f[5] {
            "-9" | "NA" => None,
            s => Some(s.parse::<f64>().map_err(|_| TableError::Cell {
                path: path.into(),
                place,
                column: "phenotype".into(),
                value: s.into(),
                message: "expected a number".into(),
            })?),
        };
        Ok(FamRecord {
            fid: f[0].into(),
            iid: f[1].into(),
            father: f[2].into(),
            mother: f[3].into(),
            sex,
            phenotype,
        })
    })?;
    ensure_unique(out.iter().map(|r| r.iid.as_str()), path)?;
    Ok(out)
}

/// Writes a .fam file atomically.
pub fn write_fam(path: &Path, records: &[FamRecord]) -> Result<()> {
    write_atomic(path, |w| {
        for r in records {
            let pheno = r.phenotype.map_or("-9".to_owned(), |p| format!("{p}"));
            writeln!(
                w,
                "{} {} {} {} {} {pheno}",
                r.fid, r.iid, r.father, r.mother, r.sex
            )?;
        }
        Ok(())
    })
}
