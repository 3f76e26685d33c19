//! The study configuration (`run --config study.toml`): one section per step, parsed with
//! serde. Every key is optional except the `[data]` inputs; a key left out takes the default of
//! the step's subcommand (e.g. `[train] epochs` that of `train --epochs`). Unknown keys are an
//! error, and every error names the file and the key. Paths are relative to the file's folder.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

/// The whole study.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// Study folder: one subfolder per step (default `study` beside the config file).
    #[serde(default = "default_out")]
    pub out: PathBuf,
    /// The inputs.
    pub data: DataConfig,
    /// Training of the autoencoder (or a trained checkpoint).
    #[serde(default)]
    pub train: TrainConfig,
    /// Encoding of every subject × structure.
    #[serde(default)]
    pub encode: EncodeConfig,
    /// Feature PCA and genotype principal components.
    #[serde(default)]
    pub pca: PcaConfig,
    /// Feature association and the deep-against-volume comparison.
    #[serde(default)]
    pub assoc: AssocConfig,
    /// Two-sample tests between diagnosis groups.
    #[serde(default)]
    pub mmd: MmdConfig,
    /// Genome scans of every structure's PC and volume.
    #[serde(default)]
    pub scan: ScanConfig,
    /// The HTML report.
    #[serde(default)]
    pub report: ReportConfig,
    /// Latent-space views (t-SNE beside PCA) in the report; absent: no t-SNE.
    pub latent: Option<LatentConfig>,
}

fn default_out() -> PathBuf {
    "study".into()
}

/// `[data]`: the cohort's files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// Image manifest (`IID path` per line).
    pub images: PathBuf,
    /// Label table (`label name` per line).
    pub labels: PathBuf,
    /// PLINK fileset prefix (PREFIX.bed/.bim/.fam).
    pub bfile: PathBuf,
    /// Phenotype table: diagnosis, the case/control column, volumes and extra traits.
    pub phenotypes: PathBuf,
    /// Covariate table (age, sex, …).
    pub covariates: PathBuf,
    /// Column of `phenotypes` with the diagnosis groups.
    #[serde(default = "default_diagnosis")]
    pub diagnosis_column: String,
    /// Case/control column of `phenotypes` (1/2 coded).
    #[serde(default = "default_case_control")]
    pub case_control: String,
    /// Volume columns of `phenotypes` are `<prefix><structure>`.
    #[serde(default = "default_volume_prefix")]
    pub volume_prefix: String,
}

fn default_diagnosis() -> String {
    "diagnosis".into()
}
fn default_case_control() -> String {
    "ad_vs_cn".into()
}
fn default_volume_prefix() -> String {
    "vol_".into()
}

/// `[train]`: options of `train` (the defaults are `train`'s).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// A trained `train` output folder: no training, encode with it.
    pub checkpoint: Option<PathBuf>,
    /// Train on the first N subjects of the image manifest only (every subject is encoded).
    pub subjects: Option<usize>,
    /// Mask side in voxels.
    pub size: Option<usize>,
    /// Feature maps per encoder level.
    pub feature_maps: Option<Vec<usize>>,
    /// Bottleneck width.
    pub bottleneck: Option<usize>,
    /// Hidden width of the heads.
    pub head_hidden: Option<usize>,
    /// Active tasks (recon, class, volume).
    pub tasks: Option<Vec<String>>,
    /// Task weighting: equal, fixed, gradnorm, uncertainty.
    pub balance: Option<String>,
    /// Maximum epochs.
    pub epochs: Option<usize>,
    /// Early-stopping patience.
    pub patience: Option<usize>,
    /// Items per batch.
    pub batch_size: Option<usize>,
    /// AdamW learning rate.
    pub lr: Option<f64>,
    /// Seed of weights and shuffles.
    pub seed: Option<u64>,
    /// Seed of the subject split.
    pub split_seed: Option<u64>,
    /// Validation fraction.
    pub val_fraction: Option<f64>,
    /// Test fraction.
    pub test_fraction: Option<f64>,
    /// `cpu` or `cuda:N`.
    pub device: Option<String>,
}

