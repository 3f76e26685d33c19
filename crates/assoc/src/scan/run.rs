//! The scan driver: loads inputs, builds the phenotype groups, then streams the selected
//! variants in blocks (one contiguous .bed read per block), tests the variants of a block in
//! parallel and writes their results in .bim order before reading the next block.

use std::path::PathBuf;

use rayon::prelude::*;

use super::config::ScanConfig;
use super::input::{Inputs, Selection};
use super::model::build_groups;
use super::output::{Outputs, PhenoInfo, Rendered};
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
    /// Phenotype groups (shared missingness pattern and model).
    pub groups: usize,
    /// Per-phenotype summaries, in phenotype order.
    pub phenos: Vec<PhenoSummary>,
    /// Files written.
    pub outputs: Vec<PathBuf>,
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
            PhenoSummary::new(ph.name.clone(), model, groups[slot[p].0].n())
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
    let variants = &inputs.fileset.variants;
    let sel = &inputs.variants;
    // Results are written by a second thread while the pool tests the next block, so output
    // formatting and compression overlap with the regressions (memory: two blocks).
    // `None` tells the writer that every block arrived and the files may be committed.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Option<Vec<(Tested, Rendered)>>>(1);
    let (tested, written, summaries) = std::thread::scope(
        |scope| -> Result<(usize, Vec<PathBuf>, Vec<PhenoSummary>)> {
            let writer = scope.spawn(
                move || -> Result<(usize, Vec<PathBuf>, Vec<PhenoSummary>)> {
                    let mut tested = 0usize;
                    let mut complete = false;
                    for msg in rx {
                        let Some(batch) = msg else {
                            complete = true;
                            break;
                        };
                        for (o, rendered) in batch {
                            let v = &variants[o.index];
                            for (p, r) in o.results.iter().enumerate() {
                                summaries[p].add(r, || TopHit {
                                    id: v.id.clone(),
                                    chrom: v.chrom.clone(),
                                    pos: v.pos,
                                    log10p: 0.0,
                                    beta: r.beta,
                                    a1: if o.a1_alt {
                                        v.alt.clone()
                                    } else {
                                        v.reference.clone()
                                    },
                                });
                            }
                            outputs.write(v, o.a1_alt, &o.results, rendered)?;
                            tested += 1;
                        }
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
            let mut start = 0;
            let mut failed = None;
            while start < sel.len() {
                // A block: up to `cfg.block` selected variants spanning at most 2 × block .bed rows.
                let first = sel[start];
                let mut end = start + 1;
                while end < sel.len() && end - start < cfg.block && sel[end] - first < 2 * cfg.block
                {
                    end += 1;
                }
                let last = sel[end - 1];
                if let Err(e) = bed.read_packed(first, last - first + 1, &mut buf) {
                    failed = Some(e.into());
                    break;
                }
                let block = &sel[start..end];
                let outs: Vec<(Tested, Rendered)> = pool.install(|| {
                    block
                        .par_chunks(TILE)
                        .map_init(TileScratch::default, |ts, tile| {
                            let packed = |j: usize| &buf[(j - first) * per..(j - first + 1) * per];
                            test_tile(cfg, &groups, &slot, kept_subset, n_bed, tile, packed, ts)
                                .into_iter()
                                .map(|o| {
                                    let r =
                                        renderer.render(&variants[o.index], o.a1_alt, &o.results);
                                    (o, r)
                                })
                                .collect::<Vec<_>>()
                        })
                        .flatten()
                        .collect()
                });
                if tx.send(Some(outs)).is_err() {
                    break; // the writer failed; its error is returned below
                }
                done += block.len() as u64;
                progress(done);
                start = end;
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
        variants_selected: sel.len(),
        variants_tested: tested,
        groups: groups.len(),
        phenos: summaries,
        outputs: written,
        covariates: inputs.covar_names.clone(),
        selection: inputs.selection,
        bim_lines: (sel[0], sel[sel.len() - 1]),
    })
}
