//! Reports.
//!
//! This crate will own: Manhattan, QQ, regional and training-curve plots (SVG and PNG), the
//! top-loci table, and the self-contained HTML study report.