/// `[encode]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodeConfig {
    /// Items per batch.
    pub batch_size: Option<usize>,
}

/// `[pca]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PcaConfig {
    /// Feature PCs kept per structure (the first is the structure's deep phenotype).
    pub components: Option<u32>,
    /// Scale features to unit variance before the PCA.
    pub scale: Option<bool>,
    /// Genotype principal components used as scan covariates.
    #[serde(default = "default_genotype_pcs")]
    pub genotype_pcs: u32,
    /// Seed of the randomized genotype PCA.
    pub seed: Option<u64>,
    /// LD-prune before the genotype PCA at this r².
    pub ld_r2: Option<f64>,
}

fn default_genotype_pcs() -> u32 {
    10
}

impl Default for PcaConfig {
    fn default() -> Self {
        Self {
            components: None,
            scale: None,
            genotype_pcs: default_genotype_pcs(),
            seed: None,
            ld_r2: None,
        }
    }
}

/// `[assoc]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssocConfig {
    /// `logistic` (the case/control column on each PC) or `ols`.
    #[serde(default = "default_assoc_model")]
    pub model: String,
    /// Outcome columns (default: `[data] case_control`).
    pub outcomes: Option<Vec<String>>,
    /// Predictor columns, `*` allowed.
    #[serde(default = "default_predictors")]
    pub predictors: Vec<String>,
    /// Covariate columns of `[data] covariates`.
    #[serde(default = "default_covariates")]
    pub covariates: Vec<String>,
    /// Also compare each structure's deep PC with its volume.
    #[serde(default = "yes")]
    pub compare: bool,
    /// Folds of the cross-validated AUC.
    pub cv_folds: Option<usize>,
    /// Seed of the folds.
    pub seed: Option<u64>,
}

fn default_assoc_model() -> String {
    "logistic".into()
}
fn default_predictors() -> Vec<String> {
    vec!["*_PC1".into()]
}
fn default_covariates() -> Vec<String> {
    vec!["age".into(), "sex".into()]
}
fn yes() -> bool {
    true
}

impl Default for AssocConfig {
    fn default() -> Self {
        Self {
            model: default_assoc_model(),
            outcomes: None,
            predictors: default_predictors(),
            covariates: default_covariates(),
            compare: true,
            cv_folds: None,
            seed: None,
        }
    }
}

/// `[mmd]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MmdConfig {
    /// Pairs `A:B` (default every pair of diagnosis groups).
    pub pairs: Option<Vec<String>>,
    /// Tests (unbiased, biased, linear, dfda, hotelling, energy).
    pub tests: Option<Vec<String>>,
    /// Kernel: gaussian, laplacian, linear.
    pub kernel: Option<String>,
    /// Permutations.
    pub permutations: Option<u32>,
    /// Seed of the permutations.
    pub seed: Option<u64>,
}

/// `[scan]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanConfig {
    /// Extra columns of `[data] phenotypes` scanned besides every PC and volume.
    #[serde(default)]
    pub phenotypes: Vec<String>,
    /// Covariate columns of `[data] covariates` (the genotype PCs are always added).
    #[serde(default = "default_covariates")]
    pub covariates: Vec<String>,
    /// Minimum minor-allele frequency.
    pub maf: Option<f64>,
    /// Maximum missing-call rate.
    pub geno: Option<f64>,
    /// Worker threads (0: one per core).
    pub threads: Option<usize>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            phenotypes: Vec::new(),
            covariates: default_covariates(),
            maf: None,
            geno: None,
            threads: None,
        }
    }
}

/// `[report]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Page title.
    pub title: Option<String>,
    /// p-value threshold of top loci.
    pub loci_p: Option<f64>,
    /// Also write PNG figures (default true).
    pub png: Option<bool>,
}

/// `[latent]`: when present, `encode` also writes the t-SNE of each structure's bottleneck
/// vectors (`encode --tsne`) and the report draws it beside their first two principal
/// components (`report --latent-features`), coloured by `[data] diagnosis_column`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatentConfig {
    /// Perplexity of the t-SNE (`encode --perplexity`, default 30).
    pub perplexity: Option<f64>,
    /// Most subjects per structure in the t-SNE, evenly spaced in the manifest
    /// (`encode --tsne-max-subjects`, default 1000): exact t-SNE costs O(n²) per iteration.
    pub max_subjects: Option<u64>,
}

