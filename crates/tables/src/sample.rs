//! Sample identity and alignment. Samples are keyed by IID; FID is carried where a PLINK file
//! has it. Joining two tables is an inner join on IID that reports how many samples each side
//! lost, in the order of the left side: never a silent reorder or a silent loss.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use crate::error::{Result, TableError};

/// A sample's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SampleId {
    /// Family ID, where the source has one.
    pub fid: Option<String>,
    /// Individual ID: the join key.
    pub iid: String,
}

impl SampleId {
    /// A sample known by IID alone.
    pub fn new(iid: impl Into<String>) -> Self {
        Self {
            fid: None,
            iid: iid.into(),
        }
    }

    /// A sample with a family ID.
    pub fn with_fid(fid: impl Into<String>, iid: impl Into<String>) -> Self {
        Self {
            fid: Some(fid.into()),
            iid: iid.into(),
        }
    }
}

/// Fails with every duplicated IID named when `iids` holds one more than once.
pub fn ensure_unique<'a>(iids: impl IntoIterator<Item = &'a str>, path: &Path) -> Result<()> {
    let mut seen = BTreeSet::new();
    let mut duplicated = BTreeSet::new();
    for iid in iids {
        if !seen.insert(iid) {
            duplicated.insert(iid.to_owned());
        }
    }
    if duplicated.is_empty() {
        Ok(())
    } else {
        Err(TableError::DuplicateIid {
            path: path.into(),
            ids: duplicated.into_iter().collect(),
        })
    }
}

/// One side of an alignment: a name for reports (usually the file) and its IIDs in row order.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The name reports use, usually the file path.
    pub name: &'a Path,
    /// IIDs in the side's row order.
    pub iids: &'a [&'a str],
}

/// The result of inner-joining two sides on IID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alignment {
    /// Row indices into the left side, in the left side's order.
    pub left: Vec<usize>,
    /// The matching row indices into the right side.
    pub right: Vec<usize>,
    /// IIDs of the left side that the right side lacks.
    pub lost_left: Vec<String>,
    /// IIDs of the right side that the left side lacks.
    pub lost_right: Vec<String>,
    left_name: String,
    right_name: String,
}

impl Alignment {
    /// Inner-joins on IID, keeping the left order; duplicated IIDs on either side are an error.
    pub fn join(left: Side<'_>, right: Side<'_>) -> Result<Self> {
        ensure_unique(left.iids.iter().copied(), left.name)?;
        ensure_unique(right.iids.iter().copied(), right.name)?;
        let right_pos: HashMap<&str, usize> = right
            .iids
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, i))
            .collect();
        let mut out = Alignment {
            left: Vec::new(),
            right: Vec::new(),
            lost_left: Vec::new(),
            lost_right: Vec::new(),
            left_name: left.name.display().to_string(),
            right_name: right.name.display().to_string(),
        };
        let mut matched = vec![false; right.iids.len()];
        for (i, iid) in left.iids.iter().enumerate() {
            match right_pos.get(iid) {
                Some(&j) => {
                    out.left.push(i);
                    out.right.push(j);
                    matched[j] = true;
                }
                None => out.lost_left.push((*iid).to_owned()),
            }
        }
        out.lost_right = right
            .iids
            .iter()
            .zip(&matched)
            .filter(|(_, m)| !**m)
            .map(|(s, _)| (*s).to_owned())
            .collect();
        Ok(out)
    }

    /// Number of samples in common.
    pub fn len(&self) -> usize {
        self.left.len()
    }

    /// True when no sample is in common.
    pub fn is_empty(&self) -> bool {
        self.left.is_empty()
    }
}

fn examples(ids: &[String]) -> String {
    let shown: Vec<&str> = ids.iter().take(3).map(String::as_str).collect();
    let more = if ids.len() > 3 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

impl fmt::Display for Alignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} samples in common", self.len())?;
        for (name, lost) in [
            (&self.left_name, &self.lost_left),
            (&self.right_name, &self.lost_right),
        ] {
            if lost.is_empty() {
                write!(f, "; {name} lost none")?;
            } else {
                write!(f, "; {name} lost {} ({})", lost.len(), examples(lost))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_left_order_and_reports_losses() {
        let l = ["a", "b", "c", "d"];
        let r = ["d", "x", "b"];
        let a = Alignment::join(
            Side {
                name: Path::new("l.tsv"),
                iids: &l,
            },
            Side {
                name: Path::new("r.tsv"),
                iids: &r,
            },
        )
        .unwrap();
        assert_eq!(a.left, vec![1, 3]);
        assert_eq!(a.right, vec![2, 0]);
        assert_eq!(a.lost_left, vec!["a", "c"]);
        assert_eq!(a.lost_right, vec!["x"]);
        assert_eq!(
            a.to_string(),
            "2 samples in common; l.tsv lost 2 (a, c); r.tsv lost 1 (x)"
        );
    }

    #[test]
    fn duplicated_iids_are_named() {
        let l = ["a", "b", "a", "c", "b"];
        let r = ["a"];
        let err = Alignment::join(
            Side {
                name: Path::new("l.tsv"),
                iids: &l,
            },
            Side {
                name: Path::new("r.tsv"),
                iids: &r,
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "l.tsv: duplicated IID(s): a, b");
    }
}
