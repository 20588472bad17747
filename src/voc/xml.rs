//! The one-annotation reader: bytes of a VOC XML file -> [`RawAnnotation`] (texts as written).
//!
//! Tolerant of what real tools write (any child order, unknown elements, `<part>`s with their
//! own `<name>`/`<bndbox>`, tag-case variants, namespaces, empty elements, CRLF, single-line
//! files, a UTF-8 BOM, UTF-16 files, and any encoding an XML declaration names that the WHATWG
//! Encoding Standard knows: Latin-1, Windows-125x, GBK, Shift_JIS, EUC-KR, Big5...) and strict
//! about what would silently corrupt data: malformed XML is an error with line and column, and
//! entity declarations are never expanded (a "billion laughs" file stays as small as it is).
//!
//! Every error and warning text is meant for users: it says where (line, column) and what to do.
//! Their wording is stable; tests assert it.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::findings::{FindingKind, Warning};

mod fast;

/// Files larger than this are refused unread (a VOC annotation is a few kB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Element nesting deeper than this is refused (a VOC annotation nests 4 levels).
pub const MAX_DEPTH: usize = 256;
/// Warnings kept per file; the rest are counted in one last warning.
pub const MAX_WARNINGS: usize = 20;

/// The texts of one annotation, as written (trimmed of surrounding whitespace). They borrow
/// from the file's bytes when the file is UTF-8 and a field is plain text, as nearly every
/// field is (no allocation per field).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawAnnotation<'a> {
    pub filename: Option<Cow<'a, str>>,
    pub width: Option<Cow<'a, str>>,
    pub height: Option<Cow<'a, str>>,
    pub has_size: bool,
    pub objects: Vec<RawObject<'a>>,
    /// Non-fatal remarks (entity references left unexpanded, duplicate fields...), each naming
    /// its line; at most [`MAX_WARNINGS`] + 1.
    pub warnings: Vec<Warning>,
}

/// One `<object>` child of `<annotation>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawObject<'a> {
    /// 1-based line of its `<object>` tag.
    pub line: usize,
    /// 1-based column (in characters) of the `<` of its `<object>` tag: what locates an object
    /// in a single-line file.
    pub column: usize,
    pub name: Option<Cow<'a, str>>,
    pub difficult: Option<Cow<'a, str>>,
    pub truncated: Option<Cow<'a, str>>,
    pub has_bndbox: bool,
    /// xmin, ymin, xmax, ymax.
    pub coords: [Option<Cow<'a, str>>; 4],
}

fn owned(t: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    t.map(|t| Cow::Owned(t.into_owned()))
}

impl RawAnnotation<'_> {
    /// The same texts, owning their bytes.
    pub fn into_owned(self) -> RawAnnotation<'static> {
        RawAnnotation {
            filename: owned(self.filename),
            width: owned(self.width),
            height: owned(self.height),
            has_size: self.has_size,
            objects: self
                .objects
                .into_iter()
                .map(|o| RawObject {
                    line: o.line,
                    column: o.column,
                    name: owned(o.name),
                    difficult: owned(o.difficult),
                    truncated: owned(o.truncated),
                    has_bndbox: o.has_bndbox,
                    coords: o.coords.map(owned),
                })
                .collect(),
            warnings: self.warnings,
        }
    }
}

/// Why a file could not be read as an annotation. The texts are what users read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum XmlError {
    #[error("empty file: there is no annotation in it (re-export it, or delete it and its id from the split files)")]
    Empty,
    #[error("file is {0} bytes, over the {MAX_FILE_BYTES}-byte (64 MiB) limit for an annotation: a VOC annotation is a few kB, so this is not one")]
    TooLarge(u64),
    /// The bytes are some other kind of file; the text names it.
    #[error("not an XML annotation: the file holds {0}")]
    NotXml(String),
    #[error("{0}")]
    Encoding(String),
    #[error("line {line}, column {column}: malformed XML: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("root element is <{0}>, not <annotation>: not a Pascal VOC annotation{hint}", hint = root_hint(.0))]
    NotAnnotation(String),
    #[error("no XML element in the file: not a Pascal VOC annotation")]
    NoRoot,
}