impl StudyConfig {
    /// Reads `path`; relative paths in it become relative to its folder. Errors name the file
    /// and the key.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the study config {}", path.display()))?;
        let cfg = Self::parse(&text, path)?;
        cfg.check(path)?;
        Ok(cfg)
    }

    /// Parses `text` as if read from `path` (the files it names are not looked at).
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Self> {
        let mut cfg: StudyConfig = match toml::from_str(text) {
            Ok(c) => c,
            Err(e) => bail!("{}: {}", path.display(), e.to_string().trim_end()),
        };
        let base = path.parent().unwrap_or(Path::new(""));
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        rebase(&mut cfg.out);
        let d = &mut cfg.data;
        for p in [
            &mut d.images,
            &mut d.labels,
            &mut d.bfile,
            &mut d.phenotypes,
            &mut d.covariates,
        ] {
            rebase(p);
        }
        if let Some(c) = cfg.train.checkpoint.as_mut() {
            rebase(c);
        }
        Ok(cfg)
    }

    /// Every input named must exist and the values be usable: the error names the key.
    fn check(&self, path: &Path) -> anyhow::Result<()> {
        let d = &self.data;
        let bed = biomarker_tables::plink::fileset_paths(&d.bfile);
        let mut files = vec![
            ("data.images", d.images.clone()),
            ("data.labels", d.labels.clone()),
            ("data.phenotypes", d.phenotypes.clone()),
            ("data.covariates", d.covariates.clone()),
        ];
        files.extend(bed.into_iter().map(|p| ("data.bfile", p)));
        if let Some(c) = &self.train.checkpoint {
            files.push(("train.checkpoint", c.join("model.safetensors")));
        }
        for (key, file) in files {
            if !file.is_file() {
                bail!(
                    "{}: {key}: {} does not exist",
                    path.display(),
                    file.display()
                );
            }
        }
        if !["logistic", "ols"].contains(&self.assoc.model.as_str()) {
            bail!(
                "{}: assoc.model: expected \"logistic\" or \"ols\", found {:?}",
                path.display(),
                self.assoc.model
            );
        }
        if self.train.subjects == Some(0) {
            bail!("{}: train.subjects: must be at least 1", path.display());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = "[data]\nimages = \"i.tsv\"\nlabels = \"l.tsv\"\nbfile = \"g\"\nphenotypes = \"p.tsv\"\ncovariates = \"c.tsv\"\n";

    fn err(text: &str) -> String {
        StudyConfig::parse(text, Path::new("conf/study.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_documented_example_parses() {
        let path = Path::new("docs/study.toml");
        let cfg = StudyConfig::parse(include_str!("../../../../../docs/study.toml"), path).unwrap();
        assert_eq!(cfg.out, Path::new("docs/study"));
        assert_eq!(cfg.data.images, Path::new("docs/cohort/images.tsv"));
        assert_eq!(cfg.data.bfile, Path::new("docs/cohort/cohort"));
        assert_eq!(cfg.train.subjects, Some(200));
        assert_eq!(cfg.train.feature_maps, Some(vec![8, 16]));
        assert_eq!(cfg.train.lr, Some(0.001));
        assert_eq!(cfg.train.checkpoint, None);
        assert_eq!(cfg.pca.genotype_pcs, 10);
        assert_eq!(cfg.assoc.predictors, ["*_PC1"]);
        assert!(cfg.assoc.compare);
        assert_eq!(
            cfg.mmd.pairs.as_deref(),
            Some(&["AD:CN".to_string(), "MCI:CN".to_string()][..])
        );
        assert_eq!(cfg.scan.phenotypes, ["null_trait"]);
        assert_eq!(cfg.report.loci_p, Some(5e-8));
        let latent = cfg.latent.unwrap();
        assert_eq!(
            (latent.perplexity, latent.max_subjects),
            (Some(30.0), Some(1000))
        );
    }

    #[test]
    fn left_out_keys_take_the_defaults() {
        let cfg = StudyConfig::parse(DATA, Path::new("study.toml")).unwrap();
        assert_eq!(cfg.out, Path::new("study"));
        assert_eq!(cfg.data.case_control, "ad_vs_cn");
        assert_eq!(cfg.data.volume_prefix, "vol_");
        assert_eq!(cfg.train.epochs, None);
        assert_eq!(cfg.assoc.model, "logistic");
        assert_eq!(cfg.assoc.covariates, ["age", "sex"]);
        assert_eq!(cfg.scan.covariates, ["age", "sex"]);
        assert_eq!(cfg.pca.genotype_pcs, 10);
        assert!(cfg.latent.is_none());
        let cfg = StudyConfig::parse(&format!("{DATA}[latent]\n"), Path::new("s.toml")).unwrap();
        let latent = cfg.latent.unwrap();
        assert_eq!((latent.perplexity, latent.max_subjects), (None, None));
        let e = err(&format!("{DATA}[latent]\nsubjects = 5\n"));
        assert!(
            e.contains("unknown field `subjects`") && e.contains("max_subjects"),
            "{e}"
        );
    }

    #[test]
    fn absolute_paths_stay_and_relative_ones_follow_the_file() {
        let text = DATA.replace("\"g\"", "\"/data/g\"");
        let cfg = StudyConfig::parse(&text, Path::new("a/b/study.toml")).unwrap();
        assert_eq!(cfg.data.bfile, Path::new("/data/g"));
        assert_eq!(cfg.data.images, Path::new("a/b/i.tsv"));
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let e = err(&format!("{DATA}[train]\nepoch = 3\n"));
        assert!(e.starts_with("conf/study.toml: "), "{e}");
        assert!(e.contains("unknown field `epoch`"), "{e}");
        assert!(e.contains("epochs"), "{e}"); // the expected keys are listed
        assert!(e.contains("line 8"), "{e}");

        let e = err(&format!("{DATA}[train]\nepochs = \"three\"\n"));
        assert!(e.starts_with("conf/study.toml: "), "{e}");
        assert!(e.contains("epochs = \"three\""), "{e}");
        assert!(e.contains("invalid type: string \"three\""), "{e}");

        let e = err(&format!("{DATA}[sacn]\nmaf = 0.01\n"));
        assert!(e.contains("unknown field `sacn`"), "{e}");

        let e = err("[data]\nimages = \"i.tsv\"\n");
        assert!(e.contains("missing field `labels`"), "{e}");

        let e = err(&format!("{DATA}out = 3\n"));
        assert!(e.starts_with("conf/study.toml: "), "{e}");
    }

    #[test]
    fn missing_files_and_bad_values_name_the_key() {
        let dir = std::env::temp_dir().join(format!("bgwas-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in [
            "i.tsv", "l.tsv", "p.tsv", "c.tsv", "g.bed", "g.bim", "g.fam",
        ] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        let path = dir.join("study.toml");
        let check = |text: &str| {
            std::fs::write(&path, text).unwrap();
            StudyConfig::read(&path)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert_eq!(check(DATA), Ok(()));
        let e = check(&DATA.replace("p.tsv", "nope.tsv")).unwrap_err();
        assert_eq!(
            e,
            format!(
                "{}: data.phenotypes: {} does not exist",
                path.display(),
                dir.join("nope.tsv").display()
            )
        );
        let e = check(&DATA.replace("\"g\"", "\"h\"")).unwrap_err();
        assert!(
            e.contains("data.bfile: ") && e.contains("h.bed does not exist"),
            "{e}"
        );
        let e = check(&format!("{DATA}[train]\ncheckpoint = \"trained\"\n")).unwrap_err();
        assert!(e.contains("train.checkpoint: "), "{e}");
        let e = check(&format!("{DATA}[assoc]\nmodel = \"probit\"\n")).unwrap_err();
        assert!(
            e.contains("assoc.model: expected \"logistic\" or \"ols\""),
            "{e}"
        );
        let e = StudyConfig::read(&dir.join("absent.toml")).unwrap_err();
        assert!(format!("{e:#}").contains("absent.toml"), "{e:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
