//! One image with what matching did to it: every object's box, its best prior and its other
//! positive priors, and, for an object that lost a collision, the object that took its prior
//! and the shared prior. `ssd-assign show` draws it full size (PNG through [`raster`], SVG
//! through [`svg`]); the gallery draws it over a thumbnail.
//!
//! A [`Scene`] is built from the matcher's result of the image ([`crate::assign::ImageMatch`],
//! as the audit computed it) and the priors; it holds rectangles in the annotation's pixel
//! coordinates (`<size>`, where the matcher works) and the roles that colour them. The palette
//! and the legend are [`Role::style`], the one definition both outputs use.

pub mod picture;
pub mod raster;
pub mod svg;

use crate::assign::ImageMatch;
use crate::pipeline::ImageResult;
use crate::priors::PriorSet;
use crate::report::gt_rows::GtStatus;
use crate::voc::dataset::ImageEntry;
use crate::voc::Annotation;

/// What a rectangle on the picture is. Declared back to front: marks are drawn in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A prior of the cell an object's centre falls in, on each feature map (`--all-priors`).
    CellPrior,
    /// A positive prior of an object, other than its best prior.
    Positive,
    /// An object's best prior (the one it is forced onto unless it lost it).
    BestPrior,
    /// An object's box.
    Object,
    /// For a lost collision: the object that took the prior.
    Taker,
    /// For a lost collision: the prior both objects have as their best, kept by the later one.
    /// Drawn last, dashed: it often fits the taker closely, whose colour shows between dashes.
    SharedPrior,
}

/// How a [`Role`] is drawn: one palette (Okabe-Ito, readable with the common colour-vision
/// deficiencies) for the PNG, the SVG and the gallery.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub rgb: [u8; 3],
    /// Stroke width in pixels of a full-size picture (the focus is drawn twice as wide).
    pub width: f32,
    /// Opacity of the stroke: priors faint, objects solid.
    pub opacity: f32,
    /// Drawn dashed.
    pub dashed: bool,
    /// What the legend says.
    pub legend: &'static str,
}

impl Style {
    /// The colour as `#rrggbb`, for SVG and CSS.
    pub fn hex(&self) -> String {
        let [r, g, b] = self.rgb;
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

impl Role {
    /// The roles in the order the legend lists them.
    pub const LEGEND: [Role; 6] = [
        Role::Object,
        Role::BestPrior,
        Role::Positive,
        Role::Taker,
        Role::SharedPrior,
        Role::CellPrior,
    ];

    pub fn style(self) -> Style {
        let s = |rgb, width, opacity, dashed, legend| Style {
            rgb,
            width,
            opacity,
            dashed,
            legend,
        };
        match self {
            Role::Object => s([0, 158, 115], 2.0, 1.0, false, "object"),
            Role::BestPrior => s([230, 159, 0], 2.0, 0.95, false, "its best prior"),
            Role::Positive => s([86, 180, 233], 1.0, 0.8, false, "its other positive priors"),
            Role::Taker => s(
                [204, 121, 167],
                2.0,
                1.0,
                false,
                "object that took the prior",
            ),
            Role::SharedPrior => s(
                [213, 94, 0],
                2.0,
                1.0,
                true,
                "shared prior (lost collision)",
            ),
            Role::CellPrior => s([240, 228, 66], 1.0, 0.6, false, "priors of its cells"),
        }
    }

    fn is_prior(self) -> bool {
        matches!(
            self,
            Role::CellPrior | Role::Positive | Role::BestPrior | Role::SharedPrior
        )
    }
}

/// One rectangle of a [`Scene`].
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub role: Role,
    /// x1, y1, x2, y2 in the annotation's pixel coordinates (`<size>`, 0-based: the matcher's
    /// normalised corners times the size).
    pub rect: [f32; 4],
    /// Part of the object in focus (its box, its priors, the object that took its prior):
    /// drawn bold; the rest faint.
    pub focus: bool,
    /// Drawn at the top-left corner (objects: index and class).
    pub tag: Option<String>,
    /// The prior's index, for priors.
    pub prior: Option<u32>,
}

/// What one image's picture shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// The annotation's `<size>`: the coordinates of the marks.
    pub size: (u32, u32),
    /// Back to front.
    pub marks: Vec<Mark>,
    /// The GT index of the object in focus.
    pub focus: Option<usize>,
    /// One line: the object in focus and what happened to it.
    pub headline: String,
    /// When the object in focus lost a collision: who took its prior ([`collision_words`]).
    pub collision: Option<String>,
    /// What else the picture needs said (no image, size disagreeing, format by content).
    pub notes: Vec<String>,
}