impl XmlError {
    /// The kind of finding a file with this error is.
    pub fn kind(&self) -> FindingKind {
        match self {
            XmlError::Empty => FindingKind::EmptyFile,
            XmlError::TooLarge(_) => FindingKind::FileTooLarge,
            XmlError::NotXml(_) => FindingKind::NotXml,
            XmlError::Encoding(_) => FindingKind::BadEncoding,
            XmlError::Syntax { .. } => FindingKind::MalformedXml,
            XmlError::NotAnnotation(_) | XmlError::NoRoot => FindingKind::NotVocAnnotation,
        }
    }

    /// Line and column of the error, when it has one.
    pub fn position(&self) -> (usize, usize) {
        match self {
            XmlError::Syntax { line, column, .. } => (*line, *column),
            _ => (0, 0),
        }
    }
}

fn root_hint(root: &str) -> &'static str {
    match root.to_ascii_lowercase().as_str() {
        "annotations" => " (a CVAT-for-images export? export the task as \"Pascal VOC\" instead)",
        "html" => " (a web page saved by mistake?)",
        "svg" => " (an SVG image?)",
        _ => "",
    }
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

impl Field {
    fn tag(self) -> &'static str {
        match self {
            Field::Filename => "filename",
            Field::Width => "width",
            Field::Height => "height",
            Field::Name => "name",
            Field::Difficult => "difficult",
            Field::Truncated => "truncated",
            Field::Coord(0) => "xmin",
            Field::Coord(1) => "ymin",
            Field::Coord(2) => "xmax",
            Field::Coord(_) => "ymax",
        }
    }
}

/// Decodes file bytes to text, with a warning when the declaration had to be overruled.
///
/// The evidence is weighed as XML 1.0 (appendix F) says: a byte-order mark wins (UTF-8,
/// UTF-16 LE/BE); then UTF-16 without a mark, recognised by `<?` written in 16-bit units; then
/// the encoding the XML declaration names (single or double quotes); else UTF-8. Text that is
/// not valid in its encoding is refused with its line and column, never guessed at.
fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, Option<String>), XmlError> {
    use encoding_rs::{UTF_16BE, UTF_16LE};
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok((
            Cow::Borrowed(utf8(
                rest,
                3,
                "though it starts with a UTF-8 byte-order mark",
            )?),
            None,
        ));
    }
    let utf16 = if bytes.starts_with(b"\xFF\xFE") {
        Some((UTF_16LE, 2))
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some((UTF_16BE, 2))
    } else if bytes.starts_with(b"<\0?\0") {
        Some((UTF_16LE, 0))
    } else if bytes.starts_with(b"\0<\0?") {
        Some((UTF_16BE, 0))
    } else {
        None
    };
    if let Some((encoding, skip)) = utf16 {
        return Ok((decode_with(encoding, &bytes[skip..])?, None));
    }
    let Some(label) = declared_encoding(bytes) else {
        return Ok((
            Cow::Borrowed(utf8(bytes, 0, "and it declares no other encoding")?),
            None,
        ));
    };
    let label = label.trim();
    let lower = label.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "iso-8859-1"
            | "iso8859-1"
            | "iso_8859-1"
            | "latin-1"
            | "latin1"
            | "l1"
            | "us-ascii"
            | "ascii"
    ) {
        // Exactly ISO-8859-1 (the WHATWG standard would read these labels as Windows-1252).
        return Ok((Cow::Owned(bytes.iter().map(|&b| b as char).collect()), None));
    }
    let Some(encoding) = encoding_rs::Encoding::for_label(label.as_bytes()) else {
        return Err(XmlError::Encoding(format!(
            "the XML declaration names encoding \"{label}\", which is not a known encoding: \
             convert the file to UTF-8 (e.g. iconv -f {label} -t UTF-8) and correct the declaration"
        )));
    };
    if encoding == encoding_rs::UTF_8 {
        let why = format!("though it declares encoding \"{label}\"");
        return Ok((Cow::Borrowed(utf8(bytes, 0, &why)?), None));
    }
    if encoding == UTF_16LE || encoding == UTF_16BE {
        // The declaration was readable as single bytes and there is no byte-order mark: the
        // file is not UTF-16, whatever it says. Tools that write `encoding="utf-16"` into a
        // UTF-8 file exist; read it as UTF-8 if it is valid UTF-8.
        let text = utf8(bytes, 0, "and it has no byte-order mark")?;
        return Ok((
            Cow::Borrowed(text),
            Some(format!(
                "the XML declaration says encoding \"{label}\" but the file is written in single bytes \
                 with no byte-order mark; it was read as UTF-8: correct the declaration"
            )),
        ));
    }
    if encoding == encoding_rs::REPLACEMENT {
        return Err(XmlError::Encoding(format!(
            "the XML declaration names encoding \"{label}\", which is not supported: \
             convert the file to UTF-8 (e.g. iconv -f {label} -t UTF-8) and correct the declaration"
        )));
    }
    Ok((decode_with(encoding, bytes)?, None))
}

