//! Genome coordinates for plots: chromosome order (1–22 numerically, then X, Y, XY, MT, then
//! any other code alphabetically; a `chr` prefix is ignored), a cumulative layout that places
//! every chromosome after the previous one with a small gap, and the association points of
//! one phenotype taken from a [`GwasTable`].

use std::cmp::Ordering;
use std::collections::BTreeMap;

use biomarker_tables::{GwasRecord, GwasTable};

/// −log10 p given to a p-value of exactly 0 that came without a LOG10P: just past the
/// smallest positive double (≈ 4.9e−324), so such points top the plot rather than vanish.
pub const LOG10P_OF_ZERO: f64 = 324.0;

/// Sort key of a chromosome code: numbered chromosomes first, then sex and mitochondrial
/// chromosomes in PLINK's order, then anything else alphabetically.
pub fn chrom_key(code: &str) -> (u32, String) {
    let c = code
        .strip_prefix("chr")
        .or_else(|| code.strip_prefix("CHR"))
        .unwrap_or(code);
    if let Ok(n) = c.parse::<u32>() {
        return (n, String::new());
    }
    let rank = match c.to_ascii_uppercase().as_str() {
        "X" => 1_000,
        "Y" => 1_001,
        "XY" => 1_002,
        "MT" | "M" => 1_003,
        _ => 2_000,
    };
    (rank, c.to_owned())
}

/// Compares chromosome codes in plotting order.
pub fn chrom_cmp(a: &str, b: &str) -> Ordering {
    chrom_key(a).cmp(&chrom_key(b))
}

/// The label a chromosome gets on an axis (the code without a `chr` prefix).
pub fn chrom_label(code: &str) -> &str {
    code.strip_prefix("chr")
        .or_else(|| code.strip_prefix("CHR"))
        .unwrap_or(code)
}

/// One chromosome's span on the cumulative axis.
#[derive(Debug, Clone, PartialEq)]
pub struct ChromSpan {
    /// Chromosome code as in the data.
    pub name: String,
    /// Cumulative coordinate of position 0.
    pub offset: f64,
    /// Largest position seen.
    pub max_pos: i64,
    /// Smallest position seen.
    pub min_pos: i64,
}

impl ChromSpan {
    /// Cumulative coordinate of the middle of the data on this chromosome (label position).
    pub fn mid(&self) -> f64 {
        self.offset + (self.min_pos + self.max_pos) as f64 / 2.0
    }
    /// Cumulative coordinate of the last position.
    pub fn end(&self) -> f64 {
        self.offset + self.max_pos as f64
    }
}

/// Cumulative positions of every chromosome that has data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GenomeLayout {
    /// Chromosomes in plotting order.
    pub chroms: Vec<ChromSpan>,
}

impl GenomeLayout {
    /// The layout of the given (chromosome, position) pairs. Each chromosome occupies
    /// 0..=max position, followed by a gap of 1% of the total length so neighbouring
    /// chromosomes never touch.
    pub fn from_positions<'a>(positions: impl IntoIterator<Item = (&'a str, i64)>) -> Self {
        let mut extent: BTreeMap<(u32, String), (String, i64, i64)> = BTreeMap::new();
        for (chrom, pos) in positions {
            let e = extent
                .entry(chrom_key(chrom))
                .or_insert_with(|| (chrom.to_owned(), pos, pos));
            e.1 = e.1.min(pos);
            e.2 = e.2.max(pos);
        }
        let total: i64 = extent.values().map(|e| e.2.max(1)).sum();
        let gap = total as f64 * 0.01;
        let mut offset = 0.0;
        let mut chroms = Vec::with_capacity(extent.len());
        for (_, (name, min_pos, max_pos)) in extent {
            chroms.push(ChromSpan {
                name,
                offset,
                max_pos,
                min_pos,
            });
            offset += max_pos.max(1) as f64 + gap;
        }
        Self { chroms }
    }

    /// Index of a chromosome code.
    pub fn index(&self, chrom: &str) -> Option<usize> {
        self.chroms.iter().position(|c| c.name == chrom)
    }

    /// Cumulative coordinate of a position on chromosome `index`.
    pub fn x(&self, index: usize, pos: i64) -> f64 {
        self.chroms[index].offset + pos as f64
    }

    /// The end of the last chromosome (the x-axis extent).
    pub fn total(&self) -> f64 {
        self.chroms.last().map_or(1.0, |c| c.end().max(1.0))
    }
}

