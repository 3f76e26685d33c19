//! Loading a scan's inputs: the PLINK file set, the samples kept (`--keep`/`--remove`), the
//! phenotypes (typed as quantitative or case/control the way PLINK reads them), the
//! covariates (one-hot encoded) and the variants selected by chromosome, region and chunk.
//! Every problem is reported with the file, and the line and value where there is one.
//!
//! The selected variants are not listed: a [`Variants`] holds the filter and the .bim rows
//! of the first and last variant of the chunk, found by streaming the .bim, so memory does
//! not grow with the number of variants. The scan streams the .bim again in step with the
//! .bed and tests the rows in that span that pass the filter.

use std::collections::HashSet;
use std::path::Path;

use biomarker_tables::plink::{BimRecord, Fileset};
use biomarker_tables::{Alignment, PhenoTable, PhenoValues, Side};

use super::config::{Region, ScanConfig};
use crate::error::{AssocError, Result};

/// A phenotype aligned to the kept samples.
#[derive(Debug, Clone)]
pub struct Phenotype {
    /// Column name.
    pub name: String,
    /// Case/control (values 0 = control, 1 = case) rather than quantitative.
    pub binary: bool,
    /// One value per kept sample; None where missing.
    pub values: Vec<Option<f64>>,
}

/// Where a chunk's variants lie among those the unsplit scan would test: positions
/// `start..end` of a selection of `total` variants (chromosome and region filters applied,
/// chunk not). Chunks of one scan tile `0..total` exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// Variants selected by chromosome and region.
    pub total: usize,
    /// First position of the chunk in that selection.
    pub start: usize,
    /// One past the last position.
    pub end: usize,
}

/// The chromosome and region filters (`--chr`, `--region`).
#[derive(Debug, Clone, Default)]
pub struct VariantFilter {
    /// Chromosome codes kept (empty: all).
    pub chr: Vec<String>,
    /// Region kept.
    pub region: Option<Region>,
}

impl VariantFilter {
    /// Whether the filter keeps every variant.
    pub fn keeps_all(&self) -> bool {
        self.chr.is_empty() && self.region.is_none()
    }

    /// Whether the filter keeps `v`.
    pub fn keeps(&self, v: &BimRecord) -> bool {
        (self.chr.is_empty() || self.chr.iter().any(|c| c == &v.chrom))
            && self
                .region
                .as_ref()
                .is_none_or(|r| r.chrom == v.chrom && v.pos >= r.from && v.pos <= r.to)
    }
}

/// The variants a scan tests, without a per-variant list: the .bim rows in
/// `first_row..=last_row` that `filter` keeps. The span starts and ends on kept rows, so the
/// kept rows in it are exactly the chunk's `count` variants.
#[derive(Debug, Clone)]
pub struct Variants {
    /// The chromosome and region filters.
    pub filter: VariantFilter,
    /// .bim row (0-based) of the first variant tested.
    pub first_row: usize,
    /// .bim row (0-based) of the last variant tested.
    pub last_row: usize,
    /// Number of variants tested.
    pub count: usize,
}

/// Streams the .bim of `fileset` and calls `visit(row, selection_position)` for every
/// variant `filter` keeps; `visit` returns false to stop early. Returns how many were kept.
fn visit_kept(
    fileset: &Fileset,
    filter: &VariantFilter,
    mut visit: impl FnMut(usize, usize) -> bool,
) -> Result<usize> {
    let mut bim = fileset.bim()?;
    let mut rec = BimRecord::default();
    let (mut row, mut kept) = (0, 0);
    while bim.read_into(&mut rec)?.is_some() {
        if filter.keeps(&rec) {
            if !visit(row, kept) {
                return Ok(kept + 1);
            }
            kept += 1;
        }
        row += 1;
    }
    Ok(kept)
}