fn decode_with<'a>(
    encoding: &'static encoding_rs::Encoding,
    bytes: &'a [u8],
) -> Result<Cow<'a, str>, XmlError> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let cap = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3));
    let mut text = String::with_capacity(cap);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(Cow::Owned(text)),
        encoding_rs::DecoderResult::Malformed(_, _) | encoding_rs::DecoderResult::OutputFull => {
            let (line, column) = line_col(text.as_bytes());
            Err(XmlError::Encoding(format!(
                "not valid {} text at line {line}, column {column} (byte {}): \
                 re-save the file as UTF-8, or correct the encoding in its XML declaration",
                encoding.name(),
                read.saturating_sub(1)
            )))
        }
    }
}

/// `why`: the clause saying why the bytes had to be UTF-8. Positions are in the file, after
/// any byte-order mark (`bom` bytes long, not a column).
fn utf8<'a>(bytes: &'a [u8], bom: usize, why: &str) -> Result<&'a str, XmlError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = e.valid_up_to();
        let (line, column) = line_col(&bytes[..valid]);
        let pos = valid + bom;
        XmlError::Encoding(format!(
            "not valid UTF-8 at line {line}, column {column} (byte {pos}), {why}: re-save the file \
             as UTF-8, or declare its real encoding (e.g. <?xml version=\"1.0\" encoding=\"windows-1252\"?>)"
        ))
    })
}

/// The `encoding` named by an XML declaration at the start of the file, if any.
fn declared_encoding(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(512)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
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

/// What a file that is clearly not XML holds, from its first bytes.
fn sniff_not_xml(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: [(&[u8], &str); 9] = [
        (
            b"\x89PNG\r\n\x1a\n",
            "PNG image data (an image where an annotation was expected?)",
        ),
        (
            b"\xFF\xD8\xFF",
            "JPEG image data (an image where an annotation was expected?)",
        ),
        (
            b"GIF87a",
            "GIF image data (an image where an annotation was expected?)",
        ),
        (
            b"GIF89a",
            "GIF image data (an image where an annotation was expected?)",
        ),
        (b"%PDF-", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive: unpack it first"),
        (b"\x1F\x8B", "gzip-compressed data: decompress it first"),
        (b"\0\0\xFE\xFF", "UTF-32 text: re-save it as UTF-8"),
        (
            b"\0\x05\x16\x07",
            "macOS AppleDouble metadata (a \"._\" file left by a Mac archive): delete it",
        ),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| bytes.starts_with(m))
        .map(|(_, what)| *what)
}

/// 1-based line and column (in characters) of the end of `prefix` (UTF-8 text).
fn line_col(prefix: &[u8]) -> (usize, usize) {
    Locator::new(prefix).at(prefix.len())
}

/// Incremental byte offset -> (line, column), linear in the file size overall (a single-line
/// file with many objects must not cost a scan from the line start per object).
struct Locator<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    column: usize,
}

impl<'a> Locator<'a> {
    fn new(text: &'a [u8]) -> Self {
        Locator {
            text,
            pos: 0,
            line: 1,
            column: 1,
        }
    }

    fn at(&mut self, pos: usize) -> (usize, usize) {
        let pos = pos.min(self.text.len());
        if pos < self.pos {
            // Not expected (offsets only grow), but never wrong.
            return line_col(&self.text[..pos]);
        }
        let seg = &self.text[self.pos..pos];
        // Counted over whole slices (the compiler vectorises these counts); characters are
        // the bytes that do not continue a UTF-8 sequence.
        let chars = |s: &[u8]| s.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
        match memchr::memrchr(b'\n', seg) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', &seg[..=last]).count();
                self.column = 1 + chars(&seg[last + 1..]);
            }
            None => self.column += chars(seg),
        }
        self.pos = pos;
        (self.line, self.column)
    }
}

