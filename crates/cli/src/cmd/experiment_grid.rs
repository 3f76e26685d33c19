//! Grid specs of `experiment --grid FILE`: the founding studies' comparisons as rows. Each
//! non-empty line that does not start with `#` is `NAME OPTION…`, the options being
//! `train`'s (`--tasks`, `--balance`, `--weights` and every model option, e.g.
//! `convex07 --tasks recon,class --balance convex --alpha 0.7` or
//! `sparse --l1 0.01 --recon-loss dice-tpr`). A row starts from the experiment's own model
//! options; what the row names replaces them. A row with `--head-target` trains a classifier
//! head (see [`super::experiment::transfer_row`]); its `--init-encoder @NAME` names an
//! earlier row.

use std::path::Path;

use anyhow::Context;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};

use super::experiment::GridRun;
use super::train::{balance_config, parse_tasks, ModelArgs, TaskArgs};

/// The options of one grid row.
#[derive(Debug, Clone, Parser)]
#[command(no_binary_name = true)]
pub struct GridRowArgs {
    /// Model and optimisation.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Active tasks and their weighting.
    #[command(flatten)]
    pub task: TaskArgs,
}

fn value_name<T: ValueEnum>(v: &T) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

fn join<T: ToString>(v: &[T]) -> String {
    v.iter().map(T::to_string).collect::<Vec<_>>().join(",")
}

/// The experiment's model options as (argument id, tokens), so a row can take over those it
/// does not name.
fn base_tokens(m: &ModelArgs) -> Vec<(&'static str, Vec<String>)> {
    let one = |flag: &str, value: String| vec![format!("--{flag}"), value];
    let mut tokens = vec![
        ("feature_maps", one("feature-maps", join(&m.feature_maps))),
        ("bottleneck", one("bottleneck", m.bottleneck.to_string())),
        ("head_hidden", one("head-hidden", m.head_hidden.to_string())),
        ("upsampling", one("upsampling", value_name(&m.upsampling))),
        ("recon_loss", one("recon-loss", value_name(&m.recon_loss))),
        ("alpha", one("alpha", m.alpha.to_string())),
        ("balance_lr", one("balance-lr", m.balance_lr.to_string())),
        ("lr", one("lr", m.lr.to_string())),
        (
            "weight_decay",
            one("weight-decay", m.weight_decay.to_string()),
        ),
        ("batch_size", one("batch-size", m.batch_size.to_string())),
        ("epochs", one("epochs", m.epochs.to_string())),
        ("patience", one("patience", m.patience.to_string())),
        ("seed", one("seed", m.seed.to_string())),
        (
            "val_fraction",
            one("val-fraction", m.val_fraction.to_string()),
        ),
        (
            "test_fraction",
            one("test-fraction", m.test_fraction.to_string()),
        ),
        ("split_seed", one("split-seed", m.split_seed.to_string())),
        ("l1", one("l1", m.variants.l1.to_string())),
        (
            "architecture",
            one("architecture", value_name(&m.variants.architecture)),
        ),
        ("dropout", one("dropout", m.variants.dropout.to_string())),
        ("sharing", one("sharing", value_name(&m.variants.sharing))),
        (
            "stitch_init",
            one("stitch-init", m.variants.stitch_init.to_string()),
        ),
        (
            "context_mode",
            one("context-mode", value_name(&m.variants.context_mode)),
        ),
    ];
    // Transfer-learning options a row without them inherits (harmless for autoencoder rows).
    tokens.push((
        "freeze_epochs",
        one("freeze-epochs", m.variants.freeze_epochs.to_string()),
    ));
    tokens.push((
        "encoder_lr_factor",
        one(
            "encoder-lr-factor",
            m.variants.encoder_lr_factor.to_string(),
        ),
    ));
    if let Some(p) = &m.variants.pheno {
        tokens.push(("pheno", one("pheno", p.display().to_string())));
    }
    if !m.variants.aux_pheno.is_empty() {
        let t = m
            .variants
            .aux_pheno
            .iter()
            .flat_map(|p| ["--aux-pheno".to_string(), p.display().to_string()])
            .collect();
        tokens.push(("aux_pheno", t));
    }
    if !m.variants.context_structures.is_empty() {
        tokens.push((
            "context_structures",
            one("context-structures", join(&m.variants.context_structures)),
        ));
    }
    tokens
}

