//! Writes `fixtures/pictures/`: a small VOC year folder whose images are drawn here (flat
//! shapes, no photograph), for the gallery and `show` tests and the README's pictures.
//! `cargo run --example make_picture_fixtures -- fixtures/pictures`
//!
//! Each image is one case a picture must handle (the boxes are chosen for the Tiny-Detector
//! priors, see the comments):
//!
//! - `collision`: reference.md's worked example (edge-cases/collision_ab.xml) at half scale, so
//!   the normalised boxes are the same: person A and dog B share best prior 281, B keeps it, A
//!   has no positive.
//! - `forced_only`: a car with positives of its own and a small bird whose only positive is its
//!   forced prior (IoU below 0.5).
//! - `missing_image`: an annotation without its image.
//! - `png_named_jpg`: PNG bytes in a `.jpg` file.
//! - `size_mismatch`: `<size>` 500 x 375, image 250 x 188.
//! - `truncated`: the first half of a JPEG.
//! - `not_an_image`: text in a `.jpg` file.
//! - `huge`: a PNG header claiming 20,000 x 20,000 pixels (and no real data after it).
//! - `street`: the README's picture: two people side by side in one grid cell (both have that
//!   cell's tall prior as their best; the later one keeps it and the first is left with
//!   nothing), a car, a dog and a small bird.

use std::path::{Path, PathBuf};

use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};

/// An object: class and VOC (1-based, inclusive) pixel box.
type Obj = (&'static str, [u32; 4]);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fixtures/pictures".into()),
    );
    let ann = out.join("Annotations");
    let img = out.join("JPEGImages");
    std::fs::create_dir_all(&ann)?;
    std::fs::create_dir_all(&img)?;

    // reference.md: A = (351,481,561,701), B = (431,501,571,781) in 1000 x 1000. Here in 500 x
    // 500: (x - 1) / 500 = (X - 1) / 1000 for x = (X + 1) / 2, the same f32 fractions.
    let collision: &[Obj] = &[
        ("person", [176, 241, 281, 351]),
        ("dog", [216, 251, 286, 391]),
    ];
    write_case(
        &out,
        "collision",
        (500, 500),
        collision,
        Some(Encoding::Jpeg),
    )?;
    // The bird: 40 x 30 against the smallest prior's 100 x 75 pixels: IoU at most 0.16.
    let forced: &[Obj] = &[("car", [60, 190, 300, 340]), ("bird", [330, 60, 370, 90])];
    write_case(
        &out,
        "forced_only",
        (500, 375),
        forced,
        Some(Encoding::Jpeg),
    )?;
    let missing: &[Obj] = &[("cat", [120, 110, 330, 320])];
    write_case(&out, "missing_image", (500, 375), missing, None)?;
    let png: &[Obj] = &[
        ("bottle", [180, 80, 215, 220]),
        ("chair", [260, 150, 380, 290]),
    ];
    write_case(&out, "png_named_jpg", (400, 300), png, Some(Encoding::Png))?;
    let sheep: &[Obj] = &[("sheep", [100, 150, 300, 330])];
    write_case(
        &out,
        "size_mismatch",
        (500, 375),
        sheep,
        Some(Encoding::Half),
    )?;
    let horse: &[Obj] = &[("horse", [90, 100, 400, 340])];
    write_case(
        &out,
        "truncated",
        (500, 375),
        horse,
        Some(Encoding::Truncated),
    )?;
    let cow: &[Obj] = &[("cow", [150, 120, 420, 330])];
    write_case(&out, "not_an_image", (500, 375), cow, Some(Encoding::Text))?;
    // Cell column 3 (x 0.43-0.57 of 500) and row 3 (y 0.43-0.57 of 375) holds both people's
    // centres (x 0.46 and 0.54); its tall prior (0.14 x 0.28, centred at 0.5) fits each best.
    let street: &[Obj] = &[
        ("person", [196, 134, 266, 241]),
        ("person", [236, 129, 306, 246]),
        ("car", [330, 200, 490, 320]),
        ("dog", [40, 250, 150, 330]),
        ("bird", [80, 40, 105, 58]),
    ];
    write_case(&out, "street", (500, 375), street, Some(Encoding::Jpeg))?;
    let boat: &[Obj] = &[("boat", [2000, 9000, 9000, 14000])];
    write_xml(&ann, "huge", "huge.png", (20_000, 20_000), boat)?;
    std::fs::write(img.join("huge.png"), huge_png_header(20_000, 20_000))?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Jpeg,
    /// PNG bytes, named .jpg.
    Png,
    /// A JPEG of half the annotation's size.
    Half,
    /// The first half of a JPEG.
    Truncated,
    /// Not an image at all.
    Text,
}