/// The elements the reader cares about, recognised by local name in any letter case.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Annotation,
    Filename,
    Size,
    Object,
    Width,
    Height,
    Name,
    Difficult,
    Truncated,
    BndBox,
    XMin,
    YMin,
    XMax,
    YMax,
    Other,
}

/// The [`Tag`] of an element name (namespace prefix ignored), without allocating.
///
/// The local name is packed into one integer with bit 0x20 set in every byte, and compared with
/// the tag names packed the same way. That is exactly a comparison ignoring ASCII case: the
/// tag names are lowercase letters, and a byte with 0x20 set equals a lowercase letter only if
/// it is that letter in either case; every packed byte is non-zero, so names of different
/// lengths never collide.
fn tag_of(name: &str) -> Tag {
    let bytes = name.as_bytes();
    let local = match bytes.iter().rposition(|&c| c == b':') {
        Some(i) => &bytes[i + 1..],
        None => bytes,
    };
    if local.len() > 16 {
        return Tag::Other;
    }
    let key = local
        .iter()
        .enumerate()
        .fold(0u128, |k, (i, &c)| k | (u128::from(c | 0x20) << (8 * i)));
    TAG_KEYS
        .iter()
        .find(|&&(k, _)| k == key)
        .map_or(Tag::Other, |&(_, tag)| tag)
}

/// `name` packed as [`tag_of`] packs element names.
const fn tag_key(name: &[u8]) -> u128 {
    let mut k = 0u128;
    let mut i = 0;
    while i < name.len() {
        k |= ((name[i] | 0x20) as u128) << (8 * i);
        i += 1;
    }
    k
}

const TAG_KEYS: [(u128, Tag); 14] = [
    (tag_key(b"xmin"), Tag::XMin),
    (tag_key(b"ymin"), Tag::YMin),
    (tag_key(b"xmax"), Tag::XMax),
    (tag_key(b"ymax"), Tag::YMax),
    (tag_key(b"name"), Tag::Name),
    (tag_key(b"object"), Tag::Object),
    (tag_key(b"bndbox"), Tag::BndBox),
    (tag_key(b"difficult"), Tag::Difficult),
    (tag_key(b"truncated"), Tag::Truncated),
    (tag_key(b"size"), Tag::Size),
    (tag_key(b"width"), Tag::Width),
    (tag_key(b"height"), Tag::Height),
    (tag_key(b"filename"), Tag::Filename),
    (tag_key(b"annotation"), Tag::Annotation),
];

/// Collects warnings, keeping the first [`MAX_WARNINGS`] and counting the rest.
struct Warnings {
    kept: Vec<Warning>,
    dropped: usize,
}

impl Warnings {
    fn push(&mut self, w: Warning) {
        if self.kept.len() < MAX_WARNINGS {
            self.kept.push(w);
        } else {
            self.dropped += 1;
        }
    }
    fn finish(mut self) -> Vec<Warning> {
        if self.dropped > 0 {
            self.kept.push(Warning::new(
                FindingKind::MoreWarnings,
                0,
                format!("... and {} more warnings like these", self.dropped),
            ));
        }
        self.kept
    }
}

/// Parses one annotation from its bytes. Never panics, whatever the bytes; refuses more than
/// [`MAX_FILE_BYTES`] and nesting deeper than [`MAX_DEPTH`].
pub fn parse_annotation(bytes: &[u8]) -> Result<RawAnnotation<'_>, XmlError> {
    parse_annotation_with(bytes, parse_text)
}

fn parse_annotation_with(
    bytes: &[u8],
    parse_text: for<'t> fn(&'t str) -> Result<RawAnnotation<'t>, XmlError>,
) -> Result<RawAnnotation<'_>, XmlError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(XmlError::TooLarge(bytes.len() as u64));
    }
    if let Some(what) = sniff_not_xml(bytes) {
        return Err(XmlError::NotXml(what.into()));
    }
    let (text, note) = decode(bytes)?;
    let mut out = match text {
        Cow::Borrowed(text) => parse_decoded(text, parse_text)?,
        Cow::Owned(text) => parse_decoded(&text, parse_text)?.into_owned(),
    };
    if let Some(n) = note {
        out.warnings
            .insert(0, Warning::new(FindingKind::EncodingDeclaration, 1, n));
    }
    Ok(out)
}

