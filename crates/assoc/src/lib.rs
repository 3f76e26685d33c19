//! Association tests of imaging biomarkers: two-sample tests between groups of subjects
//! (maximum mean discrepancy and companions, [`mmd`]).

pub mod mmd;
