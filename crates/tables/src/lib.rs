//! Typed tables shared by every biomarker-gwas stage.
//!
//! Stages never hand each other their own types: the simulator, the deep model, PCA, the
//! association tests and the reports meet only in the tables defined here. This crate owns
//!
//! - sample identity and the IID alignment that reports what each side lost ([`sample`]);
//! - PLINK-style phenotype/covariate tables with one-hot encoding ([`pheno`]);
//! - the typed tables FeatureTable, GwasTable, AssocTable, ComparisonTable, MmdTable and the
//!   run manifest ([`kinds`]), each validated against its JSON Schema in `data-schemas/`
//!   ([`schema`]);
//! - tab-separated text and Parquet IO for all of them ([`io`]), always atomic ([`atomic`]);
//! - PLINK 1 binary genotype files (.bed/.bim/.fam): reading in blocks of variants and
//!   writing ([`plink`]).

pub mod atomic;
pub mod error;
pub mod frame;
pub mod io;
pub mod kinds;
pub mod parquet_io;
pub mod pheno;
pub mod plink;
pub mod row_batch;
pub mod sample;
pub mod schema;
pub mod text;

pub use error::{Place, Result, TableError};
pub use frame::{Cell, Column, ColumnData, Frame};
pub use kinds::assoc::{AssocRecord, AssocTable};
pub use kinds::comparison::{ComparisonRecord, ComparisonTable};
pub use kinds::feature::FeatureTable;
pub use kinds::gwas::{GwasRecord, GwasTable};
pub use kinds::manifest::{FileDigest, RunManifest, StepTiming};
pub use kinds::mmd::{MmdRecord, MmdTable};
pub use kinds::TableKind;
pub use pheno::{DesignColumn, PhenoColumn, PhenoTable, PhenoValues};
pub use row_batch::RowBatch;
pub use sample::{Alignment, SampleId, Side};