/// The checks and the parse of decoded text.
fn parse_decoded<'t>(
    text: &'t str,
    parse_text: for<'u> fn(&'u str) -> Result<RawAnnotation<'u>, XmlError>,
) -> Result<RawAnnotation<'t>, XmlError> {
    let body = text.trim_start_matches('\u{FEFF}');
    let Some(first) = body.trim_start().chars().next() else {
        return Err(XmlError::Empty);
    };
    if first == '{' || first == '[' {
        return Err(XmlError::NotXml(
            "JSON, not XML (a COCO or LabelMe file? convert it to Pascal VOC XML)".into(),
        ));
    }
    if first != '<' {
        let start: String = body.trim_start().chars().take(24).collect();
        return Err(XmlError::NotXml(format!(
            "text that is not XML: it starts with {start:?}, not with '<'"
        )));
    }
    if let Some(pos) = memchr::memchr(0, body.as_bytes()) {
        let (line, column) = line_col(&body.as_bytes()[..pos]);
        return Err(XmlError::Encoding(format!(
            "NUL byte at line {line}, column {column}: not a text file, or UTF-16 without a \
             byte-order mark: re-save the file as UTF-8"
        )));
    }
    parse_text(body)
}

/// One open element: what it is, and where its start tag began (byte offset).
struct Open {
    ctx: Ctx,
    pos: usize,
}

/// What both tokenizers feed: the element structure of one annotation, turned into a
/// [`RawAnnotation`]. All the VOC semantics (which element is which field, duplicates, where an
/// object starts) live here, once.
struct Builder<'t> {
    text: &'t str,
    loc: Locator<'t>,
    out: RawAnnotation<'t>,
    warnings: Warnings,
    stack: Vec<Open>,
    /// The text of the field being read.
    field: FieldText<'t>,
    seen_root: bool,
}

/// The text of one field, borrowed from the file while it is one piece of plain text, copied
/// once a second piece (a reference, CDATA, text around a child element) joins it.
#[derive(Default)]
struct FieldText<'t> {
    first: Option<&'t str>,
    buf: String,
    owned: bool,
}

impl<'t> FieldText<'t> {
    fn clear(&mut self) {
        self.first = None;
        self.buf.clear();
        self.owned = false;
    }

    fn push(&mut self, text: Cow<'t, str>) {
        match text {
            Cow::Borrowed(t) if !self.owned && self.first.is_none() => self.first = Some(t),
            t => self.push_str(&t),
        }
    }

    fn push_str(&mut self, text: &str) {
        if !self.owned {
            self.owned = true;
            if let Some(first) = self.first.take() {
                self.buf.push_str(first);
            }
        }
        self.buf.push_str(text);
    }

    /// The field's value: its text trimmed.
    fn value(&self) -> Cow<'t, str> {
        if self.owned {
            Cow::Owned(self.buf.trim().to_string())
        } else {
            Cow::Borrowed(trim(self.first.unwrap_or("")))
        }
    }
}

