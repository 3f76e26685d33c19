//! Line-by-line reading of the six-field text files of a file set (.bim, .fam): blank lines
//! skipped, every other line split on whitespace and checked for six fields, with its
//! 1-based line number for errors. One line is held at a time, so a .bim of millions of
//! variants streams in constant memory.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::error::{Place, Result, TableError};

/// One line's fields, with where they come from (for errors).
pub(crate) struct Fields<'a> {
    /// The six fields.
    pub(crate) f: [&'a str; 6],
    /// The line.
    pub(crate) place: Place,
    /// The file.
    pub(crate) path: &'a Path,
}

/// The lines of a six-field record file, read one at a time.
pub(crate) struct RecordLines {
    path: PathBuf,
    fields: &'static str,
    reader: BufReader<File>,
    line: String,
    number: usize,
}

impl RecordLines {
    /// Opens `path`; `fields` names the six fields for the error a wrong count gets.
    pub(crate) fn open(path: &Path, fields: &'static str) -> Result<Self> {
        let file = File::open(path).map_err(|e| TableError::io(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            fields,
            reader: BufReader::with_capacity(1 << 16, file),
            line: String::new(),
            number: 0,
        })
    }

    /// The file read.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The 1-based number of the line read last.
    pub(crate) fn line_number(&self) -> usize {
        self.number
    }

    /// The next non-blank line's six fields, or None at the end of the file.
    pub(crate) fn next_fields(&mut self) -> Result<Option<Fields<'_>>> {
        loop {
            self.line.clear();
            let read = self
                .reader
                .read_line(&mut self.line)
                .map_err(|e| TableError::io(&self.path, e))?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            if !self.line.trim().is_empty() {
                break;
            }
        }
        let place = Place::Line(self.number);
        let mut f = [""; 6];
        let mut count = 0;
        for (i, field) in self.line.split_whitespace().enumerate() {
            if i < 6 {
                f[i] = field;
            }
            count = i + 1;
        }
        if count != 6 {
            return Err(TableError::Record {
                path: self.path.clone(),
                place,
                message: format!("expected 6 fields ({}), found {count}", self.fields),
            });
        }
        Ok(Some(Fields {
            f,
            place,
            path: &self.path,
        }))
    }
}
