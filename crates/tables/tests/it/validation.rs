//! Bad tables are refused with the file, line or row, column and value named, and nothing
//! is written when an output would be invalid.

use std::path::Path;

use biomarker_tables::io::FrameSink;
use biomarker_tables::parquet_io::ParquetFrames;
use biomarker_tables::{
    ColumnData, Frame, GwasTable, MmdTable, PhenoTable, RunManifest, TableKind,
};

const GWAS_HEADER: &str = "PHENO\tCHROM\tPOS\tID\tREF\tALT\tA1\tOMITTED\tA1_FREQ\tMODEL\tFIRTH\tTEST\tOBS_CT\tBETA\tSE\tSTAT\tP\tLOG10P\tERRCODE";

fn gwas_line(p: &str) -> String {
    format!("y\t1\t100\trs1\tA\tG\tG\tA\t0.2\tlinear\tNA\tADD\t100\t0.1\t0.01\t10\t{p}\t3\tNA")
}

/// A valid two-row GwasTable text file in `dir`.
fn two_good_rows(dir: &Path) -> std::path::PathBuf {
    write(
        dir,
        "g.tsv",
        &format!(
            "{GWAS_HEADER}\n{}\n{}\n",
            gwas_line("0.5"),
            gwas_line("0.25")
        ),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn out_of_range_values_name_line_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "g.tsv",
        &format!(
            "{GWAS_HEADER}\n{}\n{}\n",
            gwas_line("0.5"),
            gwas_line("1.5")
        ),
    );
    let err = GwasTable::read(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("g.tsv: line 3, column \"P\": expected ≤ 1 (found \"1.5\")"),
        "{err}"
    );
}

#[test]
fn empty_and_na_ids_are_refused() {
    // An empty field in a string column that forbids null is an empty string, which the
    // ID's minLength refuses; `NA` there is a missing value, which the type refuses.
    let dir = tempfile::tempdir().unwrap();
    for (id, expected) in [("", "at least 1"), ("NA", "expected string")] {
        let line = gwas_line("0.5").replace("\trs1\t", &format!("\t{id}\t"));
        let path = write(dir.path(), "g.tsv", &format!("{GWAS_HEADER}\n{line}\n"));
        let err = GwasTable::read(&path).unwrap_err().to_string();
        assert!(
            err.contains("g.tsv: line 2, column \"ID\"") && err.contains(expected),
            "{id:?}: {err}"
        );
    }
}

#[test]
fn non_numbers_and_bad_enums_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "g.tsv",
        &format!("{GWAS_HEADER}\n{}\n", gwas_line("abc")),
    );
    let err = GwasTable::read(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("line 2, column \"P\": expected a number (found \"abc\")"),
        "{err}"
    );
    let line = gwas_line("0.5").replace("linear", "probit");
    let path = write(dir.path(), "h.tsv", &format!("{GWAS_HEADER}\n{line}\n"));
    let err = GwasTable::read(&path).unwrap_err().to_string();
    assert!(
        err.contains(
            "column \"MODEL\": expected one of [\"linear\",\"logistic\"] (found \"probit\")"
        ),
        "{err}"
    );
}

#[test]
fn missing_and_unknown_columns_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let header = GWAS_HEADER.replace("\tLOG10P", "");
    let path = write(dir.path(), "g.tsv", &format!("{header}\n"));
    let err = GwasTable::read(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("GwasTable table lacks required column(s) LOG10P"),
        "{err}"
    );
    let path = write(dir.path(), "m.tsv", "structure\tgroup_a\tgroup_b\tn_a\tn_b\testimator\tkernel\tstatistic\tp_value\tnull_method\tcolour\n");
    let err = MmdTable::read(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("MmdTable table has unknown column(s) colour"),
        "{err}"
    );
}

#[test]
fn ragged_lines_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "g.tsv",
        &format!("{GWAS_HEADER}\n{}\textra\n", gwas_line("0.5")),
    );
    let err = GwasTable::read(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("line 2: expected 19 fields as in the header, found 20"),
        "{err}"
    );
}

