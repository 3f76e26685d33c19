//! Integration tests of biomarker-report: computed quantities against peers' numbers,
//! plots that parse and are not blank, and the HTML report.

mod browser;
mod common;
mod plots;
mod qq_reference;
mod study;
