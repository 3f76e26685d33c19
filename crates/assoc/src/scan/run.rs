//! The scan driver: loads inputs, builds the phenotype groups, then streams the selected
//! variants in blocks (the block's .bim records read in step with one contiguous .bed read),
//! tests the variants of a block in parallel and writes their results in .bim order before
//! reading the next block. Nothing is held per variant beyond the block in flight.

use std::path::PathBuf;

use biomarker_tables::plink::{BimReader, BimRecord};
use biomarker_tables::FileDigest;

use rayon::prelude::*;

use super::config::ScanConfig;
use super::input::{Inputs, Selection, VariantFilter};
use super::model::build_groups;
use super::output::{Outputs, PhenoInfo, RenderedTile};
use super::summary::{PhenoSummary, TopHit};
use super::tile::{test_tile, Tested, TileScratch};
use crate::error::{AssocError, Result};

/// What a scan did.
#[derive(Debug, Clone)]
pub struct ScanReport {
    /// Samples in the .fam after `--keep`/`--remove`.
    pub samples: usize,
    /// Variants selected by chromosome, region and chunk.
    pub variants_selected: usize,
    /// Variants left after `--maf`/`--geno` (each has a row per phenotype).
    pub variants_tested: usize,
    /// Phenotype groups, each one pass over the genotypes (a shared missingness pattern, or
    /// one with a few samples fewer, and model).
    pub groups: usize,
    /// Per-phenotype summaries, in phenotype order.
    pub phenos: Vec<PhenoSummary>,
    /// Files written, with their sizes and SHA-256.
    pub outputs: Vec<FileDigest>,
    /// Covariate design columns used.
    pub covariates: Vec<String>,
    /// Where this scan's variants lie in the unsplit scan's selection.
    pub selection: Selection,
    /// .bim line (0-based) of the first and the last variant scanned.
    pub bim_lines: (usize, usize),
}

/// Variants per unit of parallel work: enough to amortise reading the covariate basis in
/// the dense kernel, few enough to balance the threads within a block.
const TILE: usize = 32;