/// −log10 p of a record: LOG10P where given (exact where P underflows), else from P;
/// None for untested rows (missing P, an ERRCODE) and for invalid p-values.
pub fn record_log10p(r: &GwasRecord) -> Option<f64> {
    if r.errcode.is_some() {
        return None;
    }
    if let Some(l) = r.log10p.filter(|l| l.is_finite() && *l >= 0.0) {
        return Some(l);
    }
    match r.p {
        Some(p) if p > 0.0 && p <= 1.0 => Some(-p.log10()),
        Some(0.0) => Some(LOG10P_OF_ZERO),
        _ => None,
    }
}

/// One tested variant of one phenotype, ready to plot.
#[derive(Debug, Clone, PartialEq)]
pub struct AssocPoint {
    /// Row of the record in its table.
    pub row: usize,
    /// Chromosome code.
    pub chrom: String,
    /// Base-pair position.
    pub pos: i64,
    /// −log10 p.
    pub log10p: f64,
}

/// The phenotypes of a table in order of first appearance.
pub fn phenotypes(table: &GwasTable) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    table
        .records
        .iter()
        .filter(|r| seen.insert(r.pheno.as_str()))
        .map(|r| r.pheno.clone())
        .collect()
}

/// The additive-test points of one phenotype (covariate rows and untested variants are
/// left out).
pub fn points_of(table: &GwasTable, pheno: &str) -> Vec<AssocPoint> {
    table
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.pheno == pheno && r.test == "ADD")
        .filter_map(|(row, r)| {
            record_log10p(r).map(|log10p| AssocPoint {
                row,
                chrom: r.chrom.clone(),
                pos: r.pos,
                log10p,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromosomes_sort_numerically_then_sex_then_others() {
        let mut codes = vec![
            "X", "10", "chr2", "MT", "1", "Y", "22", "XY", "scaffold", "9",
        ];
        codes.sort_by(|a, b| chrom_cmp(a, b));
        assert_eq!(
            codes,
            ["1", "chr2", "9", "10", "22", "X", "Y", "XY", "MT", "scaffold"]
        );
        assert_eq!(chrom_label("chr2"), "2");
    }

    #[test]
    fn layout_places_chromosomes_in_order_with_gaps() {
        let layout = GenomeLayout::from_positions([("2", 500), ("1", 100), ("1", 1000), ("2", 10)]);
        assert_eq!(layout.chroms.len(), 2);
        assert_eq!(layout.chroms[0].name, "1");
        assert_eq!(layout.chroms[0].offset, 0.0);
        // total length 1000 + 500, gap 1% of it
        assert_eq!(layout.chroms[1].offset, 1000.0 + 15.0);
        assert_eq!(layout.x(1, 10), 1025.0);
        assert_eq!(layout.chroms[1].mid(), 1015.0 + 255.0);
        assert_eq!(layout.total(), 1515.0);
        assert_eq!(layout.index("2"), Some(1));
    }

    #[test]
    fn log10p_prefers_the_exact_column_and_skips_untested_rows() {
        let mut r = GwasRecord {
            p: Some(1e-3),
            ..GwasRecord::default()
        };
        assert!((record_log10p(&r).unwrap() - 3.0).abs() < 1e-12);
        r.p = Some(0.0);
        r.log10p = Some(559.7);
        assert_eq!(record_log10p(&r), Some(559.7));
        r.log10p = None;
        assert_eq!(record_log10p(&r), Some(LOG10P_OF_ZERO));
        r.p = None;
        assert_eq!(record_log10p(&r), None);
        r.p = Some(0.5);
        r.errcode = Some("CONST_ALLELE".into());
        assert_eq!(record_log10p(&r), None);
    }
}