fn write_case(
    out: &Path,
    id: &str,
    size: (u32, u32),
    objects: &[Obj],
    image: Option<Encoding>,
) -> Result<(), Box<dyn std::error::Error>> {
    let file = format!("{id}.jpg");
    write_xml(&out.join("Annotations"), id, &file, size, objects)?;
    let Some(enc) = image else { return Ok(()) };
    let path = out.join("JPEGImages").join(&file);
    let scene = draw(size, objects);
    let bytes = match enc {
        Encoding::Jpeg => jpeg(&scene)?,
        Encoding::Png => {
            let mut v = Vec::new();
            scene.write_to(&mut std::io::Cursor::new(&mut v), image::ImageFormat::Png)?;
            v
        }
        Encoding::Half => {
            let half = image::imageops::resize(
                &scene,
                size.0 / 2,
                size.1.div_ceil(2),
                image::imageops::FilterType::Triangle,
            );
            jpeg(&half)?
        }
        Encoding::Truncated => {
            let full = jpeg(&scene)?;
            full[..full.len() / 2].to_vec()
        }
        Encoding::Text => b"this is not an image, whatever its name says\n".to_vec(),
    };
    std::fs::write(path, bytes)?;
    Ok(())
}

fn jpeg(img: &image::RgbImage) -> Result<Vec<u8>, image::ImageError> {
    let mut v = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut v, 85).encode_image(img)?;
    Ok(v)
}

fn write_xml(
    dir: &Path,
    id: &str,
    file: &str,
    (w, h): (u32, u32),
    objects: &[Obj],
) -> std::io::Result<()> {
    let mut xml = format!(
        "<annotation>\n\t<folder>PICTURES</folder>\n\t<filename>{file}</filename>\n\t<size>\n\
         \t\t<width>{w}</width>\n\t\t<height>{h}</height>\n\t\t<depth>3</depth>\n\t</size>\n"
    );
    for (name, [x1, y1, x2, y2]) in objects {
        xml += &format!(
            "\t<object>\n\t\t<name>{name}</name>\n\t\t<difficult>0</difficult>\n\t\t<bndbox>\n\
             \t\t\t<xmin>{x1}</xmin>\n\t\t\t<ymin>{y1}</ymin>\n\t\t\t<xmax>{x2}</xmax>\n\
             \t\t\t<ymax>{y2}</ymax>\n\t\t</bndbox>\n\t</object>\n"
        );
    }
    xml += "</annotation>\n";
    std::fs::write(dir.join(format!("{id}.xml")), xml)
}

/// A flat scene: sky, ground, and each object as a simple silhouette filling its box.
fn draw((w, h): (u32, u32), objects: &[Obj]) -> image::RgbImage {
    let mut pm = Pixmap::new(w, h).expect("size");
    pm.fill(Color::from_rgba8(196, 222, 240, 255));
    let ground = h as f32 * 0.62;
    fill_rect(&mut pm, [0.0, ground, w as f32, h as f32], [150, 186, 120]);
    for (k, (name, b)) in objects.iter().enumerate() {
        let [x1, y1, x2, y2] = b.map(|v| v as f32 - 1.0);
        silhouette(&mut pm, name, [x1, y1, x2, y2], k);
    }
    let mut out = image::RgbImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(pm.pixels()) {
        let c = p.demultiply();
        *o = image::Rgb([c.red(), c.green(), c.blue()]);
    }
    out
}

const TONES: [[u8; 3]; 4] = [[120, 84, 60], [70, 70, 90], [170, 120, 70], [90, 110, 80]];