/// Runs a scan; `progress` is called with the number of variants finished so far.
pub fn scan(
    cfg: &ScanConfig,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScanReport> {
    cfg.validate()?;
    let inputs = Inputs::load(cfg)?;
    let groups = build_groups(&inputs)?;
    let n_pheno = inputs.phenos.len();
    // Where each phenotype's result sits among a variant's group outputs.
    let mut slot = vec![(0usize, 0usize); n_pheno];
    for (gi, g) in groups.iter().enumerate() {
        for (t, &p) in g.phenos.iter().enumerate() {
            slot[p] = (gi, t);
        }
    }
    std::fs::create_dir_all(&cfg.out).map_err(|e| AssocError::Io {
        path: cfg.out.clone(),
        source: e,
    })?;
    let infos: Vec<PhenoInfo> = inputs
        .phenos
        .iter()
        .map(|p| PhenoInfo {
            name: p.name.clone(),
            binary: p.binary,
        })
        .collect();
    let mut summaries: Vec<PhenoSummary> = inputs
        .phenos
        .iter()
        .enumerate()
        .map(|(p, ph)| {
            let model = if ph.binary { "logistic" } else { "linear" };
            PhenoSummary::new(ph.name.clone(), model, groups[slot[p].0].n_of(slot[p].1))
        })
        .collect();
    let mut outputs = Outputs::create(&cfg.out, infos, cfg.format)?;
    let renderer = outputs.renderer();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| AssocError::Option(format!("cannot start {threads} threads: {e}")))?;

    let bed = &inputs.fileset.bed;
    let n_bed = bed.n_samples();
    let per = bed.bytes_per_variant();
    let kept_subset = (inputs.kept.len() != n_bed).then_some(inputs.kept.as_slice());
    let sel = &inputs.variants;
    let mut bim = Blocks::new(
        inputs.fileset.bim()?,
        &sel.filter,
        sel.first_row,
        sel.last_row,
        cfg.block,
    );
    // Results are written by a second thread while the pool tests the next block, so output
    // formatting and compression overlap with the regressions (memory: two blocks).
    // `None` tells the writer that every block arrived and the files may be committed.
    let (tx, rx) = std::sync::mpsc::sync_channel::<
        Option<(Vec<BimRecord>, Vec<(Vec<Tested>, RenderedTile)>)>,
    >(1);
    let (tested, written, summaries) = std::thread::scope(
        |scope| -> Result<(usize, Vec<FileDigest>, Vec<PhenoSummary>)> {
            let writer = scope.spawn(
                move || -> Result<(usize, Vec<FileDigest>, Vec<PhenoSummary>)> {
                    let mut tested = 0usize;
                    let mut complete = false;
                    for msg in rx {
                        let Some((records, batch)) = msg else {
                            complete = true;
                            break;
                        };
                        // Phenotype by phenotype: one p-value histogram stays in the cache
                        // while the block's variants go into it.
                        let n_pheno = summaries.len();
                        for (p, summary) in summaries.iter_mut().enumerate() {
                            for (tile, rendered) in &batch {
                                for (v, o) in tile.iter().enumerate() {
                                    let (rec, r) = (&records[o.index], &o.results[p]);
                                    let at = v * n_pheno + p;
                                    let (pv, log10p) = (rendered.p[at], rendered.log10p[at]);
                                    summary.add(r, pv, log10p, || TopHit {
                                        id: rec.id.clone(),
                                        chrom: rec.chrom.clone(),
                                        pos: rec.pos,
                                        log10p: 0.0,
                                        beta: r.beta,
                                        a1: if o.a1_alt {
                                            rec.alt.clone()
                                        } else {
                                            rec.reference.clone()
                                        },
                                    });
                                }
                            }
                        }
                        outputs.write_block(&records, &batch)?;
                        tested += batch.iter().map(|(tile, _)| tile.len()).sum::<usize>();
                    }
                    if !complete {
                        // Dropping the outputs removes their temporary files: nothing half-written.
                        return Err(AssocError::Option(
                            "scan aborted before its last block".into(),
                        ));
                    }
                    let written = outputs.finish()?;
                    Ok((tested, written, summaries))
                },
            );
            let mut done = 0u64;
            let mut buf = Vec::new();
            let mut failed = None;
            let mut writer_gone = false;
            loop {
                // A block: up to `cfg.block` selected variants spanning at most 2 × block .bed rows.
                let Block {
                    first,
                    records,
                    rows,
                } = match bim.next_block() {
                    Ok(Some(b)) => b,
                    Ok(None) => break,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                };
                let last = rows[rows.len() - 1];
                if let Err(e) = bed.read_packed(first, last - first + 1, &mut buf) {
                    failed = Some(e.into());
                    break;
                }
                // Tiles hold positions in the block: `Tested::index` then names the record.
                let positions: Vec<usize> = (0..rows.len()).collect();
                let outs: Vec<(Vec<Tested>, RenderedTile)> = pool.install(|| {
                    positions
                        .par_chunks(TILE)
                        .map_init(TileScratch::default, |ts, tile| {
                            let packed = |k: usize| {
                                let j = rows[k];
                                &buf[(j - first) * per..(j - first + 1) * per]
                            };
                            let tested = test_tile(
                                cfg,
                                &groups,
                                &slot,
                                kept_subset,
                                n_bed,
                                tile,
                                packed,
                                ts,
                            );
                            let rendered = renderer.render_tile(&records, &tested);
                            (tested, rendered)
                        })
                        .collect()
                });
                done += rows.len() as u64;
                if tx.send(Some((records, outs))).is_err() {
                    writer_gone = true;
                    break; // the writer failed; its error is returned below
                }
                progress(done);
            }
            if failed.is_none() && !writer_gone && done as usize != sel.count {
                failed = Some(AssocError::input(
                    bim.path(),
                    format!(
                        "{done} variants read where {} were selected when the scan started: \
                         the .bim changed during the scan",
                        sel.count
                    ),
                ));
            }
            if failed.is_none() {
                // The send fails only if the writer already stopped with an error, returned below.
                let _ = tx.send(None);
            }
            drop(tx);
            let written = writer.join().expect("writer thread panicked");
            match failed {
                Some(e) => Err(e),
                None => written,
            }
        },
    )?;
    Ok(ScanReport {
        samples: inputs.kept.len(),
        variants_selected: sel.count,
        variants_tested: tested,
        groups: groups.len(),
        phenos: summaries,
        outputs: written,
        covariates: inputs.covar_names.clone(),
        selection: inputs.selection,
        bim_lines: (sel.first_row, sel.last_row),
    })
}

