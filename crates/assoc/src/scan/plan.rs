//! Chunk plans: contiguous ranges of .bim variants that split one scan into independent
//! pieces for a cluster. Without `split_chromosomes` a chunk holds whole chromosomes only
//! (the ranges minimise the largest chunk); with it the variants are cut into N equal runs
//! regardless of chromosome boundaries. Planning streams the .bim twice (chromosome runs,
//! then each chunk's regions) and holds one entry per chromosome, not per variant. A plan is
//! a JSON document validated against
//! `data-schemas/chunks.schema.json`; it records the .bim's SHA-256 so a scan refuses a plan
//! made for another file set.
//!
//! A plan also records the size, modification time and SHA-256 of the .bed, .bim and .fam
//! ("hash once"): a chunk's scan takes the plan's digest for a file whose size and
//! modification time are still those recorded, instead of reading a .bed of ~100 GB again
//! in every chunk only to hash it. A file whose size or modification time changed is hashed
//! again and refused if its content differs from the plan's, so the scan hash that `merge`
//! compares always names the content the chunk actually read.

use std::path::Path;
use std::sync::OnceLock;
use std::time::UNIX_EPOCH;

use biomarker_tables::plink::{fileset_paths, BimReader, BimRecord};
use biomarker_tables::schema::DocumentSchema;
use biomarker_tables::{FileDigest, TableError};
use serde::{Deserialize, Serialize};

use crate::error::{AssocError, Result};

/// The `format` value of every plan.
pub const PLAN_FORMAT: &str = "biomarker-gwas chunks";

fn plan_schema() -> &'static DocumentSchema {
    static SCHEMA: OnceLock<DocumentSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        DocumentSchema::from_json(include_str!("../../../../data-schemas/chunks.schema.json"))
            .expect("chunk plan schema compiles")
    })
}

/// One chunk: variants `start..end` in .bim order (0-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRange {
    /// 1-based chunk number.
    pub chunk: usize,
    /// First variant (0-based .bim index).
    pub start: usize,
    /// One past the last variant.
    pub end: usize,
    /// `end - start`.
    pub variants: usize,
    /// The chunk as `chr:from-to` regions, one per chromosome it touches (for people and
    /// for tools that shard by region; the scan itself uses `start..end`).
    pub regions: Vec<String>,
}

/// A file of the set as it was when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedInput {
    /// `bed`, `bim` or `fam`.
    pub role: String,
    /// The path as given when planning (for people: a scan matches files by role).
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Modification time in nanoseconds since the Unix epoch (None where the file system
    /// has none: the file is then hashed again by every chunk).
    pub mtime_ns: Option<u64>,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
}

/// A file's size and modification time: what a scan compares with the plan before trusting
/// the plan's digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// Size in bytes.
    pub bytes: u64,
    /// Modification time in nanoseconds since the Unix epoch, if known.
    pub mtime_ns: Option<u64>,
}

impl FileStamp {
    /// Reads the stamp of `path`.
    pub fn of(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| AssocError::Io {
            path: path.into(),
            source: e,
        })?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| u64::try_from(d.as_nanos()).ok());
        Ok(Self {
            bytes: meta.len(),
            mtime_ns,
        })
    }
}

/// Where a scan's digest of a file-set member came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestSource {
    /// Taken from the plan: size and modification time were unchanged.
    Plan,
    /// Hashed again because size or modification time changed; the content was the plan's.
    Rehashed,
}

impl DigestSource {
    /// `plan` or `rehashed`, as the scan's manifest records it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Rehashed => "rehashed",
        }
    }
}

/// The roles of a file set's members, in [`fileset_paths`] order.
pub const FILESET_ROLES: [&str; 3] = ["bed", "bim", "fam"];

