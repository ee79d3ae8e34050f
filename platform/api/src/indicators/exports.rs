//! The labelled CSV and XLSX exports of a report, and the disclosure rule
//! printed with them.

use super::*;

/// The disclosure rule as every table's footnote and export state it.
pub fn suppression_rule(lang: Lang) -> String {
    let (below, threshold, noise) = (
        (THRESHOLD - 1).to_string(),
        THRESHOLD.to_string(),
        NOISE.to_string(),
    );
    kentro_labels::message(
        lang,
        "export-rule-suppressed",
        &[
            ("below", &below),
            ("threshold", &threshold),
            ("noise", &noise),
        ],
    )
}

/// The export's heading lines (name, value) and its table, in `lang`: the
/// same words as the workspace, with the codes beside them for machines.
pub(super) struct ExportSheet {
    heading: Vec<(String, String)>,
    columns: [String; 6],
    rows: Vec<ExportRow>,
}

pub(super) struct ExportRow {
    dimension: String,
    unit: String,
    unit_code: String,
    category: String,
    category_code: String,
    value: IndicatorValue,
}

pub(super) fn export_sheet(report: &IndicatorReport, lang: Lang) -> ExportSheet {
    let word = |id: &str| kentro_labels::message(lang, id, &[]);
    let rule = if report.suppressed {
        suppression_rule(lang)
    } else {
        word("export-rule-unsuppressed")
    };
    let heading = vec![
        (
            word("export-period"),
            kentro_labels::message(
                lang,
                "export-period-range",
                &[("from", &report.period_from), ("to", &report.period_to)],
            ),
        ),
        (word("export-rule"), rule),
        (word("export-generated"), report.generated_at.to_rfc3339()),
    ];
    let columns = [
        "export-dimension",
        "export-unit",
        "export-unit-code",
        "export-category",
        "export-category-code",
        "export-value",
    ]
    .map(word);
    let mut rows = Vec::new();
    for table in &report.tables {
        let dimension = kentro_labels::indicator_dimension(lang, &table.dimension);
        for unit in &table.units {
            for (category, value) in table.categories.iter().zip(&unit.values) {
                rows.push(ExportRow {
                    dimension: dimension.clone(),
                    unit: unit.label.clone(),
                    unit_code: unit.unit.clone(),
                    category: kentro_labels::indicator_category(lang, &table.dimension, category),
                    category_code: category.clone(),
                    value: value.clone(),
                });
            }
        }
    }
    ExportSheet {
        heading,
        columns,
        rows,
    }
}

pub(super) fn csv_of(sheet: &ExportSheet) -> String {
    let mut out = String::new();
    for (name, value) in &sheet.heading {
        out.push_str(&csv_line(&[format!("# {name}").as_str(), value]));
    }
    out.push_str(&csv_line(&sheet.columns));
    for row in &sheet.rows {
        out.push_str(&csv_line(&[
            &row.dimension,
            &row.unit,
            &row.unit_code,
            &row.category,
            &row.category_code,
            &row.value.display,
        ]));
    }
    out
}

pub(super) fn xlsx_of(
    sheet: &ExportSheet,
    lang: Lang,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let worksheet = book.add_worksheet();
    worksheet.set_name(kentro_labels::message(lang, "export-sheet", &[]))?;
    for (row, (name, value)) in sheet.heading.iter().enumerate() {
        worksheet.write_string(row as u32, 0, name)?;
        worksheet.write_string(row as u32, 1, value)?;
    }
    let header = sheet.heading.len() as u32 + 1;
    for (col, title) in sheet.columns.iter().enumerate() {
        worksheet.write_string(header, col as u16, title)?;
    }
    for (n, r) in sheet.rows.iter().enumerate() {
        let row = header + 1 + n as u32;
        worksheet.write_string(row, 0, &r.dimension)?;
        worksheet.write_string(row, 1, &r.unit)?;
        worksheet.write_string(row, 2, &r.unit_code)?;
        worksheet.write_string(row, 3, &r.category)?;
        worksheet.write_string(row, 4, &r.category_code)?;
        match r.value.value {
            Some(v) => worksheet.write_number(row, 5, v as f64)?,
            None => worksheet.write_string(row, 5, &r.value.display)?,
        };
    }
    book.save_to_buffer()
}
