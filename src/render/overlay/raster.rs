//! A [`Scene`] as a raster picture (what `show --out x.png` writes): the image, or a blank
//! canvas of `<size>`, with the marks stroked by tiny-skia (anti-aliased, dashed where the
//! palette says), then a white band below with the headline, the notes and the legend. Text is
//! the 8 x 8 bitmap font of the `font8x8` crate (no font file).

use tiny_skia::{Color, Paint, PathBuilder, Pixmap, PremultipliedColorU8, Rect, Stroke, Transform};

use super::{Mark, Role, Scene};

/// Why a picture cannot be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RasterError {
    #[error("a picture of {width} x {height} pixels is too large to draw")]
    TooLarge { width: u32, height: u32 },
}

/// Grey of a blank canvas.
const BLANK: [u8; 3] = [217, 217, 217];

/// Pictures whose longer side is below this are drawn twice as large, so that one-pixel
/// details and the text stay legible.
pub const ZOOM_BELOW: u32 = 800;

/// The picture: `background` when there is an image (its size is the canvas; the marks are
/// scaled from `<size>` to it), else a blank canvas of `<size>` that says so; doubled when
/// smaller than [`ZOOM_BELOW`].
pub fn render(
    scene: &Scene,
    background: Option<&image::RgbImage>,
) -> Result<image::RgbImage, RasterError> {
    let (w0, h0) = match background {
        Some(img) => img.dimensions(),
        None => blank_size(scene.size),
    };
    let zoom = if w0.max(h0) < ZOOM_BELOW { 2 } else { 1 };
    let (w, h) = (w0 * zoom, h0 * zoom);
    let zoomed;
    let background = match background {
        Some(img) if zoom > 1 => {
            zoomed = image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle);
            Some(&zoomed)
        }
        other => other,
    };
    let scale = text_scale(w);
    let width = w.max(56 * 8 * scale / 2);
    let chars = (width / (8 * scale)).saturating_sub(2).max(10) as usize;
    let mut lines: Vec<String> = Vec::new();
    for text in std::iter::once(&scene.headline).chain(&scene.notes) {
        lines.extend(wrap(text, chars));
    }
    let line = 12 * scale;
    let legend = legend_layout(&scene.legend_roles(), width, scale);
    let legend_rows = legend.last().map_or(0, |e| e.1 + 1);
    let footer = line * (lines.len() as u32 + legend_rows) + 3 * line / 2;
    let too_large = RasterError::TooLarge {
        width,
        height: h.saturating_add(footer),
    };
    let mut pm = Pixmap::new(width, h.saturating_add(footer)).ok_or(too_large)?;
    pm.fill(Color::WHITE);
    match background {
        Some(img) => copy_image(&mut pm, img),
        None => {
            fill(&mut pm, [0.0, 0.0, w as f32, h as f32], BLANK, 1.0);
            let msg = "no image: blank canvas of <size>";
            let tw = (msg.len() as u32 * 8 * scale) as f32;
            let x = ((w as f32 - tw) / 2.0).max(2.0);
            text(&mut pm, x, h as f32 / 2.0, msg, scale, [85, 85, 85]);
        }
    }
    let sx = w as f32 / scene.size.0.max(1) as f32;
    let sy = h as f32 / scene.size.1.max(1) as f32;
    for m in &scene.marks {
        stroke_mark(&mut pm, m, sx, sy, [w as f32, h as f32]);
    }
    for m in scene.marks.iter().filter(|m| m.tag.is_some()) {
        tag(&mut pm, m, sx, sy, scale);
    }
    // The footer: the headline and notes, then the legend in two columns.
    let mut y = h as f32 + line as f32 / 2.0;
    for l in &lines {
        text(&mut pm, 4.0 * scale as f32, y, l, scale, [0, 0, 0]);
        y += line as f32;
    }
    y += line as f32 / 2.0;
    for (role, row, x) in legend {
        legend_swatch(&mut pm, role, x as f32, y + (row * line) as f32, scale);
    }
    Ok(to_rgb(&pm))
}

