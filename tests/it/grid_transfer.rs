//! `experiment --grid` with transfer-learning rows: pretrain an autoencoder, then train
//! classifier heads on its encoder (frozen, fine-tuned, with auxiliary clinical tasks) and on a
//! context-input encoder, all in one grid; the heads' held-out metrics land in results.tsv.

use std::collections::BTreeMap;
use std::path::Path;

use crate::bgwas_ok as run;
use crate::deep::{cohort, tiny_args};

/// The raw bytes of every tensor of a safetensors file whose name passes `keep`.
fn tensors(path: &Path, keep: impl Fn(&str) -> bool) -> BTreeMap<String, Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let data = &bytes[8 + n..];
    header
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| *name != "__metadata__" && keep(name))
        .map(|(name, t)| {
            let o = &t["data_offsets"];
            let (a, b) = (o[0].as_u64().unwrap(), o[1].as_u64().unwrap());
            (name.clone(), data[a as usize..b as usize].to_vec())
        })
        .collect()
}

fn is_encoder(name: &str) -> bool {
    name.starts_with("enc.") || name.starts_with("bottleneck.")
}

#[test]
fn grid_runs_transfer_and_aux_rows() {
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path());
    let sim = dir.path().to_str().unwrap();
    // Big ball (radius index ≥ 2) vs small; the radius itself is a related auxiliary column,
    // the subject number's parity an unrelated one.
    let pheno_path = crate::deep::ball_pheno(dir.path());
    let grid = dir.path().join("grid.txt");
    std::fs::write(
        &grid,
        "# pretrain, then transfer with and without auxiliary tasks\n\
         ae --tasks recon,class --balance equal --epochs 2\n\
         frozen --head-target big_ball --init-encoder @ae --freeze-epochs 2\n\
         tuned --head-target big_ball --init-encoder @ae --freeze-epochs 1 --encoder-lr-factor 0.5\n\
         aux --head-target big_ball --init-encoder @ae --freeze-epochs 1 --aux-columns ball_r,parity --feed-aux\n\
         ctx-in --tasks recon --context-structures box --context-mode input\n\
         ctx-head --head-target big_ball --init-encoder @ctx-in --freeze-epochs 1\n",
    )
    .unwrap();
    let exp = dir.path().join("exp");
    let args = tiny_args(
        "experiment",
        sim,
        crate::s(&exp),
        "2",
        &["--grid", crate::s(&grid), "--pheno", crate::s(&pheno_path)],
    );
    run(&args);
    let table = std::fs::read_to_string(exp.join("results.tsv")).unwrap();
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: BTreeMap<&str, Vec<&str>> = lines
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), header.len(), "{l}");
            (cells[0], cells)
        })
        .collect();
    assert_eq!(rows.len(), 6, "{table}");
    let unit = |row: &str, c: &str| -> f64 {
        let v: f64 = rows[row][col(c)]
            .parse()
            .unwrap_or_else(|_| panic!("{row} {c}: {table}"));
        assert!((0.0..=1.0).contains(&v), "{row} {c} = {v}");
        v
    };
    for head in ["frozen", "tuned", "aux", "ctx-head"] {
        assert_eq!(rows[head][col("head_target")], "big_ball");
        assert_eq!(rows[head][col("tasks")], "head");
        for c in [
            "head_auc",
            "head_accuracy",
            "head_sensitivity",
            "head_specificity",
        ] {
            unit(head, c);
        }
        // No autoencoder metrics for a head row; its encoder's downstream value is measured.
        assert_eq!(rows[head][col("dice")], "NA");
        unit(head, "pc1_volume_abs_r");
        let m: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(exp.join(format!("runs/{head}/test_metrics.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(m["n"], 4, "{head}: {m}");
        let auc: f64 = rows[head][col("head_auc")].parse().unwrap();
        assert!((auc - m["auc"].as_f64().unwrap()).abs() < 1e-6);
    }
    for ae in ["ae", "ctx-in"] {
        unit(ae, "dice");
        for c in transfer_columns() {
            assert_eq!(rows[ae][col(c)], "NA", "{ae} {c}");
        }
    }
    // Frozen for every epoch: the encoder is its source's, bit for bit; fine-tuned, it moved.
    let source = tensors(&exp.join("runs/ae/model.safetensors"), is_encoder);
    assert!(!source.is_empty());
    let frozen = tensors(&exp.join("runs/frozen/model.safetensors"), is_encoder);
    assert_eq!(frozen, source);
    let tuned = tensors(&exp.join("runs/tuned/model.safetensors"), is_encoder);
    assert_eq!(tuned.len(), source.len());
    assert_ne!(tuned, source);
    // The head on the context-input encoder keeps its extra input channel.
    let card = std::fs::read_to_string(exp.join("runs/ctx-head/model.json")).unwrap();
    assert!(card.contains("\"input\"") && card.contains("box"), "{card}");
    // Spearman verdicts of the auxiliary row: the radius kept, the parity dropped.
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(exp.join("runs/aux/transfer.json")).unwrap())
            .unwrap();
    let aux = t["aux"].as_array().unwrap();
    assert_eq!(aux.len(), 2, "{t}");
    assert_eq!(
        (&aux[0]["name"], &aux[0]["kept"]),
        (&"ball_r".into(), &true.into())
    );
    assert_eq!(
        (&aux[1]["name"], &aux[1]["kept"]),
        (&"parity".into(), &false.into())
    );
    let rho = aux[0]["spearman"]["rho"].as_f64().unwrap();
    let p = aux[0]["spearman"]["p"].as_f64().unwrap();
    assert!(rho > 0.5 && p < 0.05, "{t}");
    assert_eq!(t["feed_aux"], true);
    assert_eq!(rows["aux"][col("aux_kept")], "ball_r");
    assert_eq!(rows["frozen"][col("aux_kept")], "NA");

    // A rerun skips every finished row and writes the same table.
    run(&args);
    assert_eq!(
        std::fs::read_to_string(exp.join("results.tsv")).unwrap(),
        table
    );

    // A row may start only from an earlier row.
    std::fs::write(
        &grid,
        "head --head-target big_ball --init-encoder @ae\nae --tasks recon\n",
    )
    .unwrap();
    let mut bad = args.clone();
    bad.remove(0);
    let o = crate::bgwas(&bad);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("grid.txt:1") && e.contains("row \"ae\" comes later (line 2)"),
        "{e}"
    );
    // A head is a row's option, not the whole experiment's.
    let mut bad = args.clone();
    bad.remove(0);
    bad.extend(["--head-target", "big_ball"]);
    let o = crate::bgwas(&bad);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("--head-target belongs on a row"), "{e}");
}

fn transfer_columns() -> [&'static str; 6] {
    [
        "head_target",
        "head_auc",
        "head_accuracy",
        "head_sensitivity",
        "head_specificity",
        "aux_kept",
    ]
}