/// `str::trim`, without its Unicode scan when the text starts and ends with an ASCII byte that
/// is not white space (nearly every field: "dog", "48").
fn trim(text: &str) -> &str {
    // The ASCII characters `char::is_whitespace` accepts.
    let plain = |b: u8| b.is_ascii() && !matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
    match text.as_bytes() {
        [first, .., last] if plain(*first) && plain(*last) => text,
        [only] if plain(*only) => text,
        _ => text.trim(),
    }
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        Builder {
            text,
            loc: Locator::new(text.as_bytes()),
            out: RawAnnotation::default(),
            warnings: Warnings {
                kept: Vec::new(),
                dropped: 0,
            },
            stack: Vec::with_capacity(8),
            field: FieldText::default(),
            seen_root: false,
        }
    }

    fn error_at(&self, pos: usize, message: String) -> XmlError {
        let (line, column) = line_col(&self.text.as_bytes()[..pos.min(self.text.len())]);
        XmlError::Syntax {
            line,
            column,
            message,
        }
    }

    /// Inside a field: its text is wanted.
    fn in_field(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Open {
                ctx: Ctx::Field(_),
                ..
            })
        )
    }

    /// A start tag named `name` whose `<` is at byte `start`.
    ///
    /// One match over (context, tag) of ~110 lines: the VOC schema as a table, read best in
    /// one place; each arm is a line or two (the context a child opens, or a warning).
    fn start(&mut self, name: &str, start: usize) -> Result<(), XmlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error_at(
                start,
                format!(
                    "elements nested deeper than {MAX_DEPTH} levels (a VOC annotation nests 4): \
                     not an annotation"
                ),
            ));
        }
        let tag = tag_of(name);
        let out = &mut self.out;
        let ctx = match self.stack.last().map(|o| o.ctx) {
            None => {
                if self.seen_root {
                    return Err(self.error_at(
                        start,
                        "a second root element after </annotation>: one annotation per file".into(),
                    ));
                }
                self.seen_root = true;
                if tag != Tag::Annotation {
                    return Err(XmlError::NotAnnotation(name.to_string()));
                }
                Ctx::Annotation
            }
            Some(Ctx::Annotation) => match tag {
                Tag::Filename => Ctx::Field(Field::Filename),
                Tag::Size => {
                    out.has_size = true;
                    Ctx::Size
                }
                Tag::Object => {
                    let (line, column) = self.loc.at(start);
                    out.objects.push(RawObject {
                        line,
                        column,
                        ..RawObject::default()
                    });
                    Ctx::Object
                }
                _ => Ctx::Ignored,
            },
            Some(Ctx::Size) => match tag {
                Tag::Width => Ctx::Field(Field::Width),
                Tag::Height => Ctx::Field(Field::Height),
                _ => Ctx::Ignored,
            },
            Some(Ctx::Object) => match tag {
                Tag::Object => {
                    // Not an object of the annotation (those are children of <annotation>),
                    // and read by nobody: said, so that it does not vanish without a word.
                    let (line, column) = self.loc.at(start);
                    let object = out.objects.len().saturating_sub(1);
                    self.warnings.push(Warning {
                        column,
                        object: Some(object),
                        ..Warning::new(
                            FindingKind::NestedObject,
                            line,
                            format!(
                                "line {line}, column {column}: an <object> inside object \
                                 {object}: it is not read (objects are children of \
                                 <annotation>); move it out of the enclosing <object> if it is \
                                 meant as an object"
                            ),
                        )
                    });
                    Ctx::Ignored
                }
                Tag::Name => Ctx::Field(Field::Name),
                Tag::Difficult => Ctx::Field(Field::Difficult),
                Tag::Truncated => Ctx::Field(Field::Truncated),
                Tag::BndBox => match out.objects.last_mut() {
                    Some(obj) if obj.has_bndbox => {
                        let (line, _) = self.loc.at(start);
                        self.warnings.push(Warning {
                            object: Some(out.objects.len() - 1),
                            ..Warning::new(
                                FindingKind::DuplicateField,
                                line,
                                format!(
                                    "line {line}: object {}: a second <bndbox>; the first is used",
                                    out.objects.len() - 1
                                ),
                            )
                        });
                        Ctx::Ignored
                    }
                    Some(obj) => {
                        obj.has_bndbox = true;
                        Ctx::BndBox
                    }
                    None => Ctx::Ignored,
                },
                _ => Ctx::Ignored,
            },
            Some(Ctx::BndBox) => match tag {
                Tag::XMin => Ctx::Field(Field::Coord(0)),
                Tag::YMin => Ctx::Field(Field::Coord(1)),
                Tag::XMax => Ctx::Field(Field::Coord(2)),
                Tag::YMax => Ctx::Field(Field::Coord(3)),
                _ => Ctx::Ignored,
            },
            Some(Ctx::Field(_)) | Some(Ctx::Ignored) => Ctx::Ignored,
        };
        if matches!(ctx, Ctx::Field(_)) {
            self.field.clear();
        }
        self.stack.push(Open { ctx, pos: start });
        Ok(())
    }

    /// The end tag (already checked against its start tag) whose `<` is at byte `start`.
    fn end(&mut self, start: usize) -> Result<(), XmlError> {
        let Some(open) = self.stack.pop() else {
            return Err(self.error_at(start, "a close tag with no open element".into()));
        };
        let Ctx::Field(field) = open.ctx else {
            return Ok(());
        };
        let value = self.field.value();
        let object = self.out.objects.len().saturating_sub(1);
        let out = &mut self.out;
        let slot = match field {
            Field::Filename => Some(&mut out.filename),
            Field::Width => Some(&mut out.width),
            Field::Height => Some(&mut out.height),
            Field::Name => out.objects.last_mut().map(|o| &mut o.name),
            Field::Difficult => out.objects.last_mut().map(|o| &mut o.difficult),
            Field::Truncated => out.objects.last_mut().map(|o| &mut o.truncated),
            Field::Coord(k) => out.objects.last_mut().map(|o| &mut o.coords[k]),
        };
        match slot {
            Some(slot @ None) => *slot = Some(value),
            Some(Some(first)) => {
                let (line, _) = self.loc.at(open.pos);
                let (whose, index) = match field {
                    Field::Filename | Field::Width | Field::Height => (String::new(), None),
                    _ => (format!("object {object}: "), Some(object)),
                };
                self.warnings.push(Warning {
                    object: index,
                    ..Warning::new(
                        FindingKind::DuplicateField,
                        line,
                        format!(
                            "line {line}: {whose}a second <{}>; the first ({first:?}) is used",
                            field.tag()
                        ),
                    )
                });
            }
            None => {}
        }
        Ok(())
    }

    /// Character data (line ends already normalised) starting at byte `start`.
    fn text(&mut self, text: Cow<'t, str>, start: usize) -> Result<(), XmlError> {
        if self.in_field() {
            self.field.push(text);
        } else if self.stack.is_empty() && !text.trim().is_empty() {
            return Err(self.error_at(
                start,
                if self.seen_root {
                    "text after </annotation>".into()
                } else {
                    "text before the root element".into()
                },
            ));
        }
        Ok(())
    }

    fn finish(self) -> Result<RawAnnotation<'t>, XmlError> {
        let text = self.text;
        if let Some(open) = self.stack.last() {
            let (line, column) = line_col(&text.as_bytes()[..open.pos.min(text.len())]);
            let name = element_name_at(text, open.pos);
            return Err(self.error_at(
                text.len(),
                format!(
                    "the file ends inside <{name}> (opened at line {line}, column {column}): it is \
                     truncated; re-export it"
                ),
            ));
        }
        if !self.seen_root {
            return Err(XmlError::NoRoot);
        }
        let mut out = self.out;
        out.warnings = self.warnings.finish();
        Ok(out)
    }
}

