//! FeatureTable: per-subject, per-structure feature vectors in long form (one row per
//! subject × structure, one column per feature), with provenance in the metadata.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::{table_schema, TableKind};
use crate::error::{Place, Result, TableError};
use crate::frame::{ColumnData, Frame, TakeColumn};
use crate::pheno::{PhenoColumn, PhenoTable, PhenoValues};
use crate::sample::SampleId;
use crate::schema::TableSchema;

/// Metadata key of the model checkpoint's SHA-256.
pub const META_CHECKPOINT: &str = "checkpoint_sha256";
/// Metadata key of the layer the features come from.
pub const META_LAYER: &str = "layer";

/// Feature vectors keyed by (sample, structure).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeatureTable {
    /// Sample of each row.
    pub samples: Vec<SampleId>,
    /// Structure of each row.
    pub structures: Vec<String>,
    /// Feature names (columns), e.g. `z_0…` or `PC1…`.
    pub feature_names: Vec<String>,
    /// Row-major values, `rows × feature_names.len()`.
    pub values: Vec<f64>,
    /// Provenance: checkpoint hash, layer, PCA fit, …
    pub metadata: BTreeMap<String, String>,
}

impl FeatureTable {
    /// An empty table with the given feature columns.
    pub fn new(feature_names: Vec<String>) -> Self {
        Self {
            feature_names,
            ..Self::default()
        }
    }

    /// Appends one row; `values` must have one entry per feature.
    pub fn push(&mut self, sample: SampleId, structure: impl Into<String>, values: &[f64]) {
        assert_eq!(
            values.len(),
            self.feature_names.len(),
            "feature vector length"
        );
        self.samples.push(sample);
        self.structures.push(structure.into());
        self.values.extend_from_slice(values);
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.samples.len()
    }

    /// The feature vector of row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let d = self.feature_names.len();
        &self.values[i * d..(i + 1) * d]
    }

    /// Structure names in order of first appearance.
    pub fn structure_names(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.structures
            .iter()
            .filter(|s| seen.insert(s.as_str()))
            .cloned()
            .collect()
    }

    /// The samples and row-major `n × d` matrix of one structure.
    pub fn structure_matrix(&self, structure: &str) -> (Vec<SampleId>, Vec<f64>) {
        let mut samples = Vec::new();
        let mut values = Vec::new();
        for i in (0..self.n_rows()).filter(|&i| self.structures[i] == structure) {
            samples.push(self.samples[i].clone());
            values.extend_from_slice(self.row(i));
        }
        (samples, values)
    }

    /// Wide form for scans: one row per sample, a column `{structure}_{feature}` per pair;
    /// samples lacking a structure are missing there.
    pub fn to_wide(&self) -> PhenoTable {
        let mut order: Vec<SampleId> = Vec::new();
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &self.samples {
            if !index.contains_key(s.iid.as_str()) {
                index.insert(&s.iid, order.len());
                order.push(s.clone());
            }
        }
        let mut columns = Vec::new();
        for structure in self.structure_names() {
            for (k, feature) in self.feature_names.iter().enumerate() {
                let mut v = vec![None; order.len()];
                for i in (0..self.n_rows()).filter(|&i| self.structures[i] == structure) {
                    v[index[self.samples[i].iid.as_str()]] = Some(self.row(i)[k]);
                }
                columns.push(PhenoColumn {
                    name: format!("{structure}_{feature}"),
                    values: PhenoValues::Numeric(v),
                });
            }
        }
        PhenoTable {
            path: "features".into(),
            samples: order,
            columns,
        }
    }
}

impl TableKind for FeatureTable {
    fn schema() -> &'static TableSchema {
        table_schema!("feature.schema.json")
    }

    fn to_frame(&self) -> Frame {
        let mut f = Frame {
            metadata: self.metadata.clone(),
            ..Frame::default()
        };
        if self.samples.iter().any(|s| s.fid.is_some()) {
            f.push(
                "FID",
                ColumnData::Str(self.samples.iter().map(|s| s.fid.clone()).collect()),
            );
        }
        f.push(
            "IID",
            ColumnData::Str(self.samples.iter().map(|s| Some(s.iid.clone())).collect()),
        );
        f.push(
            "structure",
            ColumnData::Str(self.structures.iter().cloned().map(Some).collect()),
        );
        for (k, name) in self.feature_names.iter().enumerate() {
            f.push(
                name.clone(),
                ColumnData::F64((0..self.n_rows()).map(|i| Some(self.row(i)[k])).collect()),
            );
        }
        f
    }

    fn from_frame(path: &Path, mut frame: Frame) -> Result<Self> {
        let iids = frame.take_str("IID");
        let fids = frame.column("FID").is_some().then(|| frame.take_str("FID"));
        let structures: Vec<String> = frame
            .take_str("structure")
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        let n = iids.len();
        let samples: Vec<SampleId> = iids
            .into_iter()
            .enumerate()
            .map(|(i, iid)| SampleId {
                fid: fids.as_ref().and_then(|f| f[i].clone()),
                iid: iid.unwrap_or_default(),
            })
            .collect();
        let mut seen = HashSet::new();
        for (i, (s, st)) in samples.iter().zip(&structures).enumerate() {
            if !seen.insert((s.iid.as_str(), st.as_str())) {
                return Err(TableError::Record {
                    path: path.into(),
                    place: Place::Row(i + 1),
                    message: format!("sample {:?} has structure {st:?} twice", s.iid),
                });
            }
        }
        let feature_names: Vec<String> = frame.columns.iter().map(|c| c.name.clone()).collect();
        let columns: Vec<Vec<Option<f64>>> = feature_names
            .iter()
            .map(|name| frame.take_f64(name))
            .collect();
        let mut values = Vec::with_capacity(n * columns.len());
        for i in 0..n {
            values.extend(columns.iter().map(|c| c[i].unwrap_or(f64::NAN)));
        }
        Ok(Self {
            samples,
            structures,
            feature_names,
            values,
            metadata: frame.metadata,
        })
    }
}