/// The longest side of a blank canvas: a `<size>` of 20,000 x 20,000 is drawn reduced.
pub const MAX_BLANK: u32 = 1600;

/// A blank canvas for `<size>`: that size, reduced to fit [`MAX_BLANK`].
fn blank_size((w, h): (u32, u32)) -> (u32, u32) {
    let (w, h) = (w.max(1), h.max(1));
    let long = w.max(h);
    if long <= MAX_BLANK {
        return (w, h);
    }
    let fit = |v: u32| ((v as u64 * MAX_BLANK as u64) / long as u64).max(1) as u32;
    (fit(w), fit(h))
}

/// Where each legend entry goes: (role, row, x), entries flowing left to right and wrapping.
fn legend_layout(roles: &[Role], width: u32, scale: u32) -> Vec<(Role, u32, u32)> {
    let (mut row, mut x) = (0, 4 * scale);
    let mut out = Vec::new();
    for &role in roles {
        let w = (30 + 8 * role.style().legend.chars().count() as u32 + 16) * scale;
        if x > 4 * scale && x + w > width {
            row += 1;
            x = 4 * scale;
        }
        out.push((role, row, x));
        x += w;
    }
    out
}

/// Text scale: 2 (16-pixel letters) from 800 pixels wide, else 1.
fn text_scale(width: u32) -> u32 {
    if width >= 800 {
        2
    } else {
        1
    }
}

