//! Rows streamed through a RowBatch read back exactly as the same rows written as a frame,
//! in both formats, are validated the same way, and come with the digest of the file.

use biomarker_tables::io::FrameSink;
use biomarker_tables::{FileDigest, Frame, GwasRecord, GwasTable, RowBatch, TableKind};

fn records() -> Vec<GwasRecord> {
    let record = |id: &str, p: Option<f64>, err: Option<&str>| GwasRecord {
        pheno: "q1".into(),
        chrom: "X".into(),
        pos: 12,
        id: id.into(),
        reference: "A".into(),
        alt: "GT".into(),
        a1: "GT".into(),
        omitted: "A".into(),
        a1_freq: Some(0.25),
        model: "logistic".into(),
        firth: p.map(|_| true),
        test: "ADD".into(),
        obs_ct: 7,
        beta: p.map(|_| -0.5),
        se: p.map(|_| 1e-300),
        stat: p.map(|_| 3.0),
        p,
        log10p: p.map(|p| -p.log10()),
        errcode: err.map(str::to_owned),
    };
    vec![
        record("rs1", Some(1e-310), None),
        record("rs2", None, Some("CONST_ALLELE")),
        record("rs3", Some(1.0), None),
    ]
}

/// Pushes every row of `frame` into `batch`.
fn push_all(batch: &mut RowBatch, frame: &Frame) {
    for row in 0..frame.n_rows() {
        let cells: Vec<_> = frame.columns.iter().map(|c| c.data.cell(row)).collect();
        batch.push_row(&cells);
    }
}

#[test]
fn streamed_rows_read_back_as_the_frame_they_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let table = GwasTable {
        records: records(),
        metadata: [("format".to_owned(), "test".to_owned())].into(),
    };
    let frame = table.to_frame();
    for name in ["g.parquet", "g.tsv"] {
        let path = dir.path().join(name);
        let mut template = GwasTable::frame_of(&[]);
        template.metadata = table.metadata.clone();
        let mut sink = FrameSink::create(&path, &template, GwasTable::schema()).unwrap();
        let mut batch = RowBatch::new(&template);
        // Two batches: the builders are reused after the first.
        for _ in 0..2 {
            push_all(&mut batch, &frame);
            assert_eq!(batch.rows(), 3);
            sink.write_rows(&mut batch).unwrap();
            assert_eq!(batch.rows(), 0);
        }
        // The digest hashed while writing is the file's.
        let digest = sink.finish_with_digest().unwrap();
        assert_eq!(digest, FileDigest::of(&path).unwrap(), "{name}");
        let back = GwasTable::read(&path).unwrap();
        let mut twice = table.records.clone();
        twice.extend(table.records.clone());
        assert_eq!(back.records, twice, "{name}");
        assert_eq!(back.metadata, table.metadata, "{name}");
    }
}

/// A GwasTable sink `g.parquet` in `dir` with the three good rows written, and a batch.
fn sink_with_good_rows(dir: &std::path::Path) -> (FrameSink, RowBatch) {
    let template = GwasTable::frame_of(&[]);
    let mut sink =
        FrameSink::create(&dir.join("g.parquet"), &template, GwasTable::schema()).unwrap();
    let mut batch = RowBatch::new(&template);
    push_all(&mut batch, &GwasTable::frame_of(&records()));
    sink.write_rows(&mut batch).unwrap();
    (sink, batch)
}

#[test]
fn a_bad_cell_in_a_later_batch_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (mut sink, mut batch) = sink_with_good_rows(dir.path());
    let mut bad = records();
    bad[1].a1_freq = Some(2.0);
    push_all(&mut batch, &GwasTable::frame_of(&bad));
    let err = sink.write_rows(&mut batch).unwrap_err().to_string();
    assert!(
        err.contains("g.parquet") && err.contains("row 5, column \"A1_FREQ\": expected ≤ 1"),
        "{err}"
    );
    // A column with nulls takes the other path through the check.
    let mut bad = records();
    bad[2].beta = Some(f64::INFINITY);
    assert_eq!(bad[1].beta, None);
    push_all(&mut batch, &GwasTable::frame_of(&bad));
    let err = sink.write_rows(&mut batch).unwrap_err().to_string();
    assert!(
        err.contains("row 6, column \"BETA\"") && err.contains("finite"),
        "{err}"
    );
    drop(sink);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
