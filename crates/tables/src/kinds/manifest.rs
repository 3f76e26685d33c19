//! The run manifest: a JSON file written beside every run's outputs saying what ran (version,
//! command line, parameters, seeds), on what (input sizes and SHA-256), what it wrote and how
//! long each step took. It is validated against `data-schemas/manifest.schema.json`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic::write_atomic;
use crate::error::{Result, TableError};
use crate::schema::DocumentSchema;

fn manifest_schema() -> &'static DocumentSchema {
    static SCHEMA: OnceLock<DocumentSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        DocumentSchema::from_json(include_str!(
            "../../../../data-schemas/manifest.schema.json"
        ))
        .expect("manifest schema compiles")
    })
}

/// A file's size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// The path as given.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

impl FileDigest {
    /// Hashes a file.
    pub fn of(path: &Path) -> Result<Self> {
        let mut file = std::fs::File::open(path).map_err(|e| TableError::io(path, e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut bytes = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(|e| TableError::io(path, e))?;
            if n == 0 {
                break;
            }
            bytes += n as u64;
            hasher.update(&buf[..n]);
        }
        Ok(Self {
            path: path.display().to_string(),
            bytes,
            sha256: hex(&hasher.finalize()),
        })
    }
}

/// A writer that hashes what passes through it, so an output's digest needs no second read
/// of the file once it is written.
pub struct DigestWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> DigestWriter<W> {
    /// Hashes everything written to `inner` from now on.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The digest of everything written, recorded under `path`, and the inner writer.
    pub fn finish(self, path: &Path) -> (FileDigest, W) {
        let digest = FileDigest {
            path: path.display().to_string(),
            bytes: self.bytes,
            sha256: hex(&self.hasher.finalize()),
        };
        (digest, self.inner)
    }
}

impl<W: Write> Write for DigestWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    /// One system call for many slices (a writer that gathers its output need not copy it
    /// into a buffer first); exactly the bytes written are hashed.
    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        let n = self.inner.write_vectored(bufs)?;
        let mut left = n;
        for buf in bufs {
            if left == 0 {
                break;
            }
            let take = left.min(buf.len());
            self.hasher.update(&buf[..take]);
            left -= take;
        }
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How long one step took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTiming {
    /// Step name.
    pub step: String,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    /// Always `biomarker-gwas`.
    pub tool: String,
    /// The tool's version.
    pub version: String,
    /// The command line as typed.
    pub command_line: Vec<String>,
    /// The subcommand that ran.
    pub subcommand: String,
    /// Every parameter after defaults were applied.
    pub parameters: serde_json::Value,
    /// Named random seeds.
    pub seeds: BTreeMap<String, u64>,
    /// Input files.
    pub inputs: Vec<FileDigest>,
    /// Output files.
    pub outputs: Vec<FileDigest>,
    /// Step timings.
    pub timings: Vec<StepTiming>,
    /// Start time, seconds since the Unix epoch.
    pub started_unix: u64,
    /// Step-specific summary (counts, λGC, top hits, …).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub summary: serde_json::Value,
}

impl RunManifest {
    /// A manifest for a run starting now.
    pub fn start(
        version: &str,
        subcommand: &str,
        command_line: Vec<String>,
        parameters: serde_json::Value,
    ) -> Self {
        Self {
            tool: "biomarker-gwas".into(),
            version: version.into(),
            command_line,
            subcommand: subcommand.into(),
            parameters,
            seeds: BTreeMap::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            timings: Vec::new(),
            started_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            summary: serde_json::Value::Null,
        }
    }

    /// Runs `f` as a named step and records its wall time.
    pub fn time<T>(&mut self, step: &str, f: impl FnOnce() -> T) -> T {
        let t0 = Instant::now();
        let out = f();
        self.timings.push(StepTiming {
            step: step.into(),
            seconds: t0.elapsed().as_secs_f64(),
        });
        out
    }

    /// Records the digest of an input file.
    pub fn add_input(&mut self, path: &Path) -> Result<()> {
        self.inputs.push(FileDigest::of(path)?);
        Ok(())
    }

    /// Records the digest of an output file.
    pub fn add_output(&mut self, path: &Path) -> Result<()> {
        self.outputs.push(FileDigest::of(path)?);
        Ok(())
    }

    /// Records the digests of several output files, in order, hashing them on as many
    /// threads as the machine has (a genome scan writes hundreds of megabytes in dozens of
    /// files, and hashing them one after another would add seconds after the work is done).
    pub fn add_outputs(&mut self, paths: &[PathBuf]) -> Result<()> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let next = std::sync::atomic::AtomicUsize::new(0);
        // Each thread takes the next unhashed path and keeps what it hashed with its index.
        let hashed: Vec<(usize, Result<FileDigest>)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads.min(paths.len()))
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(path) = paths.get(i) else {
                                return done;
                            };
                            done.push((i, FileDigest::of(path)));
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("hashing thread panicked"))
                .collect()
        });
        let mut in_order: Vec<Option<Result<FileDigest>>> =
            (0..paths.len()).map(|_| None).collect();
        for (i, digest) in hashed {
            in_order[i] = Some(digest);
        }
        for digest in in_order {
            self.outputs.push(digest.expect("every path hashed")?);
        }
        Ok(())
    }

    /// Validates and writes the manifest atomically as pretty JSON.
    pub fn write(&self, path: &Path) -> Result<()> {
        let value =
            serde_json::to_value(self).map_err(|e| TableError::format(path, e.to_string()))?;
        manifest_schema().validate(&value, path)?;
        write_atomic(path, |w| {
            serde_json::to_writer_pretty(&mut *w, &value)?;
            w.write_all(b"\n")
        })
    }

    /// Reads and validates a manifest.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| TableError::io(path, e))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| TableError::Record {
                path: path.into(),
                place: crate::error::Place::Line(e.line()),
                message: format!("invalid JSON: {e}"),
            })?;
        manifest_schema().validate(&value, path)?;
        serde_json::from_value(value).map_err(|e| TableError::format(path, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{IoSlice, Write};

    /// A sink that takes at most `limit` bytes per call, as a pipe or a full disk may.
    struct Short {
        data: Vec<u8>,
        limit: usize,
    }

    impl Write for Short {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.limit);
            self.data.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> std::io::Result<usize> {
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(self.limit - n);
                self.data.extend_from_slice(&b[..take]);
                n += take;
            }
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_short_gathered_write_hashes_only_what_was_written() {
        let parts: [&[u8]; 3] = [b"abc", b"", b"defgh"];
        let mut out = DigestWriter::new(Short {
            data: Vec::new(),
            limit: 5,
        });
        // 5 of 8 bytes: all of the first slice, none of the empty one, 2 of the last.
        let slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
        assert_eq!(out.write_vectored(&slices).unwrap(), 5);
        out.write_all(b"fgh").unwrap();
        let (digest, inner) = out.finish(Path::new("x"));
        assert_eq!(inner.data, b"abcdefgh");
        assert_eq!(digest.bytes, 8);
        assert_eq!(digest.sha256, hex(&Sha256::digest(b"abcdefgh")));
    }
}
