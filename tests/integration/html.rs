//! `audit --html` (issue #12): the page holds every chart with the JSON report's numbers, is
//! self-contained, escapes what it takes from the data, and leaves the text and JSON reports
//! as they were. The real-browser check is in `browser.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::audit::ssd_assign;
use crate::common::shared;

/// One start tag of the page: its name, attributes (unescaped) and byte offset.
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    pub at: usize,
}

impl Tag {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    fn num(&self, name: &str) -> u64 {
        self.get(name)
            .unwrap_or_else(|| panic!("{} has no {name}: {self:?}", self.name))
            .parse()
            .unwrap()
    }

    fn has_class(&self, class: &str) -> bool {
        self.get("class")
            .is_some_and(|c| c.split(' ').any(|x| x == class))
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every start tag of `html`, in order. The page escapes `<`, `>` and `"` in text and
/// attribute values, and its style holds no `<`, so every `<` starts a tag.
pub fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(k) = html[rest..].find('<') {
        let at = rest + k;
        let end = at + html[at..].find('>').expect("a tag ends");
        rest = end + 1;
        let inner = &html[at + 1..end];
        if inner.starts_with('/') || inner.starts_with('!') {
            continue;
        }
        let inner = inner.trim_end_matches('/');
        let (name, mut a) = inner.split_once(' ').unwrap_or((inner, ""));
        let mut attrs = BTreeMap::new();
        while let Some(eq) = a.find('=') {
            let key = a[..eq].trim().to_string();
            let v = &a[eq + 1..];
            assert!(v.starts_with('"'), "attribute {key} unquoted in <{inner}>");
            let close = v[1..].find('"').expect("quoted value") + 1;
            attrs.insert(key, unescape(&v[1..close]));
            a = &v[close + 1..];
        }
        out.push(Tag {
            name: name.to_string(),
            attrs,
            at,
        });
    }
    out
}

/// The tag with `id`, which must be there once.
pub fn by_id<'a>(tags: &'a [Tag], id: &str) -> &'a Tag {
    let found: Vec<&Tag> = tags.iter().filter(|t| t.get("id") == Some(id)).collect();
    assert_eq!(found.len(), 1, "id {id}: {} elements", found.len());
    found[0]
}

/// The marks (`class="mark ..."`) of the chart `id`, in order.
fn marks<'a>(html: &str, tags: &'a [Tag], id: &str) -> Vec<&'a Tag> {
    let figure = by_id(tags, id);
    assert_eq!(figure.name, "figure", "{id}");
    let end = figure.at + html[figure.at..].find("</figure>").unwrap();
    tags.iter()
        .filter(|t| t.at > figure.at && t.at < end && t.has_class("mark"))
        .collect()
}

/// Runs `audit ARGS --format json -q --html FILE` in a temporary folder; the JSON and the page.
fn audit_html(args: &[&str]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let mut a = args.to_vec();
    a.extend(["--format", "json", "-q", "--html", page.to_str().unwrap()]);
    let o = ssd_assign(&a);
    assert!(o.status.code().is_some_and(|c| c == 0 || c == 2), "{o:?}");
    let json = serde_json::from_slice(&o.stdout).expect("JSON report");
    (
        json,
        std::fs::read_to_string(&page).expect("the page is written"),
    )
}

fn rate(v: &Value) -> (u64, u64) {
    (v["count"].as_u64().unwrap(), v["total"].as_u64().unwrap())
}

/// The verdict's four figures of configuration `k` are the JSON's.
fn check_verdict(tags: &[Tag], k: usize, c: &Value) {
    for (kind, v) in [
        ("unmatched", &c["overall"]["unmatched"]),
        ("forced-only", &c["overall"]["forced_only"]),
        ("lost-collision", &c["overall"]["lost_collision"]),
        ("coverage", &c["coverage_at_threshold"]),
    ] {
        let t = by_id(tags, &format!("verdict-{k}-{kind}"));
        assert_eq!(
            (t.num("data-count"), t.num("data-total")),
            rate(v),
            "{kind}"
        );
    }
}