#[test]
fn parquet_rows_and_types_are_validated_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.parquet");
    let good = two_good_rows(dir.path());
    let mut frame = GwasTable::read(&good).unwrap().to_frame();
    // Streamed a row at a time, a valid table gives back its rows and metadata.
    let streamed = dir.path().join("s.parquet");
    biomarker_tables::io::write_frame(&streamed, &frame, GwasTable::schema()).unwrap();
    let whole = biomarker_tables::io::read_frame(&streamed, GwasTable::schema()).unwrap();
    let batches: Vec<Frame> = ParquetFrames::open(&streamed, GwasTable::schema(), 1)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(batches.len(), 2);
    for (row, batch) in batches.iter().enumerate() {
        assert_eq!(batch.metadata, whole.metadata);
        assert_eq!(batch.columns.len(), whole.columns.len());
        for (b, w) in batch.columns.iter().zip(&whole.columns) {
            assert_eq!((&b.name, b.data.len()), (&w.name, 1));
            assert_eq!(b.data.cell(0), w.data.cell(row), "column {}", b.name);
        }
    }
    // Write a frame that breaks the schema by going around the validating writer.
    if let Some(ColumnData::F64(p)) = frame
        .columns
        .iter_mut()
        .find(|c| c.name == "P")
        .map(|c| &mut c.data)
    {
        p[1] = Some(-0.5);
    }
    let sink = biomarker_tables::parquet_io::ParquetSink::create(&path, &frame).unwrap();
    sink.finish().unwrap();
    let err = GwasTable::read(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("g.parquet: row 2, column \"P\": expected ≥ 0 (found \"-0.5\")"),
        "{err}"
    );
    // Streaming stops at the same row with the same error, the rows before it delivered.
    let mut frames = ParquetFrames::open(&path, GwasTable::schema(), 1).unwrap();
    assert_eq!(frames.next().unwrap().unwrap().n_rows(), 1);
    assert_eq!(frames.next().unwrap().unwrap_err().to_string(), err);
    // A column stored with the wrong type.
    let mut bad = Frame::default();
    bad.push("IID", ColumnData::F64(vec![Some(1.0)]));
    let path = dir.path().join("p.parquet");
    biomarker_tables::parquet_io::ParquetSink::create(&path, &bad)
        .unwrap()
        .finish()
        .unwrap();
    let err = PhenoTable::read(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("column \"IID\" is stored as Float64, expected Str"),
        "{err}"
    );
}

#[test]
fn invalid_output_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.tsv");
    let good = write(
        dir.path(),
        "g.tsv",
        &format!("{GWAS_HEADER}\n{}\n", gwas_line("0.5")),
    );
    let table = GwasTable::read(&good).unwrap();
    let mut sink = FrameSink::create(&path, &table.to_frame(), GwasTable::schema()).unwrap();
    let mut bad = table.clone();
    bad.records[0].a1_freq = Some(2.0);
    let err = sink
        .write(&GwasTable::frame_of(&bad.records))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 2, column \"A1_FREQ\": expected ≤ 1"),
        "{err}"
    );
    drop(sink);
    assert!(!path.exists(), "an abandoned sink left a file");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "temporaries left: {names:?}");
}

#[test]
fn manifest_errors_carry_a_json_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = RunManifest::start("0.1.0", "scan", vec![], serde_json::json!({}));
    let path = dir.path().join("m.json");
    m.write(&path).unwrap();
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    value["timings"] = serde_json::json!([{"step": "x", "seconds": -1}]);
    std::fs::write(&path, value.to_string()).unwrap();
    let err = RunManifest::read(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("m.json: at /timings/0/seconds: expected ≥ 0"),
        "{err}"
    );
    value.as_object_mut().unwrap().remove("version");
    std::fs::write(&path, value.to_string()).unwrap();
    let err = RunManifest::read(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("at : missing required property \"version\""),
        "{err}"
    );
    m.subcommand = String::new();
    let err = m.write(&dir.path().join("n.json")).unwrap_err().to_string();
    assert!(
        err.contains("at /subcommand: expected at least 1 character(s)"),
        "{err}"
    );
    assert!(!dir.path().join("n.json").exists());
}

#[test]
fn columns_checked_as_a_whole_still_name_the_bad_cell() {
    // BETA and CHROM carry no per-value rule, so a valid batch passes them without a check
    // per cell; a bad cell among good ones must still be found and named.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.parquet");
    let good = two_good_rows(dir.path());
    let table = GwasTable::read(&good).unwrap();
    let mut sink = FrameSink::create(&path, &table.to_frame(), GwasTable::schema()).unwrap();
    sink.write(&GwasTable::frame_of(&table.records)).unwrap();
    let mut bad = table.clone();
    bad.records[1].beta = Some(f64::INFINITY);
    let err = sink
        .write(&GwasTable::frame_of(&bad.records))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 6, column \"BETA\"") && err.contains("finite"),
        "{err}"
    );
}
