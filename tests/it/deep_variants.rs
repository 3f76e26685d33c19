//! The model variants end to end: `train` with convex weighting, an L1 penalty and the
//! generalised Dice loss (activation histogram and Dice per structure in the log); `train
//! --head-target` on that encoder with an auxiliary column chosen by Spearman selection; and
//! `experiment --grid` running variants as rows.

use crate::bgwas_ok as run;
use crate::deep::{cohort, tiny_args};
use biomarker_tables::TableKind;

#[test]
fn variants_train_transfer_and_grid() {
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path());
    let sim = dir.path().to_str().unwrap();
    let out = dir.path().join("ae");
    let args = tiny_args(
        "train",
        sim,
        crate::s(&out),
        "1",
        &[
            "--tasks",
            "recon,class",
            "--balance",
            "convex",
            "--alpha",
            "0.6",
            "--l1",
            "0.01",
            "--recon-loss",
            "generalized-dice",
        ],
    );
    assert!(run(&args).contains("test: dice"));
    let log = std::fs::read_to_string(out.join("train_log.jsonl")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(rec["weights"]["recon"], 0.6);
    assert!((rec["weights"]["class"].as_f64().unwrap() - 0.4).abs() < 1e-12);
    let hist = &rec["val"]["bottleneck"];
    let counts: u64 = hist["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    // Validation: 2 subjects × 2 structures × 4 bottleneck values.
    assert_eq!(counts, 16, "{hist}");
    assert!(rec["val"]["dice_by_structure"]["ball"].is_number());
    assert!(rec["val"]["dice_by_structure"]["box"].is_number());

    // A bad convex α is refused before any input is read.
    let bad = crate::bgwas(&[
        "train",
        "--sim-dir",
        sim,
        "--out",
        out.to_str().unwrap(),
        "--balance",
        "convex",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("alpha in [0, 1], got 1.5"));

    // Transfer: big ball (radius index ≥ 2) vs small, with the ball radius itself (related)
    // and the subject number's parity (unrelated) as auxiliary candidates.
    let pheno_path = crate::deep::ball_pheno(dir.path());
    let head = dir.path().join("head");
    let args = tiny_args(
        "train",
        sim,
        crate::s(&head),
        "2",
        &[
            "--head-target",
            "big_ball",
            "--pheno",
            crate::s(&pheno_path),
            "--init-encoder",
            crate::s(&out),
            "--freeze-epochs",
            "1",
            "--aux-columns",
            "ball_r,parity",
            "--feed-aux",
        ],
    );
    let stdout = run(&args);
    assert!(stdout.contains("AUC"), "{stdout}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(head.join("test_metrics.json")).unwrap())
            .unwrap();
    assert_eq!(m["n"], 4);
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(head.join("transfer.json")).unwrap())
            .unwrap();
    let aux = t["aux"].as_array().unwrap();
    assert_eq!(aux[0]["name"], "ball_r");
    assert_eq!(aux[0]["kept"], true, "{t}");
    assert_eq!(aux[1]["kept"], false, "{t}");
    let log = std::fs::read_to_string(head.join("transfer_log.jsonl")).unwrap();
    let frozen: Vec<bool> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["frozen"]
                .as_bool()
                .unwrap()
        })
        .collect();
    assert_eq!(frozen, vec![true, false]);
    // Bad inputs are named.
    let fail = |extra: &[&str]| -> String {
        let mut a = tiny_args(
            "train",
            sim,
            crate::s(&head),
            "1",
            &["--pheno", crate::s(&pheno_path)],
        );
        a.extend_from_slice(extra);
        // Without `-q`, as a user would run it.
        let o = crate::bgwas(&a[1..]);
        assert!(!o.status.success(), "{extra:?} succeeded");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = fail(&["--head-target", "no_such"]);
    assert!(e.contains("pheno.tsv") && e.contains("\"no_such\""), "{e}");
    let e = fail(&[
        "--head-target",
        "big_ball",
        "--init-encoder",
        "/nonexistent/run",
    ]);
    assert!(e.contains("/nonexistent/run: no such file"), "{e}");
    let e = fail(&["--head-target", "big_ball", "--aux-columns", "nope"]);
    assert!(e.contains("\"nope\"") && e.contains("pheno.tsv"), "{e}");
    let e = fail(&["--aux-columns", "ball_r"]);
    assert!(e.contains("--head-target"), "{e}");

    // The fine-tuned encoder encodes like any trained model.
    let features = dir.path().join("features.tsv");
    run(&[
        "-q",
        "encode",
        "--sim-dir",
        sim,
        "--model",
        head.to_str().unwrap(),
        "--out",
        features.to_str().unwrap(),
        "--size",
        "16",
        "--tsne",
        dir.path().join("tsne.tsv").to_str().unwrap(),
    ]);
    assert!(features.exists());
    // The t-SNE view is a latent scatter of the report, coloured by any column.
    let tsne = std::fs::read_to_string(dir.path().join("tsne.tsv")).unwrap();
    assert!(
        tsne.contains("tsne_1") && tsne.contains("layer=tsne"),
        "{tsne}"
    );
    let report = dir.path().join("report");
    run(&[
        "-q",
        "report",
        "--out",
        report.to_str().unwrap(),
        "--latent",
        dir.path().join("tsne.tsv").to_str().unwrap(),
        "--latent-features",
        features.to_str().unwrap(),
        "--pheno",
        pheno_path.to_str().unwrap(),
        "--diagnosis-column",
        "big_ball",
        "--no-png",
    ]);
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        html.contains("Latent space"),
        "no latent view in the report"
    );
    // Both views side by side: the PCA of the bottleneck and the t-SNE.
    let pair = &html[html.find("data-figure=\"latent\"").expect("latent views")..];
    let pair = &pair[..pair.find("</div>").unwrap()];
    assert!(pair.contains("data-view=\"pca\"") && pair.contains("data-view=\"latent\""));
    assert!(pair.contains("Latent space, PCA") && pair.contains("Latent space, t-SNE"));
    assert!(pair.contains("coloured by big_ball"));
    assert_eq!(pair.matches("<svg").count(), 2);
    // The PCA view's coordinates are crates/reduce's two-component scores of the features.
    let shown = biomarker_tables::FeatureTable::read(&report.join("latent_pca.tsv")).unwrap();
    let (_, expected) = biomarker_reduce::fit_features(
        &biomarker_tables::FeatureTable::read(&features).unwrap(),
        &biomarker_reduce::FeaturePcaOptions {
            pca: biomarker_reduce::PcaOptions {
                n_components: 2,
                scale: false,
            },
            volumes: None,
        },
    )
    .unwrap();
    assert_eq!(shown.feature_names, ["PC1", "PC2"]);
    for structure in ["ball", "box"] {
        let (ids, got) = shown.structure_matrix(structure);
        let (want_ids, want) = expected.structure_matrix(structure);
        assert_eq!(ids, want_ids);
        assert_eq!(got.len(), 2 * 12);
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                "{structure}: {g} vs {w}"
            );
        }
        // Not a constant: the view spreads the subjects.
        assert!(got.iter().any(|v| v.abs() > 1e-6), "{got:?}");
    }

    // Variants as experiment rows.
    let table = crate::deep::grid_results(
        dir.path(),
        sim,
        "1",
        "# variants\nconvex --tasks recon,class --balance convex --alpha 0.7\n\
         sparse --tasks recon --l1 0.05 --recon-loss dice-tpr\n\
         residual --tasks recon --architecture strided-residual --dropout 0.1\n\
         wm-in --tasks recon --context-structures box --context-mode input\n\
         wm-out --tasks recon --context-structures box --context-mode output\n",
        &[],
    );
    let exp = dir.path().join("exp");
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 5, "{table}");
    assert!(
        rows[0].starts_with("convex\trecon,class\tconvex0.7\t"),
        "{table}"
    );
    assert!(rows[1].starts_with("sparse\trecon\t"), "{table}");
    assert!(exp.join("runs/sparse/train_log.jsonl").exists());
    let card = std::fs::read_to_string(exp.join("runs/residual/model.json")).unwrap();
    assert!(card.contains("\"strided-residual\""), "{card}");
    let card = std::fs::read_to_string(exp.join("runs/wm-out/model.json")).unwrap();
    assert!(card.contains("\"output\""), "{card}");
}