/// The text of a decoded annotation -> [`RawAnnotation`]: the fast tokenizer when it can read
/// the file, else quick-xml. The result is the same either way (see [`fast`]).
fn parse_text(text: &str) -> Result<RawAnnotation<'_>, XmlError> {
    match fast::parse(text) {
        Some(out) => Ok(out),
        None => parse_text_quick_xml(text),
    }
}

/// [`parse_annotation`] with quick-xml reading every file: the authority the fast path is
/// tested against. Not for use outside tests and benchmarks.
#[doc(hidden)]
pub fn parse_annotation_quick_xml(bytes: &[u8]) -> Result<RawAnnotation<'_>, XmlError> {
    parse_annotation_with(bytes, parse_text_quick_xml)
}

/// Whether the fast tokenizer reads `bytes` (UTF-8 text) by itself, without falling back to
/// quick-xml. For tests that keep the fast path in use on ordinary files.
#[doc(hidden)]
pub fn fast_path_reads(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| fast::parse(t).is_some())
}

fn parse_text_quick_xml(text: &str) -> Result<RawAnnotation<'_>, XmlError> {
    let mut reader = Reader::from_str(text);
    {
        let cfg = reader.config_mut();
        cfg.expand_empty_elements = true;
        cfg.check_end_names = true;
    }
    let mut b = Builder::new(text);
    loop {
        let start = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err(b.error_at(reader.error_position() as usize, e.to_string())),
        };
        match event {
            Event::Start(e) => {
                b.start(e.name().as_ref(), start)?;
            }
            Event::End(_) => b.end(start)?,
            Event::Text(t) => {
                if b.in_field() || b.stack.is_empty() {
                    b.text(t.xml10_content(), start)?;
                }
            }
            Event::CData(t) => {
                if b.in_field() {
                    b.field.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if b.in_field() {
                    let raw: String = r.as_ref().to_string();
                    match resolve_reference(&raw) {
                        Some(c) => b.field.push_str(c.encode_utf8(&mut [0; 4])),
                        None => {
                            let (line, column) = b.loc.at(start);
                            b.warnings.push(Warning {
                                column,
                                ..Warning::new(
                                    FindingKind::EntityKept,
                                    line,
                                    format!(
                                        "line {line}, column {column}: entity reference &{raw}; is \
                                         kept as written (entities are never expanded): replace it \
                                         with its text"
                                    ),
                                )
                            });
                            b.field.push_str(&format!("&{raw};"));
                        }
                    }
                }
            }
            Event::DocType(d) => {
                if d.as_ref().contains("<!ENTITY") {
                    let (line, _) = b.loc.at(start);
                    b.warnings.push(Warning::new(
                        FindingKind::EntityKept,
                        line,
                        format!(
                            "line {line}: the DOCTYPE declares entities; they are never expanded \
                             (references to them are kept as written)"
                        ),
                    ));
                }
            }
            Event::Eof => break,
            Event::Empty(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    b.finish()
}

/// The element name of the start tag at byte `pos` (for messages).
fn element_name_at(text: &str, pos: usize) -> String {
    let tail = text.get(pos..).unwrap_or("");
    let tail = tail.strip_prefix('<').unwrap_or(tail);
    tail.chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .take(64)
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What `tag_of` must compute: the local name compared ignoring ASCII case.
    fn reference_tag_of(name: &str) -> Tag {
        let local = name.rsplit(':').next().unwrap_or(name);
        const NAMES: [(&str, Tag); 14] = [
            ("annotation", Tag::Annotation),
            ("filename", Tag::Filename),
            ("size", Tag::Size),
            ("object", Tag::Object),
            ("width", Tag::Width),
            ("height", Tag::Height),
            ("name", Tag::Name),
            ("difficult", Tag::Difficult),
            ("truncated", Tag::Truncated),
            ("bndbox", Tag::BndBox),
            ("xmin", Tag::XMin),
            ("ymin", Tag::YMin),
            ("xmax", Tag::XMax),
            ("ymax", Tag::YMax),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(local))
            .map_or(Tag::Other, |&(_, t)| t)
    }

    #[test]
    fn fast_trim_is_str_trim() {
        let mut cases: Vec<String> = ["", "a", " a", "a ", "ab", "\u{85}a", "a\u{a0}", "\u{3000}"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for c in 0u8..128 {
            let ch = c as char;
            cases.extend([
                ch.to_string(),
                format!("{ch}x"),
                format!("x{ch}"),
                format!("{ch}x{ch}"),
            ]);
        }
        for c in &cases {
            assert_eq!(trim(c), c.trim(), "{c:?}");
        }
    }

    #[test]
    fn tag_of_is_a_case_insensitive_comparison_of_the_local_name() {
        let tags = [
            "annotation",
            "filename",
            "size",
            "object",
            "width",
            "height",
            "name",
            "difficult",
            "truncated",
            "bndbox",
            "xmin",
            "ymin",
            "xmax",
            "ymax",
        ];
        for t in tags {
            let upper = t.to_ascii_uppercase();
            for name in [
                t.to_string(),
                upper.clone(),
                format!("ns:{upper}"),
                format!("{t}s"),
            ] {
                assert!(tag_of(&name) == reference_tag_of(&name), "{name}");
            }
            // Every ASCII byte in every position, and every prefix and extension.
            for i in 0..t.len() {
                for c in 1u8..128 {
                    let mut b = t.as_bytes().to_vec();
                    b[i] = c;
                    let name = String::from_utf8(b).unwrap();
                    assert!(tag_of(&name) == reference_tag_of(&name), "{name:?}");
                }
                assert!(tag_of(&t[..i]) == reference_tag_of(&t[..i]));
            }
            for c in 1u8..128 {
                let name = format!("{t}{}", c as char);
                assert!(tag_of(&name) == reference_tag_of(&name), "{name:?}");
            }
        }
        assert!(tag_of("a-very-long-element-name-beyond-sixteen") == Tag::Other);
        assert!(tag_of("") == Tag::Other);
    }
}
