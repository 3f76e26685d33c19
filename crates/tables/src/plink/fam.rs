//! The .fam file: one sample per line, six whitespace-separated fields
//! (FID IID father mother sex phenotype).

use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::atomic::write_atomic;
use crate::error::{Place, Result, TableError};
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
    let file = std::fs::File::open(path).map_err(|e| TableError::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| TableError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let place = Place::Line(i + 1);
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 6 {
            return Err(TableError::Record {
                path: path.into(),
                place,
                message: format!(
                    "expected 6 fields (FID IID father mother sex phenotype), found {}",
                    f.len()
                ),
            });
        }
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
        out.push(FamRecord {
            fid: f[0].into(),
            iid: f[1].into(),
            father: f[2].into(),
            mother: f[3].into(),
            sex,
            phenotype,
        });
    }
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