/// The histograms of configuration `k`: best IoU bins and positives per GT, in bin order.
fn check_histograms(html: &str, tags: &[Tag], k: usize, c: &Value) {
    let iou: Vec<u64> = marks(html, tags, &format!("chart-iou-{k}"))
        .iter()
        .map(|m| m.num("data-count"))
        .collect();
    let expected: Vec<u64> = c["best_iou_histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect();
    assert_eq!(iou, expected);
    let pos: Vec<(String, u64)> = marks(html, tags, &format!("chart-positives-{k}"))
        .iter()
        .map(|m| {
            (
                m.get("data-label").unwrap().to_string(),
                m.num("data-count"),
            )
        })
        .collect();
    let bins = ["0", "1", "2", "3-5", "6-10", ">10"];
    let expected: Vec<(String, u64)> = bins
        .iter()
        .map(|b| (b.to_string(), c["positives_per_gt"][b].as_u64().unwrap()))
        .collect();
    assert_eq!(pos, expected);
}

/// The coverage and failure charts of configuration `k`: per group (with GTs) and series, the
/// JSON's counts and totals.
fn check_groupings(html: &str, tags: &[Tag], k: usize, c: &Value) {
    for (name, key) in [
        ("size", "by_size"),
        ("aspect", "by_aspect"),
        ("class", "by_class"),
    ] {
        let groups: Vec<&Value> = c[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["gts"].as_u64().unwrap() > 0)
            .collect();
        let mut expected = Vec::new();
        let mut failures = Vec::new();
        for g in &groups {
            let label = format!("{} ({})", g["group"].as_str().unwrap(), g["gts"]);
            for t in ["0.3", "0.5", "0.7"] {
                let (n, total) = rate(&g["coverage"][t]);
                expected.push((label.clone(), format!("coverage@{t}"), n, total));
            }
            for (series, f) in [("unmatched", "unmatched"), ("forced-only", "forced_only")] {
                let (n, total) = rate(&g[f]);
                failures.push((label.clone(), series.to_string(), n, total));
            }
        }
        let shown = |chart: &str| -> Vec<(String, String, u64, u64)> {
            marks(html, tags, &format!("chart-{chart}-{name}-{k}"))
                .iter()
                .map(|m| {
                    (
                        m.get("data-group").unwrap().to_string(),
                        m.get("data-series").unwrap().to_string(),
                        m.num("data-count"),
                        m.num("data-total"),
                    )
                })
                .collect()
        };
        assert_eq!(shown("coverage"), expected, "coverage by {name}");
        assert_eq!(shown("failures"), failures, "failures by {name}");
    }
}

/// The (w, h) scatter of configuration `k`: its cells hold every object once, and its misfits
/// are the JSON's objects no prior shape fits.
fn check_scatter(html: &str, tags: &[Tag], k: usize, c: &Value) {
    let cells = marks(html, tags, &format!("chart-shapes-{k}"));
    let fit: u64 = cells.iter().map(|m| m.num("data-fit")).sum();
    let misfit: u64 = cells.iter().map(|m| m.num("data-misfit")).sum();
    assert_eq!(fit + misfit, c["gts"].as_u64().unwrap());
    assert_eq!(
        misfit,
        c["shape_vs_grid"]["shapes_do_not_fit"]["count"]
            .as_u64()
            .unwrap()
    );
}

/// Every figure shown of every configuration is the JSON report's.
fn check_page_against_json(html: &str, json: &Value) {
    let tags = tags(html);
    for (k, c) in json["configurations"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        check_verdict(&tags, k, c);
        check_histograms(html, &tags, k, c);
        check_groupings(html, &tags, k, c);
        check_scatter(html, &tags, k, c);
    }
}

/// Nothing the page refers to is outside it: no URL scheme but `data:`, no `src`/`href` but
/// `data:` and `#fragments`. (The SVG namespace's name, which the gallery's drawings declare,
/// is a name, not a reference, and base64 payloads may hold `//`: both are left out of the
/// search.)
pub fn assert_self_contained(html: &str) {
    let mut text = html.replace(r#"xmlns="http://www.w3.org/2000/svg""#, "");
    while let Some(k) = text.find(";base64,") {
        let end = k + text[k..].find('"').expect("a quoted data URI");
        text.replace_range(k..end, "");
    }
    for needle in ["http:", "https:", "//", "file:", "url("] {
        assert!(!text.contains(needle), "the page holds {needle:?}");
    }
    for t in tags(html) {
        for attr in ["src", "href", "srcset", "action", "poster", "data"] {
            if let Some(v) = t.get(attr) {
                assert!(
                    v.starts_with("data:") || v.starts_with('#'),
                    "<{} {attr}={v:?}> refers outside the page",
                    t.name
                );
            }
        }
        assert_ne!(t.name, "script", "the page has no script");
        assert_ne!(t.name, "link", "the page links nothing");
    }
}

#[test]
fn voc_mini_page_shows_the_json_reports_numbers_in_every_chart() {
    let (json, html) = audit_html(&["audit", "fixtures/voc-mini"]);
    let tags = tags(&html);
    for chart in [
        "shapes",
        "iou",
        "positives",
        "coverage-size",
        "failures-size",
        "coverage-aspect",
        "failures-aspect",
        "coverage-class",
        "failures-class",
    ] {
        let t = by_id(&tags, &format!("chart-{chart}-0"));
        assert_eq!(t.name, "figure");
    }
    assert!(
        !html.contains("chart-iou-1"),
        "one configuration, one set of charts"
    );
    check_page_against_json(&html, &json);
    assert_self_contained(&html);
    // The verdict's causes are the text report's words.
    let text = String::from_utf8(ssd_assign(&["audit", "fixtures/voc-mini", "-q"]).stdout).unwrap();
    let cause = "37.5% fit no prior shape even at their centre (5 of them small): the scales or \
                 aspect ratios are wrong for them";
    assert!(text.contains(cause) && html.contains(cause));
    // The finding groups: one element per kind, with its count.
    for g in json["dataset"]["findings"].as_array().unwrap() {
        let kind = g["kind"].as_str().unwrap();
        let t: Vec<&Tag> = tags
            .iter()
            .filter(|t| t.has_class("finding") && t.get("data-kind") == Some(kind))
            .collect();
        assert_eq!(t.len(), 1, "{kind}");
        assert_eq!(t[0].num("data-count"), g["count"].as_u64().unwrap());
    }
}

#[test]
fn the_json_and_text_reports_are_the_same_bytes_with_or_without_html() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "text"] {
        let page = dir.path().join(format!("{format}.html"));
        let base = ["audit", "fixtures/voc-mini", "-q", "--format", format];
        let without = ssd_assign(&base);
        let mut a = base.to_vec();
        a.extend(["--html", page.to_str().unwrap()]);
        let with = ssd_assign(&a);
        assert_eq!(with.status.code(), without.status.code());
        assert_eq!(
            String::from_utf8_lossy(&with.stdout),
            String::from_utf8_lossy(&without.stdout),
            "{format}"
        );
        assert!(page.is_file());
    }
}