impl PlannedInput {
    /// Stamps and hashes `path`. The stamp is read first: a file changed while it is being
    /// hashed then no longer matches the stamp and is hashed again by the scan.
    pub fn of(role: &str, path: &Path) -> Result<Self> {
        let stamp = FileStamp::of(path)?;
        let digest = FileDigest::of(path)?;
        Ok(Self {
            role: role.into(),
            path: digest.path,
            bytes: stamp.bytes,
            mtime_ns: stamp.mtime_ns,
            sha256: digest.sha256,
        })
    }
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkPlan {
    /// Always [`PLAN_FORMAT`].
    pub format: String,
    /// Version of the tool that wrote it.
    pub version: String,
    /// The file set prefix as given.
    pub bfile: String,
    /// SHA-256 of the .bim the ranges index.
    pub bim_sha256: String,
    /// Variants in the .bim.
    pub variants: usize,
    /// Chunks asked for (the plan may have fewer when chromosomes are kept whole).
    pub requested: usize,
    /// Whether chunks may cut through a chromosome.
    pub split_chromosomes: bool,
    /// The .bed, .bim and .fam as they were when planning (see the module documentation).
    pub inputs: Vec<PlannedInput>,
    /// The chunks in .bim order.
    pub chunks: Vec<ChunkRange>,
}

/// Runs of one chromosome in .bim order, built one variant at a time: one entry per
/// chromosome, however many variants it has.
#[derive(Debug, Default)]
pub struct ChromRuns {
    runs: Vec<(usize, usize)>,
    last: String,
    seen: std::collections::HashSet<String>,
    total: usize,
}

impl ChromRuns {
    /// Adds the next variant's chromosome. A chromosome that comes back after another is an
    /// error: the .bim is not grouped by chromosome, so chromosomes cannot be kept whole.
    pub fn push(&mut self, chrom: &str) -> Result<()> {
        let j = self.total;
        self.total += 1;
        if j > 0 && self.last == chrom {
            self.runs.last_mut().expect("a run is open").1 = j + 1;
            return Ok(());
        }
        if !self.seen.insert(chrom.to_owned()) {
            return Err(AssocError::Option(format!(
                "variant {} (chromosome {chrom}) follows chromosome {}, but chromosome {chrom} appeared \
                 earlier: the .bim is not grouped by chromosome, so whole-chromosome chunks \
                 are impossible (sort it, or use --split-chromosomes)",
                j + 1,
                self.last
            )));
        }
        self.last.clear();
        self.last.push_str(chrom);
        self.runs.push((j, j + 1));
        Ok(())
    }