/// Everything loaded before the first genotype is read.
pub struct Inputs {
    /// The genotype file set.
    pub fileset: Fileset,
    /// .bed positions of the kept samples, ascending.
    pub kept: Vec<u32>,
    /// Phenotypes, aligned to `kept`.
    pub phenos: Vec<Phenotype>,
    /// Covariate design column names (one-hot levels as `name=level`).
    pub covar_names: Vec<String>,
    /// Covariate values, one vector per design column, aligned to `kept`.
    pub covars: Vec<Vec<Option<f64>>>,
    /// The variants selected by chromosome, region and chunk.
    pub variants: Variants,
    /// Where `variants` lies in the selection by chromosome and region alone.
    pub selection: Selection,
    /// The phenotype file (for error messages).
    pub pheno_path: std::path::PathBuf,
}

/// Reads a `--keep`/`--remove` list: one sample per line as `FID IID` or `IID`; lines
/// starting with `#` are headers.
fn read_id_list(path: &Path) -> Result<HashSet<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| AssocError::Io {
        path: path.into(),
        source: e,
    })?;
    let mut ids = HashSet::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.len() {
            0 => {}
            _ if f[0].starts_with('#') => {}
            1 => {
                ids.insert(f[0].to_owned());
            }
            _ => {
                ids.insert(f[1].to_owned());
            }
        }
    }
    Ok(ids)
}

/// The 1-based line of the data row holding `iid` in a text table (for error messages).
fn line_of(path: &Path, iid: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .position(|l| l.split_whitespace().take(2).any(|f| f == iid))
        .map(|i| i + 1)
}

/// Types a numeric phenotype the way PLINK reads it: values in {1, 2} (0 = missing when a
/// 2 is present) are case/control with 2 = case; values in {0, 1} are case/control with
/// 1 = case; anything else is quantitative. Returns 0/1-coded values for case/control.
pub(crate) fn type_phenotype(values: Vec<Option<f64>>) -> (bool, Vec<Option<f64>>) {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let in_set = |set: &[f64]| present.iter().all(|v| set.contains(v));
    if !present.is_empty() && in_set(&[0.0, 1.0, 2.0]) && present.contains(&2.0) {
        let v = values
            .into_iter()
            .map(|v| v.and_then(|x| if x == 0.0 { None } else { Some(x - 1.0) }))
            .collect();
        (true, v)
    } else if !present.is_empty() && in_set(&[0.0, 1.0]) {
        (true, values)
    } else {
        (false, values)
    }
}

