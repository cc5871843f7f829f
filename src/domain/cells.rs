//! CSV cells that spreadsheets won't run: a cell that begins with `=`,
//! `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
//! LibreOffice and Google Sheets (OWASP's "CSV injection"), so exports
//! prefix it with `'`, and imports take that prefix off again, so an
//! export imports back unchanged.

use std::borrow::Cow;

const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `s` as an export writes it: inert in a spreadsheet.
pub fn inert(s: &str) -> Cow<'_, str> {
    if s.starts_with(TRIGGERS) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// A cell as an import reads it: the prefix `inert` added, taken off.
pub fn restored(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(TRIGGERS) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_come_back() {
        for cell in [
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+1+2",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            let out = inert(cell);
            assert!(out.starts_with('\''), "{cell:?}");
            assert_eq!(restored(&out), cell);
        }
        for plain in ["Ada", "ada@example.com", "O'Brien", "'quoted", ""] {
            assert_eq!(inert(plain), plain);
            assert_eq!(restored(plain), plain);
        }
    }
}
