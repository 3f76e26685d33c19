//! The HTML report: one self-contained page (inline CSS, inline SVG figures, no network) from
//! a compile-time checked askama template, `templates/report.html`. Each section is present
//! only when its inputs are: the view types here hold an `Option` or a possibly empty list
//! per section. A few lines of inline script check after loading that every section and
//! figure has a size and record the result in `<body data-render-check>`, so a headless
//! browser can confirm the page rendered.

use askama::Template;

use crate::error::Result;

/// A file the report was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct InputRow {
    /// What it is ("GWAS table", "training log", …).
    pub kind: String,
    /// Path as given.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// A run manifest of an earlier step, shown as its key facts.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestView {
    /// The manifest file.
    pub path: String,
    /// Subcommand that ran.
    pub subcommand: String,
    /// Tool version.
    pub version: String,
    /// Command line as typed.
    pub command_line: String,
    /// Parameters, pretty JSON.
    pub parameters: String,
    /// "step: seconds" entries.
    pub timings: Vec<String>,
}

/// A table of pre-formatted cells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableView {
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
    /// Index of a row to highlight.
    pub highlight: Option<usize>,
    /// A line under the table ("showing 200 of 1,234 rows").
    pub note: String,
}

impl TableView {
    /// Whether row `i` is the highlighted one (template helper; takes the index by value or
    /// by reference).
    pub fn is_highlighted(&self, i: impl std::borrow::Borrow<usize>) -> bool {
        self.highlight == Some(*i.borrow())
    }
}

/// A figure to show inline.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureView {
    /// Caption.
    pub caption: String,
    /// The SVG document (inlined as is; it came from our own renderer).
    pub svg: String,
}

/// The training section.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingView {
    /// Loss and weight curves.
    pub figure: FigureView,
    /// Summary line (epochs, time).
    pub summary: String,
}

/// One phenotype's genome-wide results.
#[derive(Debug, Clone, PartialEq)]
pub struct PhenoView {
    /// Phenotype.
    pub name: String,
    /// HTML id of its block.
    pub anchor: String,
    /// Tested variants, λGC and hit counts.
    pub summary: String,
    /// Manhattan plot.
    pub manhattan: FigureView,
    /// QQ plot.
    pub qq: FigureView,
}

/// The top-loci section.
#[derive(Debug, Clone, PartialEq)]
pub struct LociView {
    /// How loci were formed.
    pub method: String,
    /// The table.
    pub table: TableView,
    /// Regional plots of the top loci.
    pub regional: Vec<FigureView>,
}

/// The whole page.
#[derive(Debug, Clone, PartialEq, Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    /// Page title.
    pub title: String,
    /// Tool name and version.
    pub tool: String,
    /// Input files.
    pub inputs: Vec<InputRow>,
    /// Manifests of earlier steps.
    pub manifests: Vec<ManifestView>,
    /// Training curves.
    pub training: Option<TrainingView>,
    /// Experiment grid.
    pub grid: Option<TableView>,
    /// PCA explained variance.
    pub pca_variance: Option<FigureView>,
    /// Latent-space scatter (e.g. t-SNE of the bottleneck).
    pub latent: Option<FigureView>,
    /// Latent-space PCA view (first two principal components), beside `latent`.
    pub latent_pca: Option<FigureView>,
    /// Feature associations.
    pub assoc: Option<TableView>,
    /// Deep features against volumes, per structure and outcome.
    pub comparison: Option<TableView>,
    /// MMD two-sample tests.
    pub mmd: Option<TableView>,
    /// Multi-phenotype Manhattan plot.
    pub multi: Option<FigureView>,
    /// Per-phenotype GWAS results.
    pub gwas: Vec<PhenoView>,
    /// Top loci.
    pub loci: Option<LociView>,
}

impl ReportPage {
    /// Renders the page.
    pub fn to_html(&self) -> Result<String> {
        Ok(self.render()?)
    }

    /// The ids of the sections this page has, in page order (what a browser check expects).
    pub fn section_ids(&self) -> Vec<&'static str> {
        let mut ids = vec!["inputs"];
        if self.training.is_some() {
            ids.push("training");
        }
        if self.grid.is_some() {
            ids.push("grid");
        }
        if self.pca_variance.is_some() || self.latent.is_some() || self.latent_pca.is_some() {
            ids.push("pca");
        }
        if self.assoc.is_some() || self.comparison.is_some() {
            ids.push("assoc");
        }
        if self.mmd.is_some() {
            ids.push("mmd");
        }
        if !self.gwas.is_empty() {
            ids.push("gwas");
        }
        if self.loci.is_some() {
            ids.push("loci");
        }
        ids
    }

    /// Number of figures on the page.
    pub fn n_figures(&self) -> usize {
        usize::from(self.training.is_some())
            + usize::from(self.pca_variance.is_some())
            + usize::from(self.latent.is_some())
            + usize::from(self.latent_pca.is_some())
            + usize::from(self.multi.is_some())
            + 2 * self.gwas.len()
            + self.loci.as_ref().map_or(0, |l| l.regional.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> ReportPage {
        ReportPage {
            title: "t <&>".into(),
            tool: "biomarker-gwas 0".into(),
            inputs: vec![],
            manifests: vec![],
            training: None,
            grid: None,
            pca_variance: None,
            latent: None,
            latent_pca: None,
            assoc: None,
            comparison: None,
            mmd: None,
            multi: None,
            gwas: vec![],
            loci: None,
        }
    }

    #[test]
    fn absent_inputs_leave_their_sections_out_and_text_is_escaped() {
        let html = empty().to_html().unwrap();
        assert!(html.contains("id=\"inputs\""));
        for id in ["training", "grid", "pca", "assoc", "mmd", "gwas", "loci"] {
            assert!(
                !html.contains(&format!("id=\"{id}\"")),
                "{id} present without input"
            );
        }
        assert!(
            html.contains("t &#60;&#38;&#62;") || html.contains("t &lt;&amp;&gt;"),
            "title not escaped"
        );
        assert_eq!(empty().section_ids(), ["inputs"]);
    }

    #[test]
    fn present_inputs_get_their_sections() {
        let mut page = empty();
        page.grid = Some(TableView {
            columns: vec!["alpha".into()],
            rows: vec![vec!["1.5".into()]],
            highlight: Some(0),
            note: String::new(),
        });
        page.mmd = Some(TableView {
            columns: vec!["q".into()],
            rows: vec![vec!["0.01".into()]],
            highlight: None,
            note: "n".into(),
        });
        let html = page.to_html().unwrap();
        assert!(html.contains("id=\"grid\"") && html.contains("id=\"mmd\""));
        assert!(html.contains("class=\"best\""));
        assert_eq!(page.section_ids(), ["inputs", "grid", "mmd"]);
    }
}
