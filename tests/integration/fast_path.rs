//! The fast tokenizer in front of quick-xml (src/voc/xml/fast.rs) must never change a result:
//! `parse_annotation` equals `parse_annotation_quick_xml` (quick-xml reading every file) on
//! every input, value and error alike. And it must actually read ordinary files, or the
//! speed-up silently disappears.

use std::path::Path;

use proptest::prelude::*;
use ssd_assign::voc::xml::{fast_path_reads, parse_annotation_quick_xml};
use ssd_assign::voc::{parse_annotation, XmlError};

use crate::bad_input::{mutated, GOOD};
use crate::common::{fixtures, shared};

fn same(bytes: &[u8]) -> Result<(), String> {
    let fast = parse_annotation(bytes);
    let reference = parse_annotation_quick_xml(bytes);
    if fast == reference {
        Ok(())
    } else {
        Err(format!(
            "input {:?}\nwith the fast path: {fast:?}\nquick-xml only:     {reference:?}",
            String::from_utf8_lossy(bytes)
        ))
    }
}

fn xml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            xml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xml") {
            out.push(p);
        }
    }
}

#[test]
fn every_shipped_and_golden_file_reads_the_same() {
    let mut files = Vec::new();
    xml_files(&fixtures(), &mut files);
    let shipped = files.len();
    if let Some(s) = shared() {
        xml_files(&s.join("golden"), &mut files);
        xml_files(&s.join("data"), &mut files);
    }
    assert!(shipped >= 8);
    let mut fast = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        if let Err(e) = same(&bytes) {
            panic!("{}: {e}", f.display());
        }
        fast += usize::from(fast_path_reads(&bytes));
    }
    eprintln!("{fast} of {} files read by the fast path", files.len());
}

#[test]
fn ordinary_files_take_the_fast_path() {
    // The shipped fixtures and the golden VOC and CVAT exports are what tools write: every one
    // of them must be read without quick-xml (else the speed-up is gone unnoticed).
    let mut files = Vec::new();
    xml_files(&fixtures(), &mut files);
    if let Some(s) = shared() {
        xml_files(&s.join("golden/voc2012-sample"), &mut files);
        xml_files(&s.join("golden/voc2012-cvat"), &mut files);
    }
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            fast_path_reads(&bytes),
            "{} is not read by the fast path",
            f.display()
        );
    }
    assert!(fast_path_reads(GOOD.as_bytes()));
}

/// Hand-made cases at the edge of what the fast tokenizer reads (each either read by it with
/// the same result, or handed over to quick-xml).
const EDGES: &[&str] = &[
    "<annotation/>",
    "<annotation></annotation >",
    "<annotation><object/></annotation>",
    "<annotation><object><name/></object></annotation>",
    "<annotation><object><name>a</name><name>b</name></object></annotation>",
    "<annotation><object><bndbox/><bndbox/></object></annotation>",
    "<annotation><filename>a</filename><filename>b</filename></annotation>",
    "<annotation verified=\"yes\"><filename>x</filename></annotation>",
    "<annotation a='>' b=\"'\"><filename>x</filename></annotation>",
    "<annotation a='<'><filename>x</filename></annotation>",
    "<annotation a=\"x\"/>",
    "<annotation a=\"x\" />",
    "<annotation\n/>",
    "<annotation/ >",
    "<annotation a/b>text</annotation>",
    "<ANNOTATION><Object><NAME> Dog </NAME></Object></ANNOTATION>",
    "<v:annotation xmlns:v='u'><v:object><v:name>dog</v:name></v:object></v:annotation>",
    "<annotation><object><name>a\r\nb\rc</name></object></annotation>",
    "<annotation>\r\n<object>\r\n<name>\r\ndog\r\n</name>\r\n</object>\r\n</annotation>\r\n",
    "<annotation><object><name>a<b>x</b>c</name></object></annotation>",
    "<annotation><object><name>a<!-- c -->b</name></object></annotation>",
    "<annotation><object><name>a &amp; b</name></object></annotation>",
    "<annotation><object><name>a&#32;b</name></object></annotation>",
    "<annotation><object><name><![CDATA[x<y]]></name></object></annotation>",
    "<annotation><object><name>a > b</name></object></annotation>",
    "<annotation><object><name>a ]]> b</name></object></annotation>",
    "<!-- a --><annotation/>",
    "<!----><annotation/>",
    "<!-->--><annotation/>",
    "<!--->--><annotation/>",
    "<!-- a -- b --><annotation/>",
    "<!-- a ---><annotation/>",
    "<annotation/><!-- after -->",
    "<annotation/>\n\n",
    "<annotation/>x",
    "x<annotation/>",
    "<annotation/><annotation/>",
    "<?xml version='1.0'?><annotation/>",
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<annotation/>",
    "<?xml?><annotation/>",
    "<??><annotation/>",
    "<?x?><annotation/>",
    "<?xml a='?>'?><annotation/>",
    "<?pi <x?><annotation/>",
    "<annotation/><?pi x?>",
    "<annotation><?pi x?></annotation>",
    "<!DOCTYPE annotation><annotation/>",
    "<annotation><object><name>a</object></name></annotation>",
    "<annotation><object></annotation>",
    "<annotation></object></annotation>",
    "<annotation></ annotation>",
    "<annotation></annotation\t\r\n>",
    "<annotation><object>",
    "<annotation",
    "<annotation a='x",
    "<annotation></",
    "<annotation><!--",
    "<annotation><?",
    "< annotation/>",
    "<1annotation/>",
    "<_x/>",
    "<annotation><_a.b-c/></annotation>",
    "<annotation><é/></annotation>",
    "<annotation><object><name>é</name></object></annotation>",
    "<root><annotation/></root>",
    "<annotations/>",
    "<annotation>&</annotation>",
    "<annotation><a>&lt;</a></annotation>",
];

