//! Readers of the two text inputs: the image manifest (`IID path` per line, the path of a
//! NIfTI label map, relative paths taken from the manifest's folder) and the label table
//! (`label name` per line). Whitespace or tab separated; `#` comments, blank lines and one
//! header line (`IID …` / `label …`) are skipped.

use std::path::{Path, PathBuf};

use crate::error::{DeepError, Result};

/// One subject's label map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEntry {
    /// Subject IID.
    pub iid: String,
    /// Path of the NIfTI label map.
    pub path: PathBuf,
}

/// One structure of the label table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelEntry {
    /// Label value in the maps.
    pub label: i64,
    /// Structure name.
    pub name: String,
}

fn lines(path: &Path) -> Result<Vec<(usize, Vec<String>)>> {
    let text = std::fs::read_to_string(path).map_err(|e| DeepError::io(path, e))?;
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            (
                i + 1,
                l.split_whitespace().map(str::to_string).collect::<Vec<_>>(),
            )
        })
        .filter(|(_, f)| !f.is_empty() && !f[0].starts_with('#'))
        .collect())
}

/// Reads the image manifest.
pub fn read_manifest(path: &Path) -> Result<Vec<ImageEntry>> {
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (k, (line, f)) in lines(path)?.into_iter().enumerate() {
        if k == 0 && f[0].eq_ignore_ascii_case("iid") {
            continue;
        }
        if f.len() < 2 {
            return Err(DeepError::Record {
                path: path.into(),
                line,
                message: format!("expected `IID path`, found {:?}", f.join(" ")),
            });
        }
        if !seen.insert(f[0].clone()) {
            return Err(DeepError::Record {
                path: path.into(),
                line,
                message: format!("subject {:?} listed twice", f[0]),
            });
        }
        let p = PathBuf::from(&f[1]);
        out.push(ImageEntry {
            iid: f[0].clone(),
            path: if p.is_absolute() { p } else { base.join(p) },
        });
    }
    if out.is_empty() {
        return Err(DeepError::Record {
            path: path.into(),
            line: 1,
            message: "no subjects listed".into(),
        });
    }
    Ok(out)
}

/// Reads the label table.
pub fn read_labels(path: &Path) -> Result<Vec<LabelEntry>> {
    let mut out: Vec<LabelEntry> = Vec::new();
    for (k, (line, f)) in lines(path)?.into_iter().enumerate() {
        let label = match f[0].parse::<i64>() {
            Ok(v) => v,
            Err(_) if k == 0 => continue,
            Err(_) => {
                return Err(DeepError::Record {
                    path: path.into(),
                    line,
                    message: format!("label {:?} is not an integer", f[0]),
                })
            }
        };
        if f.len() < 2 {
            return Err(DeepError::Record {
                path: path.into(),
                line,
                message: format!("label {label} has no structure name"),
            });
        }
        if label == 0 {
            return Err(DeepError::Record {
                path: path.into(),
                line,
                message: "label 0 is the background".into(),
            });
        }
        if out.iter().any(|e| e.label == label || e.name == f[1]) {
            return Err(DeepError::Record {
                path: path.into(),
                line,
                message: format!("label {label} / {:?} listed twice", f[1]),
            });
        }
        out.push(LabelEntry {
            label,
            name: f[1].clone(),
        });
    }
    if out.is_empty() {
        return Err(DeepError::Record {
            path: path.into(),
            line: 1,
            message: "no labels listed".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_with_headers_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let m = write(
            dir.path(),
            "images.tsv",
            "IID\tpath\nA\timg/a.nii.gz\nB\t/abs/b.nii.gz\n",
        );
        let e = read_manifest(&m).unwrap();
        assert_eq!(e[0].path, dir.path().join("img/a.nii.gz"));
        assert_eq!(e[1].path, PathBuf::from("/abs/b.nii.gz"));
        let l = write(
            dir.path(),
            "labels.tsv",
            "label\tname\n17\thippocampus_l\n53 hippocampus_r\n",
        );
        assert_eq!(
            read_labels(&l).unwrap()[1],
            LabelEntry {
                label: 53,
                name: "hippocampus_r".into()
            }
        );

        let bad = write(dir.path(), "bad.tsv", "A a.nii\nA b.nii\n");
        assert_eq!(
            read_manifest(&bad).unwrap_err().to_string(),
            format!("{}:2: subject \"A\" listed twice", bad.display())
        );
        let bad = write(dir.path(), "badl.tsv", "1 x\nfoo y\n");
        assert!(read_labels(&bad)
            .unwrap_err()
            .to_string()
            .ends_with(":2: label \"foo\" is not an integer"));
        let bad = write(dir.path(), "badm.tsv", "A\n");
        assert!(read_manifest(&bad)
            .unwrap_err()
            .to_string()
            .contains(":1: expected `IID path`"));
    }
}
