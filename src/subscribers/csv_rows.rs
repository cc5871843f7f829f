//! Reading an import file: `csv::Reader` over any `Read` (a file, or an
//! HTTP body through [`channel_reader`]) on a blocking thread, handing
//! batches of checked rows to the async side over a small bounded channel.
//! Lines are counted exactly, and one endless record can't grow memory.

use std::io::{self, Read};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::domain::{cells, SubscriberEmail, SubscriberName};
use crate::store::{ImportRow, IMPORT_BATCH};

/// Invalid values are shown at most this long (in characters).
const MAX_VALUE_CHARS: usize = 320;

/// The longest record (or header) read, give or take the parser's 8 KiB
/// read buffer: far more than an address, a name and a few other columns
/// need, and it keeps one endless line or quoted field from growing the
/// parser's buffer without bound. A longer one ends the import.
pub const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// One refused row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidRow {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// The address as given, without control characters, cut at 320 characters.
    pub value: String,
    pub reason: String,
}

/// What the parsing task hands over: valid rows and refused ones, together
/// at most [`IMPORT_BATCH`].
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub rows: Vec<ImportRow>,
    pub invalid: Vec<InvalidRow>,
}

#[derive(Debug)]
pub(super) enum ParseError {
    Csv(String),
    Read(io::Error),
}

/// Runs on a blocking thread: reads `input` to the end (or until the
/// receiver is gone), sending batches.
pub(super) fn parse<R: Read>(input: R, tx: &mpsc::Sender<Batch>) -> Result<(), ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(LineCounter::new(input));
    let headers = reader.byte_headers().map_err(|e| read_error(e, 1))?.clone();
    let column = |want: &str| headers.iter().position(|h| header_is(h, want));
    let email_col = column("email").ok_or_else(|| {
        ParseError::Csv("the first line must be a header row with an `email` column".into())
    })?;
    let name_col = column("name");
    let mut record = csv::ByteRecord::new();
    let mut batch = Batch::default();
    loop {
        let read = reader.read_byte_record(&mut record);
        let end = reader.position().byte();
        reader.get_mut().record_start = end;
        match read {
            Ok(false) => break,
            Ok(true) => {
                let inside = record.as_slice().iter().filter(|b| **b == b'\n').count() as u64;
                let line = reader.get_mut().line_of(end).saturating_sub(inside);
                match check_row(line, &record, email_col, name_col) {
                    Ok(row) => batch.rows.push(row),
                    Err(invalid) => batch.invalid.push(invalid),
                }
            }
            Err(e) => {
                if let csv::ErrorKind::Io(_) = e.kind() {
                    let line = reader.get_mut().current_line();
                    return Err(read_error(e, line));
                }
                batch.invalid.push(InvalidRow {
                    line: reader.get_mut().line_of(end),
                    value: String::new(),
                    reason: format!("malformed CSV record: {e}"),
                });
            }
        }
        if batch.rows.len() + batch.invalid.len() >= IMPORT_BATCH
            && tx.blocking_send(std::mem::take(&mut batch)).is_err()
        {
            // The importer stopped (a database error); it reports why.
            return Ok(());
        }
    }
    let _ = tx.blocking_send(batch);
    Ok(())
}

/// Tracks where line feeds are in what the CSV reader has read, so each
/// record gets the line it starts on. (The csv crate's own record positions
/// count from the end of the previous record, blank lines and the LF of a
/// CRLF included, so they can be a line early.) Only the line feeds not yet
/// passed are kept. It also refuses to read on once the record being parsed
/// has grown past [`MAX_RECORD_BYTES`].
struct LineCounter<R> {
    inner: R,
    read: u64,
    ahead: std::collections::VecDeque<u64>,
    passed: u64,
    /// Where the record being parsed began (the end of the previous one).
    record_start: u64,
}

/// The `io::Error` payload of an over-long record.
#[derive(Debug, thiserror::Error)]
#[error("a record longer than {MAX_RECORD_BYTES} bytes")]
struct RecordTooLong;

impl<R> LineCounter<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            read: 0,
            ahead: Default::default(),
            passed: 0,
            record_start: 0,
        }
    }

    /// The line the unfinished record starts on, counting the line feed
    /// of a CRLF (or a blank line) right at its start.
    fn current_line(&mut self) -> u64 {
        let start = self.record_start;
        let line = self.line_of(start + 1);
        line + u64::from(self.ahead.front() == Some(&start))
    }

    /// The 1-based line of the record that ended at byte offset `end` (just
    /// past its terminator, or at the end of input): the line of its last
    /// byte. Calls must come with `end` never decreasing.
    fn line_of(&mut self, end: u64) -> u64 {
        let last = end.saturating_sub(1);
        while self.ahead.front().is_some_and(|&at| at < last) {
            self.ahead.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The parser asks for more only once it has used up what it had, all
        // of it part of the record it is in (or before it).
        if self.read - self.record_start > MAX_RECORD_BYTES {
            return Err(io::Error::other(RecordTooLong));
        }
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                self.ahead.push_back(self.read + i as u64);
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

/// A csv error that ends the import; `line` is where the record began.
fn read_error(e: csv::Error, line: u64) -> ParseError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) if e.get_ref().is_some_and(|e| e.is::<RecordTooLong>()) => {
            ParseError::Csv(format!("line {line}: {RecordTooLong}"))
        }
        csv::ErrorKind::Io(e) => ParseError::Read(e),
        other => ParseError::Csv(format!("line {line}: unreadable: {other:?}")),
    }
}

