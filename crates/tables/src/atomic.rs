//! Atomic output files: everything is written to a temporary file in the target folder and
//! renamed over the target only when complete, so a killed run never leaves a half-written
//! file that looks whole, and an existing file is replaced only by a complete one.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Result, TableError};

/// A file being written; it appears under its final name only after [`AtomicFile::commit`].
/// Dropping it uncommitted removes the temporary file.
pub struct AtomicFile {
    target: PathBuf,
    temp: tempfile::NamedTempFile,
    /// Bytes whose write-back [`AtomicFile::start_writeback`] has already started.
    written_back: u64,
}

/// Bytes that [`AtomicFile::start_writeback`] lets accumulate before it starts their
/// write-back: every start is a pass through the file system's write-back code, and a scan
/// of 40 phenotypes starting 41 files' 84 KB at every block spent 2% of its CPU there (and
/// 0.1 s of 2.6 s of its time) for no gain over one start per megabyte.
pub const WRITEBACK_MIN_BYTES: u64 = 1 << 20;

impl AtomicFile {
    /// Starts writing `target` (its folder must exist).
    pub fn create(target: impl AsRef<Path>) -> Result<Self> {
        let target = target.as_ref().to_path_buf();
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(&dir)
            .map_err(|e| TableError::io(&target, e))?;
        // Temporary files are private (0600); outputs are ordinary files others may read.
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| TableError::io(&target, e))?;
        Ok(Self {
            target,
            temp,
            written_back: 0,
        })
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The open temporary file, to write into.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Starts writing what the file holds so far to disk without waiting for it, so that
    /// [`AtomicFile::commit`]'s sync finds little left to do: a writer of hundreds of
    /// megabytes calls this now and then (on Linux `posix_fadvise(DONTNEED)` over the bytes
    /// written since the last call, which also drops them from the page cache once on disk).
    /// Only a hint: failures change nothing and are ignored; elsewhere it does nothing.
    /// Fewer than [`WRITEBACK_MIN_BYTES`] new bytes wait for a later call.
    pub fn start_writeback(&mut self) {
        #[cfg(target_os = "linux")]
        {
            let file = self.temp.as_file();
            let end = file.metadata().map_or(0, |m| m.len());
            let new_bytes = end.saturating_sub(self.written_back);
            if new_bytes < WRITEBACK_MIN_BYTES {
                return;
            }
            let (len, advice) = (
                std::num::NonZeroU64::new(new_bytes),
                rustix::fs::Advice::DontNeed,
            );
            if rustix::fs::fadvise(file, self.written_back, len, advice).is_ok() {
                self.written_back = end;
            }
        }
    }

    /// Flushes, syncs and renames the temporary file over the target.
    pub fn commit(self) -> Result<()> {
        let target = self.target;
        self.temp
            .as_file()
            .sync_all()
            .map_err(|e| TableError::io(&target, e))?;
        self.temp
            .persist(&target)
            .map_err(|e| TableError::io(&target, e.error))?;
        Ok(())
    }
}

/// Writes a whole file atomically through a buffered writer filled by `fill`.
pub fn write_atomic<F>(target: impl AsRef<Path>, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let mut file = AtomicFile::create(target)?;
    let target = file.target.clone();
    let mut writer = BufWriter::new(file.file());
    fill(&mut writer)
        .and_then(|_| writer.flush())
        .map_err(|e| TableError::io(&target, e))?;
    drop(writer);
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.tsv");
        std::fs::write(&target, "old\n").unwrap();
        let err = write_atomic(&target, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("killed"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "temporary left behind: {names:?}");
        write_atomic(&target, |w| w.write_all(b"new\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn writeback_starts_once_a_megabyte_has_gathered() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = AtomicFile::create(dir.path().join("big.bin")).unwrap();
        file.file().write_all(&[7u8; 4096]).unwrap();
        file.start_writeback();
        assert_eq!(file.written_back, 0, "a few kilobytes wait");
        let rest = vec![7u8; WRITEBACK_MIN_BYTES as usize];
        file.file().write_all(&rest).unwrap();
        file.start_writeback();
        assert_eq!(file.written_back, 4096 + WRITEBACK_MIN_BYTES);
        file.commit().unwrap();
        let len = std::fs::metadata(dir.path().join("big.bin")).unwrap().len();
        assert_eq!(len, 4096 + WRITEBACK_MIN_BYTES);
    }
}