/// The runs of a grid file, each with its own model options on top of `base`.
pub fn read_grid(path: &Path, base: &ModelArgs) -> anyhow::Result<Vec<(GridRun, ModelArgs)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut runs: Vec<(GridRun, ModelArgs)> = Vec::new();
    // Every row's name and line, so `--init-encoder @NAME` can tell a later row from none.
    let all_names: Vec<(String, usize)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim().starts_with('#'))
        .filter_map(|(i, l)| l.split_whitespace().next().map(|n| (n.to_string(), i + 1)))
        .collect();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{}:{}", path.display(), i + 1);
        let mut tokens = line.split_whitespace();
        let name = tokens.next().unwrap_or_default().to_string();
        anyhow::ensure!(
            !name.starts_with('-')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+._-".contains(c)),
            "{}: the run name {name:?} must come first and use only letters, digits, + . _ -",
            at()
        );
        anyhow::ensure!(
            runs.iter().all(|(r, _)| r.name != name),
            "{}: run name {name:?} is used twice",
            at()
        );
        let own: Vec<String> = tokens.map(str::to_string).collect();
        // Which options the row names itself.
        let matches = GridRowArgs::command()
            .try_get_matches_from(&own)
            .map_err(|e| anyhow::anyhow!("{}: {}", at(), e.render()))?;
        let named = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
        let mut argv: Vec<String> = base_tokens(base)
            .into_iter()
            .filter(|(id, _)| !named(id))
            .flat_map(|(_, t)| t)
            .collect();
        argv.extend(own);
        let m = GridRowArgs::command()
            .try_get_matches_from(&argv)
            .map_err(|e| anyhow::anyhow!("{}: {}", at(), e.render()))?;
        let row =
            GridRowArgs::from_arg_matches(&m).map_err(|e| anyhow::anyhow!("{}: {e}", at()))?;
        if row.model.variants.head_target.is_some() {
            check_transfer_row(&row.model, &name, &runs, &all_names).with_context(at)?;
        }
        let tasks = parse_tasks(&row.task.tasks).with_context(at)?;
        let balance = balance_config(row.task.balance, &row.model, &row.task.weights);
        biomarker_deep::balance::Balancer::new(balance.clone(), tasks.len()).with_context(at)?;
        row.model.variants.variants().validate().with_context(at)?;
        row.model.variants.sharing().validate().with_context(at)?;
        runs.push((
            GridRun {
                name,
                tasks,
                balance,
            },
            row.model,
        ));
    }
    anyhow::ensure!(!runs.is_empty(), "{}: no runs", path.display());
    Ok(runs)
}

/// A transfer-learning row's options: valid head training, and an `--init-encoder @NAME`
/// that names an earlier row.
fn check_transfer_row(
    model: &ModelArgs,
    name: &str,
    earlier: &[(GridRun, ModelArgs)],
    all: &[(String, usize)],
) -> anyhow::Result<()> {
    super::train_variants::transfer_config(model).validate()?;
    let init = model.variants.init_encoder.as_deref();
    if let Some(source) = super::experiment::transfer_row::row_reference(init) {
        if earlier.iter().any(|(r, _)| r.name == source) {
            return Ok(());
        }
        if source == name {
            anyhow::bail!("--init-encoder @{source}: a row cannot start from itself");
        }
        match all.iter().find(|(n, _)| *n == source) {
            Some((_, line)) => anyhow::bail!(
                "--init-encoder @{source}: row {source:?} comes later (line {line}); a row can start only from an earlier row"
            ),
            None => anyhow::bail!("--init-encoder @{source}: no row named {source:?}"),
        }
    }
    Ok(())
}