#[test]
fn edge_cases_read_the_same() {
    for e in EDGES {
        same(e.as_bytes()).unwrap();
    }
    // Nesting at the limit and beyond it.
    for depth in [255, 256, 257] {
        let s = format!(
            "<annotation>{}{}</annotation>",
            "<a>".repeat(depth - 1),
            "</a>".repeat(depth - 1)
        );
        same(s.as_bytes()).unwrap();
    }
    // Many objects on one line: their columns.
    let one_line = format!(
        "<annotation>{}</annotation>",
        "<object><name>é</name></object>".repeat(50)
    );
    same(one_line.as_bytes()).unwrap();
    let raw = parse_annotation(one_line.as_bytes()).unwrap();
    assert_eq!((raw.objects[1].line, raw.objects[1].column), (1, 13 + 31));
    // More than 20 warnings (duplicate fields).
    let dups = format!(
        "<annotation><object>{}</object></annotation>",
        "<name>x</name>".repeat(30)
    );
    same(dups.as_bytes()).unwrap();
    assert_eq!(
        parse_annotation(dups.as_bytes()).unwrap().warnings.len(),
        21
    );
    assert!(matches!(
        parse_annotation(b"<root/>"),
        Err(XmlError::NotAnnotation(_))
    ));
}

/// Mutations that stay mostly inside the fast path's subset: markup pieces spliced into a
/// valid annotation, so that both tokenizers see many small variations of ordinary files.
fn spliced() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "<a>",
        "</a>",
        "<a/>",
        "<a x='1'>",
        " ",
        "\r\n",
        "\r",
        "\t",
        "<!-- c -->",
        "<?p q?>",
        "<object>",
        "</object>",
        "<name>",
        "</name>",
        "<bndbox>",
        "</bndbox>",
        "<xmin>",
        "</xmin>",
        "<size>",
        "</size>",
        "<width>",
        "</width>",
        "<Object>",
        "<NAME>",
        "</NAME>",
        "<v:name>",
        "</v:name>",
        "</name >",
        ">",
        "'",
        "\"",
        "/",
        "=",
        "x",
        "é",
        "<",
        "&amp;",
        "<![CDATA[z]]>",
    ]);
    (
        prop::collection::vec((any::<prop::sample::Index>(), pieces), 0..5),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(splices, cut, do_cut)| {
            let mut b = GOOD.as_bytes().to_vec();
            for (at, piece) in splices {
                let k = at.index(b.len() + 1);
                b.splice(k..k, piece.bytes());
            }
            if do_cut {
                b.truncate(cut.index(b.len() + 1));
            }
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn spliced_annotations_read_the_same(bytes in spliced()) {
        same(&bytes).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn mutated_annotations_read_the_same(bytes in mutated()) {
        same(&bytes).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn arbitrary_bytes_read_the_same(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        same(&bytes).map_err(TestCaseError::fail)?;
    }
}