/// A block of selected variants: their .bim records and rows, the first row first.
struct Block {
    first: usize,
    records: Vec<BimRecord>,
    rows: Vec<usize>,
}

/// The .bim streamed in step with the .bed: blocks of the rows `first_row..=last_row` that
/// the filter keeps.
struct Blocks<'a> {
    bim: BimReader,
    filter: &'a VariantFilter,
    last_row: usize,
    first_row: usize,
    block: usize,
    /// The next .bim row to read.
    row: usize,
    /// A kept record read past the end of the previous block: the next block's first.
    pending: Option<(usize, BimRecord)>,
}

impl<'a> Blocks<'a> {
    fn new(
        bim: BimReader,
        filter: &'a VariantFilter,
        first_row: usize,
        last_row: usize,
        block: usize,
    ) -> Self {
        Self {
            bim,
            filter,
            first_row,
            last_row,
            block: block.max(1),
            row: 0,
            pending: None,
        }
    }

    fn path(&self) -> PathBuf {
        self.bim.path().to_path_buf()
    }

    /// The next kept record in the span with its row, or None past `last_row`.
    fn next_kept(&mut self) -> Result<Option<(usize, BimRecord)>> {
        let mut rec = BimRecord::default();
        while self.row <= self.last_row {
            let row = self.row;
            if self.bim.read_into(&mut rec)?.is_none() {
                return Err(AssocError::input(
                    self.bim.path(),
                    format!(
                        "ends after {row} variants, but the scan needs row {}: \
                         the .bim changed during the scan",
                        self.last_row + 1
                    ),
                ));
            }
            self.row += 1;
            if row >= self.first_row && self.filter.keeps(&rec) {
                return Ok(Some((row, rec)));
            }
        }
        Ok(None)
    }

    /// The next block; None when done.
    fn next_block(&mut self) -> Result<Option<Block>> {
        let Some((first, rec)) = self
            .pending
            .take()
            .map_or_else(|| self.next_kept(), |p| Ok(Some(p)))?
        else {
            return Ok(None);
        };
        let mut records = vec![rec];
        let mut rows = vec![first];
        while records.len() < self.block {
            let Some((row, rec)) = self.next_kept()? else {
                break;
            };
            if row - first >= 2 * self.block {
                self.pending = Some((row, rec));
                break;
            }
            records.push(rec);
            rows.push(row);
        }
        Ok(Some(Block {
            first,
            records,
            rows,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A .bim of `n` variants on chromosome 1.
    fn bim(dir: &std::path::Path, n: usize) -> PathBuf {
        let path = dir.join("t.bim");
        let text: String = (0..n)
            .map(|i| format!("1\trs{i}\t0\t{}\tA\tG\n", 1000 + i))
            .collect();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A filter that keeps every variant.
    static ALL: VariantFilter = VariantFilter {
        chr: Vec::new(),
        region: None,
    };

    /// The blocks of the .bim at `path` over rows `first..=last`.
    fn blocks(path: &std::path::Path, first: usize, last: usize, block: usize) -> Blocks<'static> {
        Blocks::new(BimReader::open(path).unwrap(), &ALL, first, last, block)
    }

    #[test]
    fn blocks_cover_the_span_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut blocks = blocks(&bim(dir.path(), 7), 1, 5, 2);
        let mut rows = Vec::new();
        while let Some(b) = blocks.next_block().unwrap() {
            assert_eq!(b.first, b.rows[0]);
            assert_eq!(b.records[0].id, format!("rs{}", b.first));
            rows.push(b.rows);
        }
        assert_eq!(rows, vec![vec![1, 2], vec![3, 4], vec![5]]);
    }

    #[test]
    fn a_bim_shorter_than_at_the_start_is_an_error() {
        // The span was chosen from a .bim of 10 variants; the file now ends after 5.
        let dir = tempfile::tempdir().unwrap();
        let mut blocks = blocks(&bim(dir.path(), 5), 0, 9, 4);
        assert_eq!(blocks.next_block().unwrap().unwrap().rows, vec![0, 1, 2, 3]);
        let Err(err) = blocks.next_block() else {
            panic!("a block past the end of the .bim");
        };
        let err = err.to_string();
        assert!(err.contains("t.bim"), "{err}");
        assert!(
            err.contains("ends after 5 variants, but the scan needs row 10"),
            "{err}"
        );
        assert!(err.contains("the .bim changed during the scan"), "{err}");
    }
}