/// A header names a column case-insensitively, ignoring spaces around it
/// and a UTF-8 byte-order mark (spreadsheets write one).
fn header_is(header: &[u8], want: &str) -> bool {
    let h = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(header);
    h.trim_ascii().eq_ignore_ascii_case(want.as_bytes())
}

fn check_row(
    line: u64,
    record: &csv::ByteRecord,
    email_col: usize,
    name_col: Option<usize>,
) -> Result<ImportRow, InvalidRow> {
    let raw = record.get(email_col).unwrap_or_default();
    let invalid = |reason: &str| InvalidRow {
        line,
        value: shown(&String::from_utf8_lossy(raw)),
        reason: reason.to_string(),
    };
    let text = std::str::from_utf8(raw).map_err(|_| invalid("the address is not valid UTF-8"))?;
    let email =
        SubscriberEmail::parse(cells::restored(text)).map_err(|e| invalid(&e.to_string()))?;
    let name = match name_col.and_then(|c| record.get(c)) {
        None => None,
        Some(raw_name) => {
            let name = std::str::from_utf8(raw_name)
                .map_err(|_| invalid("the name is not valid UTF-8"))?;
            SubscriberName::parse(cells::restored(name))
                .map_err(|m| invalid(&format!("invalid name: {m}")))?
        }
    };
    Ok(ImportRow { line, email, name })
}

/// A refused value as reported back: control characters dropped (they
/// could forge log lines or terminal output), at most 320 characters.
fn shown(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .take(MAX_VALUE_CHARS)
        .collect()
}

/// The sending half of [`channel_reader`].
pub type ChunkSender = mpsc::Sender<io::Result<Bytes>>;

/// A bounded bridge from async chunks (an HTTP body) to a blocking `Read`:
/// the reader blocks until a chunk arrives and sees the end of input when
/// every sender is gone. At most `capacity` chunks wait in between.
pub fn channel_reader(capacity: usize) -> (ChunkSender, ChannelReader) {
    let (tx, rx) = mpsc::channel(capacity);
    (
        tx,
        ChannelReader {
            rx,
            current: Bytes::new(),
        },
    )
}

/// See [`channel_reader`]. Only for blocking threads (it panics inside an
/// async context, as `blocking_recv` does).
pub struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &str) -> Result<Vec<Batch>, ParseError> {
        let (tx, mut rx) = mpsc::channel(1000);
        parse(std::io::Cursor::new(input.as_bytes().to_vec()), &tx)?;
        drop(tx);
        let mut out = Vec::new();
        while let Ok(b) = rx.try_recv() {
            out.push(b);
        }
        Ok(out)
    }

    #[test]
    fn headers_match_loosely_and_lines_count_from_the_header() {
        let input = "\u{feff}Name, EMAIL ,x\r\nAda,ada@example.com,1\r\n\r\n\"Multi\nline\",b@example.com\nB,nope\n";
        let batches = parse_all(input).unwrap();
        let rows: Vec<_> = batches.iter().flat_map(|b| &b.rows).collect();
        let invalid: Vec<_> = batches.iter().flat_map(|b| &b.invalid).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].email.as_str(), "ada@example.com");
        assert_eq!(rows[0].name.as_ref().unwrap().as_str(), "Ada");
        let lines: Vec<u64> = invalid.iter().map(|i| i.line).collect();
        assert_eq!(lines, [4, 6]);
        assert_eq!(invalid[0].value, "b@example.com");
        assert_eq!(invalid[1].reason, "missing @");
    }

    #[test]
    fn lines_are_exact_with_blank_lines_crlf_and_multi_line_fields() {
        let input = "email\r\n\r\nx1\r\n\"x\r\n2\"\r\n\n\nx3\nx4";
        let batches = parse_all(input).unwrap();
        let lines: Vec<u64> = batches
            .iter()
            .flat_map(|b| &b.invalid)
            .map(|i| i.line)
            .collect();
        assert_eq!(lines, [3, 4, 8, 9]);
    }

    #[test]
    fn an_endless_record_stops_the_import_at_its_line() {
        let long = "x".repeat(MAX_RECORD_BYTES as usize + 16 * 1024);
        for (input, line) in [
            (format!("email\na@example.com\n{long}\nb@example.com\n"), 3),
            (format!("email\r\na@example.com\r\n\"{long}\n\"\r\n"), 3),
            (format!("email,{long}\n"), 1),
        ] {
            match parse_all(&input) {
                Err(ParseError::Csv(m)) => assert!(m.starts_with(&format!("line {line}: ")), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        let fits = format!("email,notes\na@example.com,{}\n", "x".repeat(60_000));
        assert_eq!(parse_all(&fits).unwrap()[0].rows.len(), 1);
    }

    #[test]
    fn a_file_without_an_email_column_is_refused() {
        assert!(matches!(
            parse_all("name,mail\na,b@c.de\n"),
            Err(ParseError::Csv(_))
        ));
        assert!(matches!(parse_all(""), Err(ParseError::Csv(_))));
    }

    #[test]
    fn shown_values_are_clean_and_short() {
        assert_eq!(shown("a\u{7}b\r\nc"), "abc");
        assert_eq!(shown(&"x".repeat(1000)).len(), MAX_VALUE_CHARS);
    }

    #[test]
    fn the_channel_reader_reads_chunks_in_order() {
        let (tx, mut r) = channel_reader(4);
        tx.try_send(Ok(Bytes::from_static(b"ab"))).unwrap();
        tx.try_send(Ok(Bytes::from_static(b"cde"))).unwrap();
        drop(tx);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "abcde");
    }
}