/// Splits `text` into lines of at most `chars` characters, at spaces where it can.
pub fn wrap(text: &str, chars: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let fits = line.chars().count() + 1 + word.chars().count() <= chars;
        if !line.is_empty() && !fits {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > chars {
            let cut: String = line.chars().take(chars).collect();
            let rest: String = line.chars().skip(chars).collect();
            lines.push(cut);
            line = rest;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn copy_image(pm: &mut Pixmap, img: &image::RgbImage) {
    let width = pm.width() as usize;
    let pixels = pm.pixels_mut();
    for (x, y, p) in img.enumerate_pixels() {
        let [r, g, b] = p.0;
        if let Some(c) = PremultipliedColorU8::from_rgba(r, g, b, 255) {
            pixels[y as usize * width + x as usize] = c;
        }
    }
}

fn paint(rgb: [u8; 3], opacity: f32) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color_rgba8(rgb[0], rgb[1], rgb[2], (opacity * 255.0).round() as u8);
    paint.anti_alias = true;
    paint
}

fn fill(pm: &mut Pixmap, [x1, y1, x2, y2]: [f32; 4], rgb: [u8; 3], opacity: f32) {
    if let Some(r) = Rect::from_ltrb(x1, y1, x2, y2) {
        pm.fill_rect(r, &paint(rgb, opacity), Transform::identity(), None);
    }
}

/// One rectangle: a dark halo under the colour, so that it reads on light and dark images.
fn stroke_mark(pm: &mut Pixmap, m: &Mark, sx: f32, sy: f32, canvas: [f32; 2]) {
    let st = m.role.style();
    let [x1, y1, x2, y2] = m.rect;
    // Far outside the canvas only its part nearby matters (and tiny-skia wants finite sizes).
    let clamp = |v: f32, max: f32| v.clamp(-max, 2.0 * max);
    let r = Rect::from_ltrb(
        clamp(x1 * sx, canvas[0]),
        clamp(y1 * sy, canvas[1]),
        clamp(x2 * sx, canvas[0]).max(clamp(x1 * sx, canvas[0]) + 0.5),
        clamp(y2 * sy, canvas[1]).max(clamp(y1 * sy, canvas[1]) + 0.5),
    );
    let Some(r) = r else { return };
    let path = PathBuilder::from_rect(r);
    let width = if m.focus { st.width * 2.0 } else { st.width };
    let opacity = if m.focus { 1.0 } else { st.opacity * 0.7 };
    // Dashed strokes have a dashed halo: what lies below shows between the dashes.
    let dash = || {
        st.dashed
            .then(|| tiny_skia::StrokeDash::new(vec![width * 3.0, width * 2.0], 0.0))
            .flatten()
    };
    let mut stroke = Stroke {
        width: width + 2.0,
        dash: dash(),
        ..Stroke::default()
    };
    pm.stroke_path(
        &path,
        &paint([0, 0, 0], opacity * 0.5),
        &stroke,
        Transform::identity(),
        None,
    );
    stroke.width = width;
    stroke.dash = dash();
    pm.stroke_path(
        &path,
        &paint(st.rgb, opacity),
        &stroke,
        Transform::identity(),
        None,
    );
}

/// An object's tag (index and class) on a patch of its colour at the box's top-left corner.
fn tag(pm: &mut Pixmap, m: &Mark, sx: f32, sy: f32, scale: u32) {
    let Some(t) = &m.tag else { return };
    let st = m.role.style();
    let s = scale.min(if m.focus { 2 } else { 1 }).max(1);
    let (cw, chh) = ((8 * s) as f32, (10 * s) as f32);
    let x = (m.rect[0] * sx).max(0.0);
    // The taker's tag goes below its box: the two objects of a collision overlap at the top.
    let y = match m.role {
        Role::Taker => (m.rect[3] * sy).min(pm.height() as f32 - chh),
        _ => (m.rect[1] * sy - chh).max(0.0),
    };
    let tw = cw * t.chars().count() as f32 + 4.0;
    fill(pm, [x, y, x + tw, y + chh], st.rgb, 0.9);
    text(pm, x + 2.0, y + s as f32, t, s, [0, 0, 0]);
}

fn legend_swatch(pm: &mut Pixmap, role: Role, x: f32, y: f32, scale: u32) {
    let st = role.style();
    let m = Mark {
        role,
        rect: [x, y, x + 22.0 * scale as f32, y + 8.0 * scale as f32],
        focus: true,
        tag: None,
        prior: None,
    };
    let canvas = [pm.width() as f32, pm.height() as f32];
    stroke_mark(pm, &m, 1.0, 1.0, canvas);
    text(pm, x + 30.0 * scale as f32, y, st.legend, scale, [0, 0, 0]);
}

/// The glyph of `c`: the font's basic Latin and Latin-1 letters, `?` for anything else.
fn glyph(c: char) -> [u8; 8] {
    use font8x8::UnicodeFonts;
    font8x8::BASIC_FONTS
        .get(c)
        .or_else(|| font8x8::LATIN_FONTS.get(c))
        .unwrap_or(font8x8::legacy::BASIC_LEGACY['?' as usize])
}

/// Writes `s` with its top-left corner at (x, y), each font pixel a `scale` x `scale` block.
pub fn text(pm: &mut Pixmap, x: f32, y: f32, s: &str, scale: u32, rgb: [u8; 3]) {
    let (w, h) = (pm.width() as i64, pm.height() as i64);
    let Some(colour) = PremultipliedColorU8::from_rgba(rgb[0], rgb[1], rgb[2], 255) else {
        return;
    };
    let (x0, y0, s_) = (x.round() as i64, y.round() as i64, scale as i64);
    let pixels = pm.pixels_mut();
    for (k, c) in s.chars().enumerate() {
        let g = glyph(c);
        for (row, bits) in g.iter().enumerate() {
            for col in 0..8 {
                if bits >> col & 1 == 0 {
                    continue;
                }
                for dy in 0..s_ {
                    for dx in 0..s_ {
                        let px = x0 + (k as i64 * 8 + col) * s_ + dx;
                        let py = y0 + row as i64 * s_ + dy;
                        if (0..w).contains(&px) && (0..h).contains(&py) {
                            pixels[(py * w + px) as usize] = colour;
                        }
                    }
                }
            }
        }
    }
}

/// The pixmap's pixels without alpha (every pixel is opaque: the canvas starts white).
fn to_rgb(pm: &Pixmap) -> image::RgbImage {
    let mut out = image::RgbImage::new(pm.width(), pm.height());
    for (o, p) in out.pixels_mut().zip(pm.pixels()) {
        let c = p.demultiply();
        *o = image::Rgb([c.red(), c.green(), c.blue()]);
    }
    out
}

/// PNG bytes of a picture.
pub fn png_bytes(img: &image::RgbImage) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}