impl Scene {
    /// The legend's roles that this scene draws, in the legend's order.
    pub fn legend_roles(&self) -> Vec<Role> {
        Role::LEGEND
            .into_iter()
            .filter(|r| self.marks.iter().any(|m| m.role == *r))
            .collect()
    }
}

/// What to draw besides the objects and their matched priors.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SceneOptions {
    /// The object in focus (GT index); `None`: [`worst_object`].
    pub focus: Option<usize>,
    /// Every prior of the cells the objects' centres fall in, on every feature map.
    pub all_priors: bool,
}

/// Above this many objects only the focus's priors (and the taker's) are drawn, not every
/// object's: a crowd of faces would be a solid block of priors.
pub const CROWD: usize = 12;

/// The object worth looking at first: a lost collision or no positive first, then forced-only,
/// then the lowest best IoU; ties by index. `None` without objects.
pub fn worst_object(m: &ImageMatch) -> Option<usize> {
    (0..m.gts.len()).min_by(|&a, &b| {
        let key = |j: usize| {
            let g = &m.gts[j];
            let rank = match (g.lost_collision, g.positives, g.forced_only) {
                (true, _, _) => 0,
                (_, 0, _) => 1,
                (_, _, true) => 2,
                _ => 3,
            };
            (rank, g.best_iou)
        };
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
    })
}

/// For GT `j` that lost a collision: `its best prior 217 was taken by object 1 "chair"`.
pub fn collision_words(annotation: &Annotation, m: &ImageMatch, j: usize) -> Option<String> {
    let k = m.taken_by(j)?;
    let o = annotation.objects.get(k)?;
    Some(format!(
        "its best prior {} was taken by object {} \"{}\"",
        m.gts[j].best_prior, o.index_in_file, o.name
    ))
}

/// The status of GT `j` in words: `lost collision: its best prior 217 was taken by object 1
/// "chair"`, `forced-only: best IoU 0.31 with prior 12`...
pub fn status_words(annotation: &Annotation, m: &ImageMatch, j: usize) -> String {
    let g = &m.gts[j];
    let status = GtStatus::of(g.positives, g.forced_only, g.lost_collision);
    let iou = format!("best IoU {:.2} with prior {}", g.best_iou, g.best_prior);
    let taken = collision_words(annotation, m, j).map(|t| format!("lost a collision: {t}"));
    match (status, taken) {
        (GtStatus::Unmatched, Some(t)) => format!("unmatched, {t} ({iou})"),
        (_, Some(t)) => format!("{t}; {} positives left ({iou})", g.positives),
        (GtStatus::Unmatched, None) => format!("unmatched ({iou})"),
        (GtStatus::ForcedOnly, None) => format!("forced-only ({iou}, below the threshold)"),
        (_, None) => format!("matched, {} positives ({iou})", g.positives),
    }
}

/// The scene of one image: `m` is the matcher's result for `annotation` with `priors`.
pub fn scene(
    annotation: &Annotation,
    m: &ImageMatch,
    priors: &PriorSet,
    options: SceneOptions,
) -> Scene {
    let size = (annotation.width, annotation.height);
    let focus = options
        .focus
        .filter(|&j| j < m.gts.len())
        .or_else(|| worst_object(m));
    let taker = focus.and_then(|j| m.taken_by(j));
    let shared = focus
        .filter(|_| taker.is_some())
        .map(|j| m.gts[j].best_prior);
    let crowded = annotation.objects.len() > CROWD;
    let in_focus = |j: usize| Some(j) == focus || Some(j) == taker;

    let mut b = Builder {
        size,
        priors,
        marks: Vec::new(),
        prior_marks: std::collections::BTreeMap::new(),
    };
    for (j, o) in annotation.objects.iter().enumerate() {
        let role = if Some(j) == taker {
            Role::Taker
        } else {
            Role::Object
        };
        let c = o.corners;
        b.marks.push(Mark {
            role,
            rect: b.to_pixels([c.x1, c.y1, c.x2, c.y2]),
            focus: in_focus(j),
            tag: Some(format!("{} {}", o.index_in_file, o.name)),
            prior: None,
        });
        if crowded && !in_focus(j) {
            continue;
        }
        let best = m.gts[j].best_prior;
        let best_role = if Some(best) == shared {
            Role::SharedPrior
        } else {
            Role::BestPrior
        };
        b.prior(best, best_role, in_focus(j));
        for p in m.positives.iter().filter(|p| p.gt as usize == j) {
            b.prior(p.prior, Role::Positive, in_focus(j));
        }
        if options.all_priors {
            for p in cell_priors(priors, &c.to_center()) {
                b.prior(p, Role::CellPrior, in_focus(j));
            }
        }
    }
    let mut marks = b.finish();
    // Back to front by role; the focus over the rest of its role; then in object order.
    marks.sort_by_key(|k| (k.role, k.focus));
    let headline = match focus {
        Some(j) => {
            let o = &annotation.objects[j];
            format!(
                "object {} \"{}\": {}",
                o.index_in_file,
                o.name,
                status_words(annotation, m, j)
            )
        }
        None => "no object to match".to_string(),
    };
    Scene {
        size,
        marks,
        focus,
        headline,
        collision: focus.and_then(|j| collision_words(annotation, m, j)),
        notes: Vec::new(),
    }
}