#[test]
fn two_prior_sets_are_compared_side_by_side() {
    let Some(_) = shared() else { return };
    let (json, html) = audit_html(&[
        "audit",
        "../shared/golden/voc2012-sample",
        "--priors",
        "tiny-detector",
        "--priors",
        "ssd300",
    ]);
    check_page_against_json(&html, &json);
    let tags = tags(&html);
    let configs = json["configurations"].as_array().unwrap();
    // The comparison: coverage@0.5 overall and by size, one bar per configuration.
    let compare = marks(&html, &tags, "chart-compare-size");
    let mut expected = Vec::new();
    let names: Vec<String> = configs
        .iter()
        .map(|c| {
            format!(
                "{} ({} priors)",
                c["config"]["priors"].as_str().unwrap(),
                c["config"]["num_priors"]
            )
        })
        .collect();
    for (g, key) in [
        ("all", None),
        ("small (<0.1)", Some(0)),
        ("medium (0.1-0.3)", Some(1)),
        ("large (>=0.3)", Some(2)),
    ] {
        for (c, name) in configs.iter().zip(&names) {
            let stats = match key {
                None => &c["overall"],
                Some(k) => &c["by_size"][k],
            };
            let (n, total) = rate(&stats["coverage"]["0.5"]);
            expected.push((g.to_string(), name.clone(), n, total));
        }
    }
    let shown: Vec<(String, String, u64, u64)> = compare
        .iter()
        .map(|m| {
            (
                m.get("data-group").unwrap().to_string(),
                m.get("data-series").unwrap().to_string(),
                m.num("data-count"),
                m.num("data-total"),
            )
        })
        .collect();
    assert_eq!(shown, expected);
    // voc2012-sample: 62.3% and 90.8% (the README's comparison).
    assert_eq!(
        &shown[..2].iter().map(|s| s.2).collect::<Vec<_>>(),
        &[170, 248]
    );
    by_id(&tags, "chart-compare-class");
    by_id(&tags, "comparison-table");
}

