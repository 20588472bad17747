//! A tokenizer for the plain XML that annotation tools write, in front of quick-xml.
//!
//! Profiling the audit showed quick-xml's event loop at ~45% of all instructions (~40k per
//! 1.1 kB annotation: every event's bytes are validated as UTF-8 again, every text between tags
//! is an event). This tokenizer reads the subset of XML that VOC annotations are written in
//! (elements, attributes, text without references, comments, an XML declaration) in one pass
//! over the bytes and feeds the same [`Builder`] that quick-xml's events feed.
//!
//! It never decides anything on its own: at anything outside that subset or anything wrong
//! (an entity or character reference, CDATA, a DOCTYPE, a mismatched or missing end tag, an
//! unusual name, text outside the root, nesting too deep...) it gives up and the file is read
//! again by quick-xml, which produces the result or the error with its position. So
//! `parse_annotation` returns, for every input, exactly what the quick-xml reader returns; the
//! tests check that on every file of the golden sets and quirk folders and on arbitrary and
//! mutated bytes (property tests and the fuzz target).

use std::borrow::Cow;

use super::{Builder, RawAnnotation};

/// The annotation, or `None` when quick-xml must read the file.
///
/// One loop over the bytes (~100 lines) on purpose: it is the reader's hot path (~45% of the
/// audit's instructions went to the XML events before it), each step of the loop is a byte
/// test, and its bail-outs to quick-xml must be visible together to see that it never accepts
/// what quick-xml would read differently (differential fuzzing: docs/robustness.md).
pub(super) fn parse(text: &str) -> Option<RawAnnotation<'_>> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut b = Builder::new(text);
    // Names of the open elements, to check end tags (quick-xml's `check_end_names`).
    let mut open: Vec<&str> = Vec::with_capacity(8);
    let mut i = 0;
    loop {
        // Character data up to the next markup; a reference sends the file to quick-xml.
        // (Most runs are a few bytes of indentation or a short value: a plain loop beats a
        // vectorised search here.)
        let mut next = i;
        while next < n && bytes[next] != b'<' && bytes[next] != b'&' {
            next += 1;
        }
        if next > i && (open.is_empty() || b.in_field()) {
            let t = text.get(i..next)?;
            let t = if t.contains('\r') {
                Cow::Owned(normalize_eols(t))
            } else {
                Cow::Borrowed(t)
            };
            b.text(t, i).ok()?;
        }
        if next == n {
            break;
        }
        if bytes[next] == b'&' {
            return None;
        }
        i = next;
        match bytes.get(i + 1) {
            Some(b'/') => {
                // </name> with optional whitespace before the `>`.
                let close = i + 2 + bytes[i + 2..].iter().position(|&c| c == b'>')?;
                let name = text
                    .get(i + 2..close)?
                    .trim_end_matches([' ', '\t', '\r', '\n']);
                if open.pop()? != name {
                    return None;
                }
                b.end(i).ok()?;
                i = close + 1;
            }
            Some(b'!') => {
                // Only comments; CDATA and DOCTYPE go to quick-xml.
                if !bytes[i..].starts_with(b"<!--") {
                    return None;
                }
                let gt = i + 4 + memchr::memchr(b'>', &bytes[i + 4..])?;
                if gt < i + 6 || &bytes[gt - 2..gt] != b"--" {
                    return None;
                }
                i = gt + 1;
            }
            Some(b'?') => {
                // The XML declaration (or a processing instruction) before the root.
                if !open.is_empty() || b.seen_root {
                    return None;
                }
                let gt = i + 2 + memchr::memchr(b'>', &bytes[i + 2..])?;
                if gt < i + 5 || bytes[gt - 1] != b'?' || bytes[i + 2..gt].contains(&b'<') {
                    return None;
                }
                i = gt + 1;
            }
            _ => {
                // <name>, <name/>, <name attributes...> or <name attributes.../>.
                let name_start = i + 1;
                let first = *bytes.get(name_start)?;
                if !(first.is_ascii_alphabetic() || first == b'_') {
                    return None;
                }
                let mut k = name_start + 1;
                while k < n && is_name_byte(bytes[k]) {
                    k += 1;
                }
                let name = text.get(name_start..k)?;
                let (empty, gt) = match *bytes.get(k)? {
                    b'>' => (false, k),
                    b'/' if bytes.get(k + 1) == Some(&b'>') => (true, k + 1),
                    b' ' | b'\t' | b'\r' | b'\n' => {
                        let gt = attributes_end(bytes, k)?;
                        (bytes[gt - 1] == b'/', gt)
                    }
                    _ => return None,
                };
                b.start(name, i).ok()?;
                if empty {
                    b.end(gt + 1).ok()?;
                } else {
                    open.push(name);
                }
                i = gt + 1;
            }
        }
    }
    if !open.is_empty() {
        return None;
    }
    b.finish().ok()
}

/// Bytes of element names this tokenizer reads (namespaced names included); anything else in
/// a name goes to quick-xml.
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':')
}

/// The `>` closing a start tag whose attributes begin at `from`, skipping quoted values as
/// quick-xml does. `None` (quick-xml decides) when there is no `>` or a `<` comes first.
fn attributes_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote = 0u8;
    for (k, &c) in bytes.iter().enumerate().skip(from) {
        match c {
            b'<' => return None,
            b'"' | b'\'' if quote == 0 => quote = c,
            _ if c == quote => quote = 0,
            b'>' if quote == 0 => return Some(k),
            _ => {}
        }
    }
    None
}

/// XML 1.0 line ends: `\r\n` and a lone `\r` become `\n` (what quick-xml's `xml10_content`
/// does).
fn normalize_eols(t: &str) -> String {
    t.replace("\r\n", "\n").replace('\r', "\n")
}