/// Short name of a task weighting for the results table.
pub fn balance_name(b: &biomarker_deep::balance::BalanceConfig) -> String {
    use biomarker_deep::balance::BalanceConfig::*;
    match b {
        Equal => "equal".into(),
        Fixed { .. } => "fixed".into(),
        GradNorm { .. } => "gradnorm".into(),
        Uncertainty { .. } => "uncertainty".into(),
        Convex { alpha } => format!("convex{alpha}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ModelArgs {
        GridRowArgs::try_parse_from(["--epochs", "3", "--l1", "0.5"])
            .unwrap()
            .model
    }

    #[test]
    fn rows_inherit_the_experiment_options_and_override_what_they_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.txt");
        std::fs::write(
            &path,
            "# comparisons\nconvex --tasks recon,class --balance convex --alpha 0.7\n\n\
             sparse --l1 0.01 --recon-loss dice-tpr --epochs 5\n",
        )
        .unwrap();
        let runs = read_grid(&path, &base()).unwrap();
        assert_eq!(runs.len(), 2);
        let (g, m) = &runs[0];
        assert_eq!(g.name, "convex");
        assert_eq!(g.tasks.len(), 2);
        assert_eq!(
            g.balance,
            biomarker_deep::balance::BalanceConfig::Convex { alpha: 0.7 }
        );
        assert_eq!((m.epochs, m.variants.l1), (3, 0.5));
        let (g, m) = &runs[1];
        assert_eq!(g.tasks.len(), 3);
        assert_eq!((m.epochs, m.variants.l1), (5, 0.01));
        assert_eq!(value_name(&m.recon_loss), "dice-tpr");
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.txt");
        std::fs::write(&path, "a --l1 0.1\nb --balance convex --alpha 2\n").unwrap();
        let err = format!("{:#}", read_grid(&path, &base()).unwrap_err());
        assert!(err.contains("grid.txt:2") && err.contains("alpha"), "{err}");
        std::fs::write(&path, "a --no-such-option 1\n").unwrap();
        let err = format!("{:#}", read_grid(&path, &base()).unwrap_err());
        assert!(err.contains("grid.txt:1"), "{err}");
        std::fs::write(&path, "a --l1 0.1\na --l1 0.2\n").unwrap();
        assert!(read_grid(&path, &base()).is_err());
    }

    #[test]
    fn transfer_rows_start_from_earlier_rows_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.txt");
        std::fs::write(
            &path,
            "ae --tasks recon\n\
             head --head-target dx --init-encoder @ae --freeze-epochs 2 --aux-columns sex --feed-aux\n",
        )
        .unwrap();
        let mut base = base();
        base.variants.pheno = Some("pheno.tsv".into());
        let runs = read_grid(&path, &base).unwrap();
        let m = &runs[1].1;
        assert_eq!(m.variants.head_target.as_deref(), Some("dx"));
        assert_eq!(m.variants.init_encoder.as_deref(), Some(Path::new("@ae")));
        assert_eq!(m.variants.freeze_epochs, 2);
        assert_eq!(m.variants.aux_columns, vec!["sex".to_string()]);
        assert!(m.variants.feed_aux);
        // Inherited from the experiment's options.
        assert_eq!(m.variants.pheno.as_deref(), Some(Path::new("pheno.tsv")));
        for (grid, wanted) in [
            (
                "head --head-target dx --init-encoder @ae\nae --tasks recon\n",
                "grid.txt:1: --init-encoder @ae: row \"ae\" comes later (line 2)",
            ),
            (
                "ae --tasks recon\nhead --head-target dx --init-encoder @nope\n",
                "grid.txt:2: --init-encoder @nope: no row named \"nope\"",
            ),
            (
                "head --head-target dx --init-encoder @head\n",
                "grid.txt:1: --init-encoder @head: a row cannot start from itself",
            ),
            ("a --aux-columns sex\n", "grid.txt:1"),
        ] {
            std::fs::write(&path, grid).unwrap();
            let err = format!("{:#}", read_grid(&path, &base).unwrap_err());
            assert!(err.contains(wanted), "{err}");
        }
    }
}