/// Writes a dataset whose class and file names are HTML.
fn hostile_dataset(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let xml = |name: &str| {
        format!(
            "<annotation><filename>a.jpg</filename><size><width>100</width><height>100</height>\
             <depth>3</depth></size><object><name>{name}</name><bndbox><xmin>10</xmin>\
             <ymin>10</ymin><xmax>60</xmax><ymax>70</ymax></bndbox></object></annotation>"
        )
    };
    std::fs::write(
        dir.join("1.xml"),
        xml("&lt;script&gt;alert(1)&lt;/script&gt;"),
    )
    .unwrap();
    std::fs::write(dir.join("a&<b>\"x.xml"), xml("cat")).unwrap();
    // An invalid box, so that a finding names the file.
    std::fs::write(
        dir.join("<i>bad.xml"),
        xml("cat").replace("<xmax>60", "<xmax>5"),
    )
    .unwrap();
}

#[test]
fn class_and_file_names_from_the_data_render_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    hostile_dataset(&data);
    let page = dir.path().join("r.html");
    let o = ssd_assign(&[
        "audit",
        data.to_str().unwrap(),
        "--classes",
        "auto",
        "-q",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "an invalid box: {o:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script"),
        "no script element, escaped or not"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        html.contains("&lt;i&gt;bad.xml"),
        "the finding names the file"
    );
    assert!(!html.contains("<i>bad") && !html.contains("a&<b>"));
    // Every tag of the page is one the page writes (none came from the data).
    let known = [
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "h1",
        "h2",
        "h3",
        "h4",
        "p",
        "span",
        "nav",
        "a",
        "main",
        "section",
        "strong",
        "div",
        "ul",
        "li",
        "code",
        "figure",
        "figcaption",
        "svg",
        "line",
        "text",
        "g",
        "rect",
        "path",
        "circle",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "footer",
        "img",
        "label",
        "input",
        "button",
        "details",
        "summary",
        "dl",
        "dt",
        "dd",
        "em",
        "small",
        "br",
        "b",
        "i",
        "em",
    ];
    for t in tags(&html) {
        assert!(known.contains(&t.name.as_str()), "<{}>", t.name);
    }
}

#[test]
fn an_existing_page_is_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("r.html");
    std::fs::write(&page, "precious").unwrap();
    let args = [
        "audit",
        "fixtures/voc-mini",
        "-q",
        "--html",
        page.to_str().unwrap(),
    ];
    let o = ssd_assign(&args);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "ssd-assign: error: --html {}: the file exists; pass --force to overwrite it\n",
            page.display()
        )
    );
    assert!(o.stdout.is_empty(), "refused before any work");
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "precious");
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_eq!(ssd_assign(&forced).status.code(), Some(0));
    assert!(std::fs::read_to_string(&page)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no staging file left behind");
}

