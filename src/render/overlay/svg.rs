//! A [`Scene`] as SVG, built with maud (every text taken from the data is escaped): the inline
//! figure the gallery puts over a thumbnail, and the standalone document `show --out x.svg`
//! writes, with its headline, notes and legend below the picture.
//!
//! Strokes do not scale (`vector-effect: non-scaling-stroke`): a thumbnail and its enlarged
//! view draw lines of the same width.

use maud::{html, Markup};

use super::{Mark, Role, Scene};

/// What the marks are drawn over, in the canvas's pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Background<'a> {
    /// An image (`href`: a `data:` URI) stretched over `width` x `height`: the real image's
    /// size, which the thumbnail may be smaller than.
    Image {
        href: &'a str,
        width: u32,
        height: u32,
    },
    /// No image: a blank canvas of `<size>`.
    Blank { width: u32, height: u32 },
}

impl Background<'_> {
    pub fn size(&self) -> (u32, u32) {
        match *self {
            Background::Image { width, height, .. } | Background::Blank { width, height } => {
                (width, height)
            }
        }
    }
}

/// A number in SVG: one decimal is below a pixel of any picture drawn here.
fn num(x: f32) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// The CSS class of a role (the gallery's stylesheet and the document's legend use them).
pub fn role_class(role: Role) -> &'static str {
    match role {
        Role::CellPrior => "cell-prior",
        Role::Positive => "positive",
        Role::BestPrior => "best-prior",
        Role::SharedPrior => "shared-prior",
        Role::Object => "object",
        Role::Taker => "taker",
    }
}

/// The marks of `scene` scaled from `<size>` to the canvas, as SVG elements.
fn marks(scene: &Scene, canvas: (u32, u32)) -> Markup {
    let sx = canvas.0 as f32 / scene.size.0.max(1) as f32;
    let sy = canvas.1 as f32 / scene.size.1.max(1) as f32;
    // Tags in canvas units: about 1/40 of the longer side, so that they read alike on any size.
    let font = (canvas.0.max(canvas.1) as f32 / 40.0).max(6.0);
    html! {
        @for m in &scene.marks {
            (mark(m, sx, sy, font))
        }
    }
}

fn mark(m: &Mark, sx: f32, sy: f32, font: f32) -> Markup {
    let st = m.role.style();
    let [x1, y1, x2, y2] = m.rect;
    let (x, y) = (x1 * sx, y1 * sy);
    let (w, h) = (((x2 - x1) * sx).max(0.0), ((y2 - y1) * sy).max(0.0));
    let width = if m.focus { st.width * 2.0 } else { st.width };
    let opacity = if m.focus { 1.0 } else { st.opacity * 0.7 };
    let dash = st
        .dashed
        .then(|| format!("{} {}", num(width * 3.0), num(width * 2.0)));
    let title = match m.prior {
        Some(p) => format!("prior {p}: {}", st.legend),
        None => format!("{}: {}", m.tag.as_deref().unwrap_or(""), st.legend),
    };
    html! {
        g class=(role_class(m.role)) {
            title { (title) }
            rect x=(num(x)) y=(num(y)) width=(num(w)) height=(num(h)) fill="none"
                stroke="#000" stroke-opacity=(num(opacity * 0.5)) stroke-width=(num(width + 2.0))
                stroke-dasharray=[dash.clone()] vector-effect="non-scaling-stroke" {}
            rect x=(num(x)) y=(num(y)) width=(num(w)) height=(num(h)) fill="none"
                stroke=(st.hex()) stroke-opacity=(num(opacity)) stroke-width=(num(width))
                stroke-dasharray=[dash] vector-effect="non-scaling-stroke" {}
            @if let Some(tag) = &m.tag {
                @let tw = font * 0.62 * tag.chars().count() as f32 + font * 0.4;
                // The taker's tag goes below its box: a collision's objects overlap at the top.
                @let ty = if m.role == Role::Taker { y + h } else { (y - font * 1.2).max(0.0) };
                rect x=(num(x)) y=(num(ty)) width=(num(tw))
                    height=(num(font * 1.2)) fill=(st.hex()) fill-opacity=(num(opacity * 0.85)) {}
                text x=(num(x + font * 0.2)) y=(num(ty + font * 0.95))
                    font-size=(num(font)) font-family="monospace" fill="#000" { (tag) }
            }
        }
    }
}

/// The picture alone (no legend): `<svg>` with the background and the marks, sized by CSS.
/// Its `<title>` is the headline.
pub fn figure(scene: &Scene, background: &Background) -> Markup {
    let (w, h) = background.size();
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {w} {h}"))
            role="img" class="overlay" {
            title { (scene.headline) }
            (background_markup(background))
            (marks(scene, (w, h)))
        }
    }
}

fn background_markup(background: &Background) -> Markup {
    match *background {
        Background::Image {
            href,
            width,
            height,
        } => html! {
            image href=(href) x="0" y="0" width=(width) height=(height)
                preserveAspectRatio="none" {}
        },
        Background::Blank { width, height } => {
            let font = (width.max(height) as f32 / 30.0).max(8.0);
            html! {
                rect x="0" y="0" width=(width) height=(height) fill="#d9d9d9" {}
                text x=(num(width as f32 / 2.0)) y=(num(height as f32 / 2.0)) font-size=(num(font))
                    font-family="sans-serif" text-anchor="middle" fill="#555" {
                    "no image: blank canvas of <size>"
                }
            }
        }
    }
}

/// Height of one line of the document's footer.
const LINE: u32 = 18;

/// A standalone SVG document: the picture, then the headline, the notes and the legend below
/// it (what `show --out FILE.svg` writes).
pub fn document(scene: &Scene, background: &Background) -> String {
    let (w, h) = background.size();
    let width = w.max(420);
    let chars = (width as usize / 7).max(20);
    let mut lines: Vec<String> = Vec::new();
    for text in std::iter::once(&scene.headline).chain(&scene.notes) {
        lines.extend(super::raster::wrap(text, chars));
    }
    let legend_top = h + 8 + LINE * lines.len() as u32 + 4;
    // Legend entries flow left to right (about 7 pixels a character) and wrap.
    let mut legend = Vec::new();
    let (mut row, mut x) = (0u32, 6u32);
    for role in scene.legend_roles() {
        let w = 30 + 7 * role.style().legend.len() as u32 + 18;
        if x > 6 && x + w > width {
            row += 1;
            x = 6;
        }
        legend.push((role, x, legend_top + row * LINE));
        x += w;
    }
    let total = legend_top + LINE * (row + 1) + 8;
    let doc = html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(width) height=(total)
            viewBox=(format!("0 0 {width} {total}")) font-family="sans-serif" font-size="13" {
            rect x="0" y="0" width=(width) height=(total) fill="#fff" {}
            svg x="0" y="0" width=(w) height=(h) viewBox=(format!("0 0 {w} {h}")) {
                (background_markup(background))
                (marks(scene, (w, h)))
            }
            @for (k, line) in lines.iter().enumerate() {
                text x="6" y=(h + 8 + LINE * (k as u32 + 1) - 5) fill="#000" { (line) }
            }
            @for (role, x, y) in legend {
                @let st = role.style();
                g class={ "legend " (role_class(role)) } {
                    rect x=(x) y=(y + 3) width="22" height="11" fill="none" stroke=(st.hex())
                        stroke-width="2.5"
                        stroke-dasharray=[st.dashed.then_some("5 3")] {}
                    text x=(x + 30) y=(y + 13) fill="#000" { (st.legend) }
                }
            }
        }
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
        doc.into_string()
    )
}
