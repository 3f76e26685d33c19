//! Reports of a biomarker-gwas study: Manhattan, QQ, regional, training and PCA plots (SVG and
//! PNG through plotters), the top-loci table with distance merging or LD clumping, and one
//! self-contained HTML page of the whole study (askama templates, plots inline).
//!
//! The computations that the plots rest on live in their own modules and are tested on
//! numbers: chromosome layout ([`genome`]), point thinning ([`thin`]), QQ points, band and
//! λGC ([`qq`]), loci ([`loci`]) and LD from PLINK genotypes ([`ld`]). The deep model's
//! outputs (training log, experiment grid) and the PCA variance table are read through the
//! small input types in [`inputs`]. [`plot`] draws, [`html`] renders the page and [`study`]
//! puts one report together from whatever inputs are given.

pub mod error;
pub mod genome;
pub mod html;
pub mod inputs;
pub mod ld;
pub mod loci;
pub mod plot;
pub mod qq;
pub mod study;
pub mod thin;

pub use error::{ReportError, Result};
