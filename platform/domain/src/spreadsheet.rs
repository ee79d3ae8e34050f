//! Cells of the files people open in a spreadsheet (CSV exports).

/// A CSV cell, quoted when needed, and never read as a formula by a
/// spreadsheet: a cell that begins with `=`, `+`, `-`, `@` or a control
/// character gets a leading apostrophe (OWASP's advice against CSV
/// injection), since names and labels come from people.
pub fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// One CSV line of cells, ending in a newline.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_cell_is_never_read_as_a_formula() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+30 210"), "'+30 210");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("Παιανία, Αττική"), "\"Παιανία, Αττική\"");
        assert_eq!(csv_cell("<5"), "<5");
        assert_eq!(csv_line(&["a", "b,c"]), "a,\"b,c\"\n");
    }
}