/// One image ready to draw: its scene and the image to draw it on (or why there is none).
#[derive(Debug, Clone)]
pub struct Drawing {
    pub scene: Scene,
    pub picture: Result<picture::Picture, picture::PictureError>,
}

/// The drawing of one image as the audit matched it (`result`: [`crate::pipeline::Engine`]'s
/// outcome for `entry`, with `priors`): its scene, its image found and loaded the way the audit
/// finds images, and the notes the picture needs (objects skipped, no image, a format other than
/// the extension, a size other than `<size>`).
pub fn drawing(
    entry: &ImageEntry,
    result: &ImageResult,
    priors: &PriorSet,
    options: SceneOptions,
) -> Drawing {
    let a = &result.annotation;
    let mut scene = scene(a, &result.matching, priors, options);
    scene.notes.extend(a.skipped.iter().map(|s| s.to_string()));
    let picture = picture::find_and_load(entry, a);
    match &picture {
        Ok(p) => {
            scene.notes.extend(p.notes.iter().cloned());
            scene.notes.extend(picture::size_note(p, a));
        }
        Err(e) => scene
            .notes
            .push(format!("{e}: drawn on a blank canvas of <size>")),
    }
    Drawing { scene, picture }
}

/// Collects the marks, one per prior (its most telling role; bold if any object in focus has
/// it).
struct Builder<'a> {
    size: (u32, u32),
    priors: &'a PriorSet,
    marks: Vec<Mark>,
    prior_marks: std::collections::BTreeMap<u32, (Role, bool)>,
}

impl Builder<'_> {
    fn to_pixels(&self, [x1, y1, x2, y2]: [f32; 4]) -> [f32; 4] {
        let (w, h) = (self.size.0 as f32, self.size.1 as f32);
        [x1 * w, y1 * h, x2 * w, y2 * h]
    }

    fn prior(&mut self, p: u32, role: Role, focus: bool) {
        if p as usize >= self.priors.len() {
            return;
        }
        let e = self.prior_marks.entry(p).or_insert((role, focus));
        *e = (e.0.max(role), e.1 || focus);
    }

    fn finish(mut self) -> Vec<Mark> {
        for (&p, &(role, focus)) in &self.prior_marks {
            debug_assert!(role.is_prior());
            let c = self.priors.corners()[p as usize];
            let rect = self.to_pixels([c.x1, c.y1, c.x2, c.y2]);
            self.marks.push(Mark {
                role,
                rect,
                focus,
                tag: None,
                prior: Some(p),
            });
        }
        self.marks
    }
}

/// The priors of the cell the point falls in, on each feature map: per block of the prior set,
/// the priors whose centre is nearest to it (a grid's cell shares one centre; whatever the
/// order the priors were generated in).
pub fn cell_priors(priors: &PriorSet, centre: &crate::geometry::CenterSize) -> Vec<u32> {
    use crate::priors::PriorBlock;
    let cxcy = priors.cxcy();
    let mut out = Vec::new();
    for block in priors.blocks() {
        let range = match block {
            PriorBlock::Grid {
                start,
                rows,
                cols,
                per_cell,
                ..
            } => *start..start + rows * cols * per_cell,
            PriorBlock::Dense { start, len } => *start..start + len,
        };
        let d = |p: usize| {
            let (dx, dy) = (cxcy[p].cx - centre.cx, cxcy[p].cy - centre.cy);
            dx * dx + dy * dy
        };
        let Some(nearest) = range.clone().map(d).min_by(f32::total_cmp) else {
            continue;
        };
        out.extend(range.filter(|&p| d(p) == nearest).map(|p| p as u32));
    }
    out
}

#[cfg(test)]
mod tests;
