//! Cross-stitch sharing end to end: `train --sharing cross-stitch` (and its resume), `encode`
//! of both bottlenecks, transfer learning from a hard encoder into a cross-stitch model, bad
//! options refused, and `experiment --grid` rows comparing hard and cross-stitch sharing.

use crate::bgwas_ok as run;
use crate::deep::{cohort, tiny_args};

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn cross_stitch_train_encode_transfer_and_grid() {
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path());
    let sim = dir.path().to_str().unwrap();
    let out = dir.path().join("stitch");
    let mut args = tiny_args(
        "train",
        sim,
        crate::s(&out),
        "1",
        &["--sharing", "cross-stitch", "--stitch-init", "0.2"],
    );
    assert!(run(&args).contains("test: dice"));
    let card = json(&out.join("model.json"));
    assert_eq!(card["model"]["sharing"]["kind"], "cross-stitch", "{card}");
    assert_eq!(card["model"]["sharing"]["off_diagonal"], 0.2, "{card}");
    let manifest = json(&out.join("manifest.json"));
    assert!(manifest.to_string().contains("cross-stitch"), "{manifest}");
    // The safetensors header names the units (one 2×2 matrix per channel) and encoder B.
    let weights = std::fs::read(out.join("model.safetensors")).unwrap();
    let header = String::from_utf8_lossy(&weights[..weights.len().min(8192)]);
    assert!(
        header.contains(r#""enc.stitch.1.alpha":{"dtype":"F32","shape":[2,2,8]"#),
        "{header}"
    );
    assert!(header.contains("\"enc.b.bottleneck.weight\""), "{header}");
    // Extending the run by an epoch resumes from its checkpoint.
    args[7] = "2";
    args.push("--resume");
    run(&args);
    let log = std::fs::read_to_string(out.join("train_log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 2, "{log}");

    // Both bottlenecks encode; the main one is the default output.
    let (main, aux) = (dir.path().join("z.tsv"), dir.path().join("z_aux.tsv"));
    let encode = |model: &std::path::Path, extra: &[&str]| {
        let mut a = vec![
            "encode",
            "--sim-dir",
            sim,
            "--model",
            crate::s(model),
            "--out",
            crate::s(&main),
            "--size",
            "16",
        ];
        a.extend_from_slice(extra);
        crate::bgwas(&a)
    };
    let o = encode(&out, &["--aux-out", crate::s(&aux)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (main_text, aux_text) = (
        std::fs::read_to_string(&main).unwrap(),
        std::fs::read_to_string(&aux).unwrap(),
    );
    assert!(
        main_text.contains("layer=bottleneck") && !main_text.contains("bottleneck.aux"),
        "{main_text}"
    );
    assert!(aux_text.contains("layer=bottleneck.aux"), "{aux_text}");
    assert_eq!(main_text.lines().count(), aux_text.lines().count());
    assert_ne!(
        main_text.lines().last().unwrap(),
        aux_text.lines().last().unwrap()
    );

    // A bad initialisation is refused before any input is read.
    let bad = crate::bgwas(&[
        "train",
        "--sim-dir",
        "/nonexistent",
        "--out",
        dir.path().join("bad").to_str().unwrap(),
        "--sharing",
        "cross-stitch",
        "--stitch-init",
        "1.5",
    ]);
    assert!(!bad.status.success());
    let e = String::from_utf8_lossy(&bad.stderr);
    assert!(e.contains("off-diagonal") && e.contains("1.5"), "{e}");

    // Hard and cross-stitch sharing as grid rows.
    let table = crate::deep::grid_results(
        dir.path(),
        sim,
        "1",
        "hard --tasks recon,class,volume --balance equal\n\
         stitch --tasks recon,class,volume --balance uncertainty --sharing cross-stitch\n",
        &[],
    );
    let exp = dir.path().join("exp");
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[1].starts_with("stitch\t"), "{table}");
    let card = json(&exp.join("runs/stitch/model.json"));
    assert_eq!(card["model"]["sharing"]["kind"], "cross-stitch", "{card}");
    let card = std::fs::read_to_string(exp.join("runs/hard/model.json")).unwrap();
    assert!(!card.contains("sharing"), "{card}");
    // A hard model has no auxiliary bottleneck.
    let o = encode(&exp.join("runs/hard"), &["--aux-out", crate::s(&aux)]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("--aux-out") && e.contains("hard sharing"), "{e}");

    // Transfer: a hard encoder starts both encoders of a cross-stitch classifier.
    let head = dir.path().join("head");
    let stdout = run(&tiny_args(
        "train",
        sim,
        crate::s(&head),
        "1",
        &[
            "--head-target",
            "ad_vs_cn",
            "--init-encoder",
            crate::s(&exp.join("runs/hard")),
            "--sharing",
            "cross-stitch",
            "--freeze-epochs",
            "0",
        ],
    ));
    assert!(stdout.contains("AUC"), "{stdout}");
    let card = json(&head.join("model.json"));
    assert_eq!(card["model"]["sharing"]["kind"], "cross-stitch", "{card}");
}