    /// Variants added.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The runs as `.bim` row ranges, in order.
    pub fn runs(&self) -> &[(usize, usize)] {
        &self.runs
    }
}

/// Splits `total` variants into at most `n` ranges: `n` equal runs if `split`, otherwise
/// whole chromosome runs `runs` (row ranges tiling `0..total`, see [`ChromRuns`]) packed to
/// minimise the largest chunk; see the module documentation.
pub fn plan_ranges(
    runs: &[(usize, usize)],
    total: usize,
    n: usize,
    split: bool,
) -> Result<Vec<(usize, usize)>> {
    if n == 0 || total == 0 {
        return Err(AssocError::Option(format!(
            "cannot split {total} variants into {n} chunks"
        )));
    }
    if split {
        let n = n.min(total);
        return Ok((0..n)
            .map(|k| (k * total / n, (k + 1) * total / n))
            .collect());
    }
    let sizes: Vec<usize> = runs.iter().map(|(a, b)| b - a).collect();
    // The smallest largest-chunk size for which packing runs greedily needs ≤ n chunks.
    let groups_for = |cap: usize| {
        let (mut groups, mut fill) = (1, 0);
        for &s in &sizes {
            if fill + s > cap {
                groups += 1;
                fill = 0;
            }
            fill += s;
        }
        groups
    };
    let (mut lo, mut hi) = (sizes.iter().copied().max().unwrap_or(1), total);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if groups_for(mid) <= n {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut fill = 0;
    for (&(a, b), &s) in runs.iter().zip(&sizes) {
        match out.last_mut() {
            Some(last) if fill + s <= lo => {
                last.1 = b;
                fill += s;
            }
            _ => {
                out.push((a, b));
                fill = s;
            }
        }
    }
    Ok(out)
}

/// The `chr:from-to` regions of each range of `ranges` (ascending, tiling the .bim), one
/// per chromosome run, from one streaming pass over the .bim.
fn regions(bim_path: &Path, ranges: &[(usize, usize)]) -> Result<Vec<Vec<String>>> {
    let mut bim = BimReader::open(bim_path)?;
    let mut v = BimRecord::default();
    let mut out = Vec::with_capacity(ranges.len());
    for &(start, end) in ranges {
        let mut runs: Vec<(String, i64, i64)> = Vec::new();
        for row in start..end {
            if bim.read_into(&mut v)?.is_none() {
                return Err(AssocError::input(
                    bim_path,
                    format!("ends after {row} variants: the .bim changed while planning"),
                ));
            }
            match runs.last_mut() {
                Some((c, from, to)) if *c == v.chrom => {
                    *from = (*from).min(v.pos);
                    *to = (*to).max(v.pos);
                }
                _ => runs.push((v.chrom.clone(), v.pos, v.pos)),
            }
        }
        out.push(
            runs.into_iter()
                .map(|(c, a, b)| format!("{c}:{a}-{b}"))
                .collect(),
        );
    }
    Ok(out)
}

impl ChunkPlan {
    /// Plans `n` chunks of the file set `bfile`, hashing its three files once.
    pub fn build(bfile: &Path, n: usize, split: bool) -> Result<Self> {
        let paths = fileset_paths(bfile);
        let bim_path = paths[1].clone();
        let inputs = FILESET_ROLES
            .iter()
            .zip(&paths)
            .map(|(role, path)| PlannedInput::of(role, path))
            .collect::<Result<Vec<_>>>()?;
        let in_bim = |e| match e {
            AssocError::Option(m) => AssocError::input(&bim_path, m),
            e => e,
        };
        // Pass 1: chromosome runs (only counted when chunks may split chromosomes, so an
        // ungrouped .bim costs nothing).
        let mut runs = ChromRuns::default();
        let mut total = 0;
        let mut v = BimRecord::default();
        let mut bim = BimReader::open(&bim_path)?;
        while bim.read_into(&mut v)?.is_some() {
            if split {
                total += 1;
            } else {
                runs.push(&v.chrom).map_err(in_bim)?;
            }
        }
        if !split {
            total = runs.total();
        }
        if total == 0 {
            return Err(AssocError::input(&bim_path, "the .bim has no variant"));
        }
        let ranges = plan_ranges(runs.runs(), total, n, split).map_err(in_bim)?;
        // Pass 2: the regions of each chunk.
        let chunks = ranges
            .iter()
            .zip(regions(&bim_path, &ranges)?)
            .enumerate()
            .map(|(i, (&(start, end), regions))| ChunkRange {
                chunk: i + 1,
                start,
                end,
                variants: end - start,
                regions,
            })
            .collect();
        Ok(Self {
            format: PLAN_FORMAT.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            bfile: bfile.display().to_string(),
            bim_sha256: inputs[1].sha256.clone(),
            variants: total,
            requested: n,
            split_chromosomes: split,
            inputs,
            chunks,
        })
    }

    /// Validates and writes the plan atomically as pretty JSON.
    pub fn write(&self, path: &Path) -> Result<()> {
        let value = serde_json::to_value(self)
            .map_err(|e| AssocError::input(path, format!("cannot encode the plan: {e}")))?;
        plan_schema().validate(&value, path)?;
        biomarker_tables::atomic::write_atomic(path, |w| {
            serde_json::to_writer_pretty(&mut *w, &value)?;
            w.write_all(b"\n")
        })?;
        Ok(())
    }

    /// Reads a plan, validates it against its schema and checks that its chunks are
    /// numbered 1..N and tile `0..variants` exactly.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| AssocError::Io {
            path: path.into(),
            source: e,
        })?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| TableError::Record {
                path: path.into(),
                place: biomarker_tables::Place::Line(e.line()),
                message: format!("invalid JSON: {e}"),
            })?;
        plan_schema().validate(&value, path)?;
        let plan: Self = serde_json::from_value(value)
            .map_err(|e| AssocError::input(path, format!("not a chunk plan: {e}")))?;
        let mut next = 0;
        for (i, c) in plan.chunks.iter().enumerate() {
            if c.chunk != i + 1
                || c.start != next
                || c.end <= c.start
                || c.variants != c.end - c.start
            {
                return Err(AssocError::input(
                    path,
                    format!(
                        "chunk entry {} (chunk {}, variants {}..{}) does not continue the plan: \
                         expected chunk {} starting at variant {next}",
                        i + 1,
                        c.chunk,
                        c.start,
                        c.end,
                        i + 1
                    ),
                ));
            }
            next = c.end;
        }
        if next != plan.variants {
            return Err(AssocError::input(
                path,
                format!(
                    "the chunks cover variants 0..{next} but the plan has {} variants",
                    plan.variants
                ),
            ));
        }
        for role in FILESET_ROLES {
            if plan.inputs.iter().filter(|i| i.role == role).count() != 1 {
                return Err(AssocError::input(
                    path,
                    format!("the plan must record the {role} file exactly once"),
                ));
            }
        }
        Ok(plan)
    }

    /// The digest of the file-set member `role` (`bed`, `bim` or `fam`) at `file`: the
    /// plan's if the file's size and modification time are those the plan recorded,
    /// otherwise a fresh hash, which must equal the plan's. `plan_path` names the plan in
    /// errors.
    pub fn input_digest(
        &self,
        plan_path: &Path,
        role: &str,
        file: &Path,
    ) -> Result<(FileDigest, DigestSource)> {
        let planned = self.inputs.iter().find(|i| i.role == role).ok_or_else(|| {
            AssocError::input(plan_path, format!("the plan records no {role} file"))
        })?;
        let stamp = FileStamp::of(file)?;
        if stamp.mtime_ns.is_some()
            && stamp
                == (FileStamp {
                    bytes: planned.bytes,
                    mtime_ns: planned.mtime_ns,
                })
        {
            let digest = FileDigest {
                path: file.display().to_string(),
                bytes: planned.bytes,
                sha256: planned.sha256.clone(),
            };
            return Ok((digest, DigestSource::Plan));
        }
        let digest = FileDigest::of(file)?;
        if digest.sha256 != planned.sha256 {
            return Err(AssocError::input(
                file,
                format!(
                    "changed since the chunk plan {} was made: its SHA-256 is now {} ({} bytes), \
                     the plan recorded {} ({} bytes); plan the chunks again",
                    plan_path.display(),
                    digest.sha256,
                    digest.bytes,
                    planned.sha256,
                    planned.bytes
                ),
            ));
        }
        Ok((digest, DigestSource::Rehashed))
    }

    /// The range of chunk `k` of `n`, after checking that the plan has `n` chunks and was
    /// made for the .bim with SHA-256 `bim_sha256`.
    pub fn range(
        &self,
        path: &Path,
        k: usize,
        n: usize,
        bim_sha256: &str,
    ) -> Result<(usize, usize)> {
        if n != self.chunks.len() {
            return Err(AssocError::input(
                path,
                format!(
                    "--chunk {k}/{n}: the plan has {} chunks, not {n}",
                    self.chunks.len()
                ),
            ));
        }
        if bim_sha256 != self.bim_sha256 {
            return Err(AssocError::input(
                path,
                format!(
                    "the plan was made for a .bim with SHA-256 {}, but this .bim's is {bim_sha256}",
                    self.bim_sha256
                ),
            ));
        }
        let c = &self.chunks[k - 1];
        Ok((c.start, c.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plans `n` chunks of a .bim whose chromosomes come in runs `spec`, streaming them
    /// through [`ChromRuns`] as planning does.
    fn plan(spec: &[(&str, usize)], n: usize, split: bool) -> Result<Vec<(usize, usize)>> {
        let mut runs = ChromRuns::default();
        let mut total = 0;
        for &(c, k) in spec {
            for _ in 0..k {
                total += 1;
                if !split {
                    runs.push(c)?;
                }
            }
        }
        plan_ranges(runs.runs(), total, n, split)
    }

    #[test]
    fn whole_chromosomes_minimise_the_largest_chunk() {
        let c = [("1", 50), ("2", 40), ("3", 30), ("4", 20), ("5", 10)];
        // 150 variants in 3 chunks keeping order: the smallest largest chunk is 60.
        assert_eq!(
            plan(&c, 3, false).unwrap(),
            vec![(0, 50), (50, 90), (90, 150)]
        );
        // More chunks than chromosomes: the largest chromosome bounds the chunk size and
        // no chromosome is split (50 | 40 | 30+20 | 10).
        assert_eq!(
            plan(&c, 9, false).unwrap(),
            vec![(0, 50), (50, 90), (90, 140), (140, 150)]
        );
        assert_eq!(plan(&c, 1, false).unwrap(), vec![(0, 150)]);
    }

    #[test]
    fn split_cuts_equal_runs_across_chromosomes() {
        let c = [("1", 7), ("2", 3)];
        assert_eq!(plan(&c, 3, true).unwrap(), vec![(0, 3), (3, 6), (6, 10)]);
        assert_eq!(plan(&c, 20, true).unwrap().len(), 10);
    }

    #[test]
    fn an_ungrouped_bim_is_refused_unless_splitting() {
        let c = [("1", 2), ("2", 2), ("1", 1)];
        let err = plan(&c, 2, false).unwrap_err().to_string();
        assert!(
            err.contains("variant 5 (chromosome 1) follows chromosome 2"),
            "{err}"
        );
        assert_eq!(plan(&c, 2, true).unwrap(), vec![(0, 2), (2, 5)]);
        assert!(plan(&c, 0, true).is_err());
    }
}
