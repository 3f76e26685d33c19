//! The .bim file: one variant per line, six whitespace-separated fields
//! (chromosome, ID, centimorgans, position, allele 1 = ALT, allele 2 = REF).

use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::atomic::write_atomic;
use crate::error::{Place, Result, TableError};

/// One .bim line.
#[derive(Debug, Clone, PartialEq)]
pub struct BimRecord {
    /// Chromosome code.
    pub chrom: String,
    /// Variant ID.
    pub id: String,
    /// Genetic position in centimorgans.
    pub cm: f64,
    /// Base-pair position.
    pub pos: i64,
    /// Column 5: the allele the .bed codes count (PLINK 2 calls it ALT).
    pub alt: String,
    /// Column 6: the other allele (REF).
    pub reference: String,
}

/// Reads a .bim file.
pub fn read_bim(path: &Path) -> Result<Vec<BimRecord>> {
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
                    "expected 6 fields (chrom ID cM position ALT REF), found {}",
                    f.len()
                ),
            });
        }
        let cell = |column: &str, value: &str, message: &str| TableError::Cell {
            path: path.into(),
            place,
            column: column.into(),
            value: value.into(),
            message: message.into(),
        };
        let cm = f[2]
            .parse::<f64>()
            .map_err(|_| cell("cM", f[2], "expected a number"))?;
        let pos = f[3]
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0)
            .ok_or_else(|| cell("position", f[3], "expected a non-negative integer"))?;
        out.push(BimRecord {
            chrom: f[0].into(),
            id: f[1].into(),
            cm,
            pos,
            alt: f[4].into(),
            reference: f[5].into(),
        });
    }
    Ok(out)
}

/// Writes a .bim file atomically (tab separated, as PLINK writes it).
pub fn write_bim(path: &Path, records: &[BimRecord]) -> Result<()> {
    write_atomic(path, |w| {
        for r in records {
            writeln!(
                w,
                "{}\t{}\t{}\t{}\t{}\t{}",
                r.chrom, r.id, r.cm, r.pos, r.alt, r.reference
            )?;
        }
        Ok(())
    })
}
