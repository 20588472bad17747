//! The one-annotation reader: bytes of a VOC XML file -> [`RawAnnotation`] (texts as written).
//!
//! Tolerant of what real tools write (any child order, unknown elements, `<part>`s with their
//! own `<name>`/`<bndbox>`, tag-case variants, empty elements, CRLF, BOM, Latin-1 / Windows-1252
//! / UTF-16 files) and strict about what would silently corrupt data: malformed XML is an error
//! with line and column; entity declarations are never expanded.

use quick_xml::events::Event;
use quick_xml::Reader;

/// Files larger than this are refused (a VOC annotation is a few kB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Element nesting deeper than this is refused.
pub const MAX_DEPTH: usize = 256;

/// The texts of one annotation, as written (trimmed of surrounding whitespace).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawAnnotation {
    pub filename: Option<String>,
    pub width: Option<String>,
    pub height: Option<String>,
    pub has_size: bool,
    pub objects: Vec<RawObject>,
    /// Non-fatal remarks (unknown entity references, duplicate fields...).
    pub warnings: Vec<String>,
}

/// One `<object>` child of `<annotation>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawObject {
    /// 1-based line of its `<object>` tag.
    pub line: usize,
    pub name: Option<String>,
    pub difficult: Option<String>,
    pub truncated: Option<String>,
    pub has_bndbox: bool,
    /// xmin, ymin, xmax, ymax.
    pub coords: [Option<String>; 4],
}

/// Why a file could not be read as an annotation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum XmlError {
    #[error("empty file")]
    Empty,
    #[error("file is {0} bytes, over the {MAX_FILE_BYTES}-byte limit for an annotation")]
    TooLarge(u64),
    #[error("{0}")]
    Encoding(String),
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("root element is <{0}>, not <annotation>: not a VOC annotation")]
    NotAnnotation(String),
    #[error("no root element: not a VOC annotation")]
    NoRoot,
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Annotation,
    Size,
    Object,
    BndBox,
    Field(Field),
    Ignored,
}

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Filename,
    Width,
    Height,
    Name,
    Difficult,
    Truncated,
    Coord(usize),
}

/// Decodes file bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, and the single-byte
/// encodings that annotation tools on Windows write (ISO-8859-1, Windows-1252, ASCII).
pub fn decode_text(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, XmlError> {
    use std::borrow::Cow;
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest).map(Cow::Borrowed);
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let le = bytes[0] == 0xFF;
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| {
                let pair = [c[0], *c.get(1).unwrap_or(&0)];
                if le {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        return String::from_utf16(&units)
            .map(Cow::Owned)
            .map_err(|_| XmlError::Encoding("invalid UTF-16 text".into()));
    }
    let declared = declared_encoding(bytes).map(|e| e.to_ascii_lowercase());
    match declared.as_deref() {
        None | Some("utf-8" | "utf8") => utf8(bytes).map(Cow::Borrowed),
        Some("iso-8859-1" | "latin-1" | "latin1" | "iso8859-1" | "l1" | "us-ascii" | "ascii") => {
            Ok(Cow::Owned(bytes.iter().map(|&b| b as char).collect()))
        }
        Some("windows-1252" | "cp1252") => Ok(Cow::Owned(bytes.iter().map(|&b| cp1252(b)).collect())),
        Some(other) => Err(XmlError::Encoding(format!(
            "declared encoding \"{other}\" is not supported; convert the file to UTF-8 (e.g. iconv -f {other} -t UTF-8)"
        ))),
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, XmlError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let pos = e.valid_up_to();
        let (line, column) = line_col(&bytes[..pos]);
        XmlError::Encoding(format!(
            "not valid UTF-8 at line {line}, column {column} (byte {pos}); re-save the file as UTF-8 or declare its encoding in <?xml ... encoding=\"...\"?>"
        ))
    })
}

fn declared_encoding(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(256)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + 8..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    if (0x80..0xA0).contains(&b) {
        HIGH[(b - 0x80) as usize]
    } else {
        b as char
    }
}

/// 1-based line and column (in characters) of the end of `prefix`.
fn line_col(prefix: &[u8]) -> (usize, usize) {
    let line = 1 + prefix.iter().filter(|&&b| b == b'\n').count();
    let line_start = prefix
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = 1 + String::from_utf8_lossy(&prefix[line_start..])
        .chars()
        .count();
    (line, column)
}

/// Incremental byte offset -> line counter (offsets must not decrease).
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn line_at(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos > self.pos {
            self.line += self.text[self.pos..pos]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.pos = pos;
        }
        self.line
    }
}

fn lower_name(name: &str) -> String {
    let local = match name.rfind(':') {
        Some(i) => &name[i + 1..],
        None => name,
    };
    local.to_ascii_lowercase()
}

/// Parses one annotation from its bytes.
pub fn parse_annotation(bytes: &[u8]) -> Result<RawAnnotation, XmlError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(XmlError::TooLarge(bytes.len() as u64));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(XmlError::Empty);
    }
    let text = decode_text(bytes)?;
    parse_text(&text)
}

