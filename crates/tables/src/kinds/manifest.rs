//! The run manifest: a JSON file written beside every run's outputs saying what ran (version,
//! command line, parameters, seeds), on what (input sizes and SHA-256), what it wrote and how
//! long each step took. It is validated against `data-schemas/manifest.schema.json`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
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
