//! When a study step may be skipped. Each finished step leaves `step.manifest.json` in its
//! folder: its parameters, the SHA-256 of every input and of every output. A rerun skips the
//! step when the parameters are equal, every input still hashes the same and every output is
//! still there, unchanged. A step that was started but never finished leaves only
//! `step.started.json` (same parameters and inputs): training then resumes from its newest
//! checkpoint; the other steps write atomically and simply run again.

use std::path::{Path, PathBuf};
use std::time::Instant;

use biomarker_tables::{FileDigest, RunManifest};

/// File name of the finished-step record.
pub const DONE: &str = "step.manifest.json";
/// File name of the started-step record.
pub const STARTED: &str = "step.started.json";

/// One step of the study: what determines its result and what it writes.
pub struct Step {
    /// Step name (also the folder's name).
    pub name: &'static str,
    /// The step's folder.
    pub dir: PathBuf,
    /// Everything besides the input files that determines the result.
    pub parameters: serde_json::Value,
    /// Input files.
    pub inputs: Vec<PathBuf>,
    /// Output files the step must leave.
    pub outputs: Vec<PathBuf>,
}

/// What happened to a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Up to date; not run.
    Skipped,
    /// Ran for this many seconds.
    Ran(f64),
}

impl Step {
    /// The record of this step with the current input digests (outputs empty).
    fn record(&self) -> anyhow::Result<RunManifest> {
        let mut m = crate::run_manifest::start(
            "run",
            serde_json::json!({ "step": self.name, "parameters": self.parameters }),
        );
        for p in &self.inputs {
            m.add_input(p)?;
        }
        Ok(m)
    }

    /// Whether a stored record matches `current` in parameters and inputs.
    fn same_work(stored: &RunManifest, current: &RunManifest) -> bool {
        let key = |m: &RunManifest| {
            m.inputs
                .iter()
                .map(|d| (d.path.clone(), d.sha256.clone()))
                .collect::<Vec<_>>()
        };
        stored.parameters == current.parameters && key(stored) == key(current)
    }

    /// Whether the step is up to date: same parameters and inputs as its finished record,
    /// and every recorded output present and unchanged.
    fn up_to_date(&self, current: &RunManifest) -> bool {
        let Ok(stored) = RunManifest::read(&self.dir.join(DONE)) else {
            return false;
        };
        if !Self::same_work(&stored, current) {
            return false;
        }
        let recorded: Vec<&str> = stored.outputs.iter().map(|d| d.path.as_str()).collect();
        self.outputs
            .iter()
            .all(|p| recorded.contains(&p.display().to_string().as_str()))
            && stored
                .outputs
                .iter()
                .all(|d| FileDigest::of(Path::new(&d.path)).is_ok_and(|now| now.sha256 == d.sha256))
    }

    /// Whether an unfinished run of this same work was started (and may be resumed).
    fn was_started(&self, current: &RunManifest) -> bool {
        RunManifest::read(&self.dir.join(STARTED)).is_ok_and(|s| Self::same_work(&s, current))
    }

    /// Runs `work` unless the step is up to date; `work` is told whether an unfinished run of
    /// the same work was started before. Prints what happened.
    pub fn run(&self, work: impl FnOnce(bool) -> anyhow::Result<()>) -> anyhow::Result<Outcome> {
        std::fs::create_dir_all(&self.dir)?;
        let mut record = self.record()?;
        if self.up_to_date(&record) {
            println!("{:<14} skipped (up to date)", self.name);
            return Ok(Outcome::Skipped);
        }
        let resume = self.was_started(&record);
        // The finished record goes first, so a killed run is never taken for a finished one.
        let done = self.dir.join(DONE);
        if done.exists() {
            std::fs::remove_file(&done)?;
        }
        record.write(&self.dir.join(STARTED))?;
        tracing::info!(step = self.name, resume, "running");
        let t0 = Instant::now();
        record.time(self.name, || work(resume))?;
        let seconds = t0.elapsed().as_secs_f64();
        for p in &self.outputs {
            record.add_output(p)?;
        }
        record.write(&done)?;
        std::fs::remove_file(self.dir.join(STARTED))?;
        println!("{:<14} ran in {seconds:.1} s", self.name);
        Ok(Outcome::Ran(seconds))
    }
}