fn silhouette(pm: &mut Pixmap, name: &str, [x1, y1, x2, y2]: [f32; 4], k: usize) {
    let (w, h) = (x2 - x1, y2 - y1);
    let c = TONES[k % TONES.len()];
    match name {
        "person" => {
            circle(pm, x1 + w / 2.0, y1 + h * 0.14, h.min(w) * 0.16, c);
            fill_rect(
                pm,
                [x1 + w * 0.2, y1 + h * 0.28, x2 - w * 0.2, y1 + h * 0.7],
                c,
            );
            fill_rect(pm, [x1 + w * 0.25, y1 + h * 0.7, x1 + w * 0.45, y2], c);
            fill_rect(pm, [x2 - w * 0.45, y1 + h * 0.7, x2 - w * 0.25, y2], c);
        }
        "car" | "boat" => {
            fill_rect(pm, [x1, y1 + h * 0.35, x2, y2 - h * 0.15], c);
            fill_rect(pm, [x1 + w * 0.2, y1, x2 - w * 0.25, y1 + h * 0.4], c);
            circle(pm, x1 + w * 0.22, y2 - h * 0.15, h * 0.15, [30, 30, 30]);
            circle(pm, x2 - w * 0.22, y2 - h * 0.15, h * 0.15, [30, 30, 30]);
        }
        "bottle" => {
            fill_rect(pm, [x1 + w * 0.35, y1, x2 - w * 0.35, y1 + h * 0.3], c);
            fill_rect(pm, [x1, y1 + h * 0.3, x2, y2], c);
        }
        "chair" => {
            fill_rect(pm, [x1, y1, x1 + w * 0.15, y2], c);
            fill_rect(pm, [x1, y1 + h * 0.5, x2, y1 + h * 0.62], c);
            fill_rect(pm, [x2 - w * 0.15, y1 + h * 0.5, x2, y2], c);
        }
        "bird" => {
            ellipse(pm, [x1, y1 + h * 0.3, x2 - w * 0.2, y2], c);
            circle(pm, x2 - w * 0.2, y1 + h * 0.3, h * 0.25, c);
            ellipse(
                pm,
                [x1 + w * 0.2, y1, x1 + w * 0.6, y1 + h * 0.6],
                [60, 60, 60],
            );
        }
        // Animals: a body, a head, legs.
        _ => {
            ellipse(pm, [x1, y1 + h * 0.25, x2 - w * 0.15, y1 + h * 0.75], c);
            circle(pm, x2 - w * 0.15, y1 + h * 0.25, h.min(w) * 0.2, c);
            for f in [0.1, 0.3, 0.55, 0.7] {
                fill_rect(pm, [x1 + w * f, y1 + h * 0.6, x1 + w * (f + 0.08), y2], c);
            }
        }
    }
}

fn paint(c: [u8; 3]) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(c[0], c[1], c[2], 255);
    p.anti_alias = true;
    p
}

fn fill_rect(pm: &mut Pixmap, [x1, y1, x2, y2]: [f32; 4], c: [u8; 3]) {
    if let Some(r) = Rect::from_ltrb(x1, y1, x2, y2) {
        pm.fill_rect(r, &paint(c), Transform::identity(), None);
    }
}

fn circle(pm: &mut Pixmap, cx: f32, cy: f32, r: f32, c: [u8; 3]) {
    if let Some(p) = PathBuilder::from_circle(cx, cy, r) {
        pm.fill_path(
            &p,
            &paint(c),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
}

fn ellipse(pm: &mut Pixmap, [x1, y1, x2, y2]: [f32; 4], c: [u8; 3]) {
    let Some(r) = Rect::from_ltrb(x1, y1, x2, y2) else {
        return;
    };
    if let Some(p) = PathBuilder::from_oval(r) {
        pm.fill_path(
            &p,
            &paint(c),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
}

/// A PNG signature and IHDR chunk claiming `w` x `h` RGB pixels, and no real data: a decoder
/// that trusted it would allocate w * h * 3 bytes.
fn huge_png_header(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = b"IHDR".to_vec();
    chunk.extend(w.to_be_bytes());
    chunk.extend(h.to_be_bytes());
    chunk.extend([8, 2, 0, 0, 0]);
    out.extend(13u32.to_be_bytes());
    out.extend(&chunk);
    out.extend(crc32fast::hash(&chunk).to_be_bytes());
    // A first IDAT chunk (its data is no valid stream): decoders read the header up to it.
    let idat = b"IDAT\x78\x9c\x00\x00";
    out.extend(4u32.to_be_bytes());
    out.extend(idat);
    out.extend(crc32fast::hash(idat).to_be_bytes());
    out
}