#[should_panic(expected = "column \"POS\" cannot hold")]
fn a_cell_of_the_wrong_kind_is_a_bug() {
    let frame = GwasTable::frame_of(&records());
    let mut cells: Vec<_> = frame.columns.iter().map(|c| c.data.cell(0)).collect();
    cells[2] = biomarker_tables::Cell::Str("12");
    RowBatch::new(&frame).push_row(&cells);
}

/// Appends every row of `frame` to `batch` column by column through the typed builders.
fn push_columns(batch: &mut RowBatch, frame: &Frame) {
    use biomarker_tables::ColumnData;
    for c in &frame.columns {
        let col = batch.column(&c.name);
        match &c.data {
            ColumnData::Str(v) => v
                .iter()
                .for_each(|x| batch.text(col).append_option(x.as_deref())),
            ColumnData::F64(v) => v.iter().for_each(|x| batch.float(col).append_option(*x)),
            ColumnData::I64(v) => v.iter().for_each(|x| batch.int(col).append_option(*x)),
            ColumnData::Bool(v) => v.iter().for_each(|x| batch.boolean(col).append_option(*x)),
        }
    }
    batch.add_rows(frame.n_rows());
}

#[test]
fn rows_appended_column_by_column_equal_rows_appended_cell_by_cell() {
    let dir = tempfile::tempdir().unwrap();
    let frame = GwasTable::frame_of(&records());
    let template = GwasTable::frame_of(&[]);
    let mut files = Vec::new();
    for (name, by_column) in [("cells.parquet", false), ("columns.parquet", true)] {
        let path = dir.path().join(name);
        let mut sink = FrameSink::create(&path, &template, GwasTable::schema()).unwrap();
        let mut batch = RowBatch::new(&template);
        if by_column {
            push_columns(&mut batch, &frame);
        } else {
            push_all(&mut batch, &frame);
        }
        assert_eq!(batch.rows(), 3);
        sink.write_rows(&mut batch).unwrap();
        sink.finish().unwrap();
        files.push(std::fs::read(&path).unwrap());
        assert_eq!(GwasTable::read(&path).unwrap().records, records());
    }
    assert_eq!(files[0], files[1]);
}

#[test]
#[should_panic(expected = "column \"CHROM\" holds 0 of 1 rows")]
fn a_column_left_short_is_a_bug() {
    let mut batch = RowBatch::new(&GwasTable::frame_of(&[]));
    let pheno = batch.column("PHENO");
    batch.text(pheno).append_value("q1");
    batch.add_rows(1);
}

#[test]
fn an_empty_or_missing_text_cell_is_refused_in_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    // A shortest string of one byte passes without a visit to each string.
    let (mut sink, mut batch) = sink_with_good_rows(dir.path());
    let mut bad = records();
    bad[2].id = String::new();
    push_columns(&mut batch, &GwasTable::frame_of(&bad));
    let err = sink.write_rows(&mut batch).unwrap_err().to_string();
    assert!(
        err.contains("row 6, column \"ID\"") && err.contains("at least 1 character"),
        "{err}"
    );
    // A null where the schema wants text.
    let mut frame = GwasTable::frame_of(&records());
    let chrom = frame
        .columns
        .iter_mut()
        .find(|c| c.name == "CHROM")
        .unwrap();
    let biomarker_tables::ColumnData::Str(values) = &mut chrom.data else {
        panic!("CHROM is text");
    };
    values[1] = None;
    push_columns(&mut batch, &frame);
    let err = sink.write_rows(&mut batch).unwrap_err().to_string();
    assert!(err.contains("row 5, column \"CHROM\""), "{err}");
}