fn parse_text(text: &str) -> Result<RawAnnotation, XmlError> {
    let mut reader = Reader::from_str(text);
    {
        let cfg = reader.config_mut();
        cfg.expand_empty_elements = true;
        cfg.check_end_names = true;
    }
    let mut lines = LineCounter {
        text: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut out = RawAnnotation::default();
    let mut stack: Vec<Ctx> = Vec::with_capacity(8);
    let mut buf = String::new();
    let mut seen_root = false;
    let syntax = |reader: &Reader<&[u8]>, message: String| {
        let pos = reader.error_position() as usize;
        let (line, column) = line_col(&text.as_bytes()[..pos.min(text.len())]);
        XmlError::Syntax {
            line,
            column,
            message,
        }
    };
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err(syntax(&reader, e.to_string())),
        };
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(syntax(
                        &reader,
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let name = lower_name(e.name().as_ref());
                let ctx = match stack.last() {
                    None => {
                        if seen_root {
                            return Err(syntax(&reader, "more than one root element".into()));
                        }
                        seen_root = true;
                        if name != "annotation" {
                            return Err(XmlError::NotAnnotation(e.name().as_ref().to_string()));
                        }
                        Ctx::Annotation
                    }
                    Some(Ctx::Annotation) => match name.as_str() {
                        "filename" => Ctx::Field(Field::Filename),
                        "size" => {
                            out.has_size = true;
                            Ctx::Size
                        }
                        "object" => {
                            let line = lines.line_at(reader.buffer_position() as usize);
                            out.objects.push(RawObject {
                                line,
                                ..RawObject::default()
                            });
                            Ctx::Object
                        }
                        _ => Ctx::Ignored,
                    },
                    Some(Ctx::Size) => match name.as_str() {
                        "width" => Ctx::Field(Field::Width),
                        "height" => Ctx::Field(Field::Height),
                        _ => Ctx::Ignored,
                    },
                    Some(Ctx::Object) => match name.as_str() {
                        "name" => Ctx::Field(Field::Name),
                        "difficult" => Ctx::Field(Field::Difficult),
                        "truncated" => Ctx::Field(Field::Truncated),
                        "bndbox" => {
                            let obj = out.objects.last_mut().expect("inside an object");
                            if obj.has_bndbox {
                                out.warnings.push(format!(
                                    "object {}: more than one <bndbox>; the first is used",
                                    out.objects.len() - 1
                                ));
                                Ctx::Ignored
                            } else {
                                obj.has_bndbox = true;
                                Ctx::BndBox
                            }
                        }
                        _ => Ctx::Ignored,
                    },
                    Some(Ctx::BndBox) => match name.as_str() {
                        "xmin" => Ctx::Field(Field::Coord(0)),
                        "ymin" => Ctx::Field(Field::Coord(1)),
                        "xmax" => Ctx::Field(Field::Coord(2)),
                        "ymax" => Ctx::Field(Field::Coord(3)),
                        _ => Ctx::Ignored,
                    },
                    Some(Ctx::Field(_)) | Some(Ctx::Ignored) => Ctx::Ignored,
                };
                if matches!(ctx, Ctx::Field(_)) {
                    buf.clear();
                }
                stack.push(ctx);
            }
            Event::End(_) => {
                if let Some(Ctx::Field(field)) = stack.pop() {
                    let value = buf.trim().to_string();
                    let slot = match field {
                        Field::Filename => &mut out.filename,
                        Field::Width => &mut out.width,
                        Field::Height => &mut out.height,
                        Field::Name => &mut out.objects.last_mut().expect("object").name,
                        Field::Difficult => &mut out.objects.last_mut().expect("object").difficult,
                        Field::Truncated => &mut out.objects.last_mut().expect("object").truncated,
                        Field::Coord(k) => &mut out.objects.last_mut().expect("object").coords[k],
                    };
                    if slot.is_none() {
                        *slot = Some(value);
                    }
                }
            }
            Event::Text(t) => {
                if let Some(Ctx::Field(_)) = stack.last() {
                    buf.push_str(&t.xml10_content());
                } else if stack.is_empty() && !t.xml10_content().trim().is_empty() {
                    return Err(syntax(&reader, "text outside the root element".into()));
                }
            }
            Event::CData(t) => {
                if let Some(Ctx::Field(_)) = stack.last() {
                    buf.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(Ctx::Field(_)) = stack.last() {
                    let raw: String = r.as_ref().to_string();
                    match resolve_reference(&raw) {
                        Some(c) => buf.push(c),
                        None => {
                            out.warnings.push(format!(
                                "line {}: entity reference &{raw}; is not expanded (entities are never expanded)",
                                lines.line_at(reader.buffer_position() as usize)
                            ));
                            buf.push('&');
                            buf.push_str(&raw);
                            buf.push(';');
                        }
                    }
                }
            }
            Event::Eof => break,
            Event::Empty(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(syntax(
            &reader,
            "unexpected end of file: unclosed elements".into(),
        ));
    }
    if !seen_root {
        return Err(XmlError::NoRoot);
    }
    Ok(out)
}

/// The five predefined entities and character references; anything else is not expanded.
fn resolve_reference(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}
