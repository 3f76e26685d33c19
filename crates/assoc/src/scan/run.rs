//! The scan driver: loads inputs, builds the phenotype groups, then streams the selected
//! variants in blocks (the block's .bim records read in step with one contiguous .bed read).
//! Each step writes the previous block's results in .bim order, tests the current block's
//! variants tile by tile and reads the next block, all at once on the thread pool. Nothing
//! is held per variant beyond the three blocks in flight.

use std::path::PathBuf;

use biomarker_tables::plink::{BimReader, BimRecord};
use biomarker_tables::FileDigest;

use rayon::prelude::*;

use super::config::ScanConfig;
use super::input::{Inputs, Selection, VariantFilter};
use super::model::{build_groups, Group};
use super::output::{Outputs, PhenoInfo, RenderedTile, Renderer};
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
    // Each step writes the previous block's results, tests the current block and reads the
    // next one, all three at once on the pool: writing overlaps with the regressions with
    // exactly `threads` threads busy (a writer thread of its own would compete with them
    // for the cores, and leave them idle whenever it fell behind). Memory: three blocks.
    let mut tested = 0usize;
    let mut done = 0u64;
    let mut read = |buf: &mut Vec<u8>| -> Result<Option<Block>> {
        let Some(block) = bim.next_block()? else {
            return Ok(None);
        };
        let last = block.rows[block.rows.len() - 1];
        bed.read_packed(block.first, last - block.first + 1, buf)?;
        Ok(Some(block))
    };
    let (mut buf, mut next_buf) = (Vec::new(), Vec::new());
    let mut current = read(&mut buf)?;
    let mut previous: Option<(Vec<BimRecord>, TestedTiles)> = None;
    while current.is_some() || previous.is_some() {
        let (written, (outs, next)) = pool.install(|| {
            rayon::join(
                || -> Result<usize> {
                    match previous.take() {
                        Some((records, tiles)) => {
                            write_block(&mut outputs, &mut summaries, &records, &tiles)
                        }
                        None => Ok(0),
                    }
                },
                || {
                    rayon::join(
                        || {
                            current.as_ref().map(|b| {
                                let packed = |k: usize| {
                                    let j = b.rows[k] - b.first;
                                    &buf[j * per..(j + 1) * per]
                                };
                                test_block(
                                    cfg,
                                    &groups,
                                    &slot,
                                    kept_subset,
                                    n_bed,
                                    b,
                                    packed,
                                    &renderer,
                                )
                            })
                        },
                        || current.as_ref().map(|_| read(&mut next_buf)),
                    )
                },
            )
        });
        tested += written?;
        if let Some(b) = current.take() {
            done += b.rows.len() as u64;
            previous = outs.map(|o| (b.records, o));
            progress(done);
        }
        current = next.transpose()?.flatten();
        std::mem::swap(&mut buf, &mut next_buf);
    }
    if done as usize != sel.count {
        return Err(AssocError::input(
            bim.path(),
            format!(
                "{done} variants read where {} were selected when the scan started: \
                 the .bim changed during the scan",
                sel.count
            ),
        ));
    }
    // On any error above, dropping the outputs removes their temporary files: nothing
    // half-written is left.
    let written = outputs.finish()?;
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

/// A block's results: each tile's tested variants and their rendered lines, in order.
type TestedTiles = Vec<(Vec<Tested>, RenderedTile)>;

/// Tests a block's variants, tile by tile in parallel, and renders their text lines.
#[allow(clippy::too_many_arguments)]
fn test_block<'a>(
    cfg: &ScanConfig,
    groups: &[Group],
    slot: &[(usize, usize)],
    kept_subset: Option<&[u32]>,
    n_bed: usize,
    block: &Block,
    packed: impl Fn(usize) -> &'a [u8] + Sync,
    renderer: &Renderer,
) -> TestedTiles {
    // Tiles hold positions in the block: `Tested::index` then names the record.
    let positions: Vec<usize> = (0..block.rows.len()).collect();
    positions
        .par_chunks(TILE)
        .map_init(TileScratch::default, |ts, tile| {
            let tested = test_tile(cfg, groups, slot, kept_subset, n_bed, tile, &packed, ts);
            let rendered = renderer.render_tile(&block.records, &tested);
            (tested, rendered)
        })
        .collect()
}

/// Writes a block's results and adds them to the summaries; returns the variants written.
fn write_block(
    outputs: &mut Outputs,
    summaries: &mut [PhenoSummary],
    records: &[BimRecord],
    tiles: &[(Vec<Tested>, RenderedTile)],
) -> Result<usize> {
    // Variant by variant, each variant's results in order: they lie together, and the
    // summaries' state (the histograms count in batches) stays in the cache.
    let n_pheno = summaries.len();
    for (tile, rendered) in tiles {
        for (v, o) in tile.iter().enumerate() {
            let rec = &records[o.index];
            let at = v * n_pheno;
            let p_values = &rendered.p[at..at + n_pheno];
            let log10_p = &rendered.log10p[at..at + n_pheno];
            for (((summary, r), &p), &log10p) in summaries
                .iter_mut()
                .zip(&o.results)
                .zip(p_values)
                .zip(log10_p)
            {
                summary.add(r, p, log10p, || TopHit {
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
    outputs.write_block(records, tiles)?;
    Ok(tiles.iter().map(|(tile, _)| tile.len()).sum())
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