impl Inputs {
    /// Loads and checks every input named by `cfg`.
    pub fn load(cfg: &ScanConfig) -> Result<Self> {
        let fileset = Fileset::open(&cfg.bfile)?;
        let [_, bim_path, fam_path] = biomarker_tables::plink::fileset_paths(&cfg.bfile);
        let n_bed = fileset.samples.len();
        if n_bed == 0 || fileset.n_variants() == 0 {
            return Err(AssocError::input(
                &fam_path,
                "the file set has no samples or no variants",
            ));
        }
        // Samples kept.
        let keep = cfg.keep.as_deref().map(read_id_list).transpose()?;
        let remove = cfg.remove.as_deref().map(read_id_list).transpose()?;
        let kept: Vec<u32> = (0..n_bed)
            .filter(|&i| {
                let iid = &fileset.samples[i].iid;
                keep.as_ref().is_none_or(|k| k.contains(iid))
                    && remove.as_ref().is_none_or(|r| !r.contains(iid))
            })
            .map(|i| i as u32)
            .collect();
        if kept.is_empty() {
            let which = cfg
                .keep
                .as_ref()
                .or(cfg.remove.as_ref())
                .unwrap_or(&fam_path);
            return Err(AssocError::input(
                which,
                "no sample of the .fam is left after --keep/--remove",
            ));
        }
        let kept_iids: Vec<&str> = kept
            .iter()
            .map(|&i| fileset.samples[i as usize].iid.as_str())
            .collect();

        // Phenotypes.
        let table = PhenoTable::read(&cfg.pheno)?;
        let table = if cfg.pheno_names.is_empty() {
            table
        } else {
            table.select(&cfg.pheno_names)?
        };
        if table.columns.is_empty() {
            return Err(AssocError::input(&cfg.pheno, "no phenotype column"));
        }
        let table_iids = table.iids();
        let align = Alignment::join(
            Side {
                name: &fam_path,
                iids: &kept_iids,
            },
            Side {
                name: &cfg.pheno,
                iids: &table_iids,
            },
        )?;
        if align.is_empty() {
            return Err(AssocError::input(
                &cfg.pheno,
                format!(
                    "no IID matches a sample of {} (first IIDs here: {}; in the .fam: {})",
                    fam_path.display(),
                    table_iids
                        .iter()
                        .take(3)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", "),
                    kept_iids
                        .iter()
                        .take(3)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let mut phenos = Vec::with_capacity(table.columns.len());
        for col in &table.columns {
            let raw = match &col.values {
                PhenoValues::Numeric(v) => v,
                PhenoValues::Categorical(v) => {
                    let (row, value) = v
                        .iter()
                        .enumerate()
                        .find_map(|(i, s)| {
                            s.as_ref()
                                .filter(|s| s.parse::<f64>().is_err())
                                .map(|s| (i, s.clone()))
                        })
                        .unwrap_or((0, String::new()));
                    let iid = &table.samples[row].iid;
                    let line =
                        line_of(&cfg.pheno, iid).map_or(String::new(), |l| format!("line {l}, "));
                    return Err(AssocError::input(
                        &cfg.pheno,
                        format!("{line}column {:?}, sample {iid}: phenotype value {value:?} is not a number", col.name),
                    ));
                }
            };
            let mut values = vec![None; kept.len()];
            for (&l, &r) in align.left.iter().zip(&align.right) {
                values[l] = raw[r];
            }
            let (binary, values) = type_phenotype(values);
            if values.iter().all(Option::is_none) {
                return Err(AssocError::input(
                    &cfg.pheno,
                    format!(
                        "phenotype {:?} has no value for any genotyped sample",
                        col.name
                    ),
                ));
            }
            phenos.push(Phenotype {
                name: col.name.clone(),
                binary,
                values,
            });
        }

        // Covariates.
        let (covar_names, covars) = match &cfg.covar {
            None => (Vec::new(), Vec::new()),
            Some(path) => {
                let t = PhenoTable::read(path)?;
                let t = if cfg.covar_names.is_empty() {
                    t
                } else {
                    t.select(&cfg.covar_names)?
                };
                let t_iids = t.iids();
                let a = Alignment::join(
                    Side {
                        name: &fam_path,
                        iids: &kept_iids,
                    },
                    Side {
                        name: path,
                        iids: &t_iids,
                    },
                )?;
                if a.is_empty() {
                    return Err(AssocError::input(
                        path,
                        format!("no IID matches a sample of {}", fam_path.display()),
                    ));
                }
                let design = t.design();
                let names = design.iter().map(|d| d.name.clone()).collect();
                let cols = design
                    .into_iter()
                    .map(|d| {
                        let mut v = vec![None; kept.len()];
                        for (&l, &r) in a.left.iter().zip(&a.right) {
                            v[l] = d.values[r];
                        }
                        v
                    })
                    .collect();
                (names, cols)
            }
        };

        // Variants: chromosome, region, then chunk of what is left.
        let (selection, variants) = select_variants(cfg, &fileset, &bim_path)?;
        Ok(Self {
            fileset,
            kept,
            phenos,
            covar_names,
            covars,
            variants,
            selection,
            pheno_path: cfg.pheno.clone(),
        })
    }
}

/// Finds the variants of `cfg`'s chromosome, region and chunk selection by streaming the
/// .bim (twice at most: once to count what the filter keeps, once to find the rows where an
/// equal-split chunk starts and ends).
fn select_variants(
    cfg: &ScanConfig,
    fileset: &Fileset,
    bim_path: &Path,
) -> Result<(Selection, Variants)> {
    let filter = VariantFilter {
        chr: cfg.chr.clone(),
        region: cfg.region.clone(),
    };
    let n = fileset.n_variants();
    if let Some((first, last)) = cfg.variant_range {
        if last > n {
            return Err(AssocError::input(
                bim_path,
                format!(
                    "the chunk covers .bim lines {}..={} but the file has {n} variants \
                     (was the chunk plan made for another file set?)",
                    first + 1,
                    last,
                ),
            ));
        }
    }
    let none = || AssocError::input(bim_path, "no variant is selected by --chr/--region/--chunk");
    // Positions start..end of the selection, and the .bim rows of the first and last.
    let (total, start, end, rows) = if filter.keeps_all() {
        let (start, end) = match (cfg.variant_range, cfg.chunk) {
            (Some((first, last)), _) => (first, last),
            (None, Some((k, n_chunks))) => ((k - 1) * n / n_chunks, k * n / n_chunks),
            (None, None) => (0, n),
        };
        (n, start, end, (end > start).then(|| (start, end - 1)))
    } else if let Some((first, last)) = cfg.variant_range {
        // The plan's rows first..last: the selection positions of the kept rows there.
        let (mut start, mut end) = (0, 0);
        let mut rows: Option<(usize, usize)> = None;
        let total = visit_kept(fileset, &filter, |row, _| {
            if row < first {
                start += 1;
            }
            if row < last {
                end += 1;
            }
            if (first..last).contains(&row) {
                rows = Some((rows.map_or(row, |r| r.0), row));
            }
            true
        })?;
        (total, start, end, rows)
    } else {
        let total = visit_kept(fileset, &filter, |_, _| true)?;
        let (start, end) = match cfg.chunk {
            Some((k, n_chunks)) => ((k - 1) * total / n_chunks, k * total / n_chunks),
            None => (0, total),
        };
        let mut rows: Option<(usize, usize)> = None;
        if end > start {
            visit_kept(fileset, &filter, |row, at| {
                if at == start {
                    rows = Some((row, row));
                }
                if at == end - 1 {
                    if let Some(r) = rows.as_mut() {
                        r.1 = row;
                    }
                }
                at + 1 < end
            })?;
        }
        (total, start, end, rows)
    };
    let Some((first_row, last_row)) = rows else {
        return Err(none());
    };
    Ok((
        Selection { total, start, end },
        Variants {
            filter,
            first_row,
            last_row,
            count: end - start,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use biomarker_tables::plink::FamRecord;
    use biomarker_tables::plink::{fileset_paths, read_bim, write_bim, write_fam, BedWriter};

    /// A file set whose .bim has chromosomes in runs (1, 2, 3, then 2 again) and positions
    /// out of order within chromosome 2, so that region selections are not contiguous.
    fn fileset(dir: &Path) -> std::path::PathBuf {
        let prefix = dir.join("set");
        let [bed, bim, fam] = fileset_paths(&prefix);
        let chroms = [("1", 40), ("2", 35), ("3", 20), ("2", 25)];
        let mut rows = Vec::new();
        for (c, n) in chroms {
            for i in 0..n {
                rows.push(BimRecord {
                    chrom: c.into(),
                    id: format!("v{}", rows.len()),
                    cm: 0.0,
                    pos: 1000 + ((i * 37) % 50) as i64 * 100,
                    alt: "A".into(),
                    reference: "G".into(),
                });
            }
        }
        write_bim(&bim, &rows).unwrap();
        let samples: Vec<FamRecord> = (0..5)
            .map(|i| FamRecord {
                fid: format!("f{i}"),
                iid: format!("s{i}"),
                father: "0".into(),
                mother: "0".into(),
                sex: 1,
                phenotype: None,
            })
            .collect();
        write_fam(&fam, &samples).unwrap();
        let mut w = BedWriter::create(&bed, 5).unwrap();
        for _ in &rows {
            w.write_variant(&[0, 1, 2, 0, 1]).unwrap();
        }
        w.finish().unwrap();
        prefix
    }

    /// The selection as a list of .bim rows, computed the direct way (a per-variant list):
    /// what the streamed selection must reproduce.
    fn listed(cfg: &ScanConfig, bim: &[BimRecord]) -> Option<(Selection, Vec<usize>)> {
        let all: Vec<usize> = (0..bim.len())
            .filter(|&j| {
                let v = &bim[j];
                (cfg.chr.is_empty() || cfg.chr.contains(&v.chrom))
                    && cfg
                        .region
                        .as_ref()
                        .is_none_or(|r| r.chrom == v.chrom && (r.from..=r.to).contains(&v.pos))
            })
            .collect();
        let total = all.len();
        let (start, end) = match (cfg.variant_range, cfg.chunk) {
            (Some((a, b)), _) => (
                all.iter().filter(|&&j| j < a).count(),
                all.iter().filter(|&&j| j < b).count(),
            ),
            (None, Some((k, n))) => ((k - 1) * total / n, k * total / n),
            (None, None) => (0, total),
        };
        let rows = all[start..end].to_vec();
        (!rows.is_empty()).then_some((Selection { total, start, end }, rows))
    }

    #[test]
    fn streamed_selections_equal_the_listed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = fileset(dir.path());
        let set = Fileset::open(&prefix).unwrap();
        let bim = read_bim(&fileset_paths(&prefix)[1]).unwrap();
        let chrs: [&[&str]; 4] = [&[], &["2"], &["3", "1"], &["9"]];
        let regions = [
            None,
            Some("2:2000-3500"),
            Some("1:0-100000"),
            Some("3:999-1000"),
        ];
        let splits = [
            (None, None),
            (Some((1, 1)), None),
            (Some((1, 3)), None),
            (Some((3, 3)), None),
            (Some((2, 7)), None),
            (Some((1, 200)), None),
            (None, Some((0, 40))),
            (None, Some((30, 95))),
            (None, Some((95, 120))),
            (None, Some((110, 111))),
        ];
        let mut checked = 0;
        for chr in chrs {
            for region in regions {
                for (chunk, range) in splits {
                    let mut cfg = ScanConfig::new(prefix.clone(), "p".into(), "o".into());
                    cfg.chr = chr.iter().map(|c| c.to_string()).collect();
                    cfg.region = region.map(|r| r.parse().unwrap());
                    cfg.chunk = chunk;
                    cfg.variant_range = range;
                    let what =
                        format!("chr {chr:?} region {region:?} chunk {chunk:?} range {range:?}");
                    let got = select_variants(&cfg, &set, &fileset_paths(&prefix)[1]);
                    match listed(&cfg, &bim) {
                        None => {
                            let err = got.expect_err(&what).to_string();
                            assert!(err.contains("no variant is selected"), "{what}: {err}");
                        }
                        Some((selection, rows)) => {
                            let (sel, vars) = got.expect(&what);
                            assert_eq!(sel, selection, "{what}");
                            assert_eq!(
                                (vars.first_row, vars.last_row, vars.count),
                                (rows[0], rows[rows.len() - 1], rows.len()),
                                "{what}"
                            );
                            // The span holds exactly the listed rows among those kept.
                            let kept = (vars.first_row..=vars.last_row)
                                .filter(|&j| vars.filter.keeps(&bim[j]))
                                .collect::<Vec<_>>();
                            assert_eq!(kept, rows, "{what}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked >= 60, "only {checked} non-empty selections");
        // A plan range past the end of the .bim.
        let mut cfg = ScanConfig::new(prefix.clone(), "p".into(), "o".into());
        cfg.variant_range = Some((100, 121));
        let err = select_variants(&cfg, &set, &fileset_paths(&prefix)[1])
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("covers .bim lines 101..=121 but the file has 120 variants"),
            "{err}"
        );
    }
}