#[test]
fn gallery_needs_html() {
    let o = ssd_assign(&["audit", "fixtures/voc-mini", "-q", "--gallery", "3"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--html"));
}

/// The images the gallery can show: one per image with an object (the tally lists each image's
/// worst object when --html asks for a gallery).
fn gallery_images(json: &Value) -> usize {
    let d = &json["dataset"];
    (d["images"].as_u64().unwrap() - d["images_without_objects"].as_u64().unwrap()) as usize
}

/// Every `data:image/...;base64,` of the page, decoded: (media type, width, height).
fn embedded_images(html: &str) -> Vec<(String, u32, u32)> {
    use base64::Engine as _;
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(k) = rest.find("data:image/") {
        let uri = &rest[k..];
        let end = uri.find('"').expect("a quoted data URI");
        let (head, payload) = uri[..end].split_once(";base64,").expect("base64 data URI");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .expect("valid base64");
        let img = image::load_from_memory(&bytes).expect("the embedded image decodes");
        out.push((head["data:".len()..].to_string(), img.width(), img.height()));
        rest = &uri[end..];
    }
    out
}

/// The gallery's items (`<figure class="case ...">`).
fn gallery_items(html: &str) -> usize {
    tags(html)
        .iter()
        .filter(|t| t.name == "figure" && t.has_class("case"))
        .count()
}

#[test]
fn gallery_holds_the_worst_images_and_every_embedded_picture_decodes() {
    let Some(_) = shared() else { return };
    let set = "../shared/golden/voc2012-sample";
    let (json, html) = audit_html(&["audit", set]);
    let expected = gallery_images(&json).min(24);
    assert_eq!(expected, 24, "100 images with objects");
    assert_eq!(gallery_items(&html), expected, "default --gallery 24");
    let images = embedded_images(&html);
    assert_eq!(images.len(), expected, "every image of the sample is there");
    for (kind, w, h) in &images {
        assert_eq!(kind, "image/jpeg");
        let side = ssd_assign::render::gallery::THUMBNAIL_SIDE;
        assert!(*w.max(h) <= side && *w.min(h) > 50, "a thumbnail: {w}x{h}");
    }
    let (_, html) = audit_html(&["audit", set, "--gallery", "5"]);
    assert_eq!(gallery_items(&html), 5);
    assert_eq!(embedded_images(&html).len(), 5);
    let (_, html) = audit_html(&["audit", set, "--gallery", "0"]);
    assert_eq!(gallery_items(&html), 0);
    assert!(!html.contains("id=\"worst-cases\""), "no gallery section");
}

#[test]
fn gallery_of_missing_images_shows_placeholders_with_the_reason() {
    // voc-mini holds one image (000008.png) of its eight annotations.
    let (json, html) = audit_html(&["audit", "fixtures/voc-mini"]);
    let expected = gallery_images(&json).min(24);
    assert_eq!(expected, 7, "000003 has no object");
    assert_eq!(gallery_items(&html), expected);
    assert_eq!(embedded_images(&html).len(), 1, "000008.png");
    let reason = "no image found (looked in fixtures/voc-mini/JPEGImages, \
                  fixtures/voc-mini/Annotations); pass --images DIR if the images are elsewhere";
    assert_eq!(html.matches(reason).count(), 6);
}

#[test]
fn html_dash_writes_the_page_to_stdout_and_the_report_to_stderr() {
    let o = ssd_assign(&["audit", "fixtures/voc-mini", "-q", "--html", "-"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>"));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("Verdict: 16 objects in 8 images"));
    let o = ssd_assign(&[
        "audit",
        "fixtures/voc-mini",
        "-q",
        "--html",
        "-",
        "--gt-csv",
        "-",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "ssd-assign: error: --gt-csv - and --html -: only one of them can have the standard \
         output\n"
    );
}
