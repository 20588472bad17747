//! A prior optimiser scored by the real SSD matching (`ssd-assign suggest`, issue #13).
//!
//! The dataset is read once into normalised GT boxes per image ([`Problem`]); every candidate
//! prior set is then matched against every fitting image with [`Matcher::match_image`] (the
//! audit's kernel: grid index, area pruning, collisions as the reference resolves them) and
//! scored by [`Score`]: the share of objects with at least one positive prior by the threshold
//! (not only through the forced match), ties broken by positives per object, then mean best
//! IoU.
//!
//! The search keeps the start configuration's feature maps and grids (the network fixes them)
//! and moves the per-cell shapes `(w, h)`: k-means (IoU distance on centred boxes) on the
//! objects' shapes seeds each map with the objects of its scale band, then a seeded (1+1)
//! evolutionary search mutates one shape (or one map's grid with `grids`) at a time and keeps
//! a candidate only when it scores strictly better. The start is the first candidate, so the
//! result is never worse than the start on the fitting images. Candidates are generated in one
//! sequence whatever the thread count; only the matching of one candidate runs in parallel,
//! and its score is a sum of integers, so the result is the same for every `jobs`.
//!
//! No flags here: the subcommand is `cmd::suggest`.

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::assign::{GtBox, ImageMatch, MatchParams, Matcher};
use crate::priors::{FeatureMap, PriorConfig, PriorSet};

/// Fixed-point scale of summed IoUs (integers add up the same in any order).
const IOU_SCALE: f64 = (1u64 << 24) as f64;

/// The objective of one prior set on a set of images. Ordered: `covered`, then `positives`,
/// then `iou_sum` (all over the same objects, so sums compare like means).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Score {
    /// Objects with at least one positive by the threshold (IoU >= threshold).
    pub covered: u64,
    /// Positive priors over all objects.
    pub positives: u64,
    /// Sum of best IoUs, in units of 2^-24.
    pub iou_sum: u64,
    /// Objects scored.
    pub objects: u64,
}

impl Score {
    /// The score of one matched image.
    pub fn of_match(m: &ImageMatch) -> Score {
        let mut s = Score {
            objects: m.gts.len() as u64,
            ..Score::default()
        };
        for g in &m.gts {
            // A positive that is not the forced one below the threshold.
            if g.positives > 0 && !g.forced_only {
                s.covered += 1;
            }
            s.positives += u64::from(g.positives);
            s.iou_sum += (f64::from(g.best_iou) * IOU_SCALE).round() as u64;
        }
        s
    }
    fn add(self, o: Score) -> Score {
        Score {
            covered: self.covered + o.covered,
            positives: self.positives + o.positives,
            iou_sum: self.iou_sum + o.iou_sum,
            objects: self.objects + o.objects,
        }
    }
    /// Share of objects with a positive by the threshold (0 without objects).
    pub fn objective(&self) -> f64 {
        ratio(self.covered as f64, self.objects)
    }
    pub fn mean_positives(&self) -> f64 {
        ratio(self.positives as f64, self.objects)
    }
    pub fn mean_best_iou(&self) -> f64 {
        ratio(self.iou_sum as f64 / IOU_SCALE, self.objects)
    }
}

fn ratio(x: f64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        x / n as f64
    }
}

/// The objects to fit: normalised GT boxes per image, read once.
#[derive(Debug, Clone)]
pub struct Problem {
    pub images: Vec<Vec<GtBox>>,
    pub params: MatchParams,
}

impl Problem {
    pub fn num_objects(&self) -> usize {
        self.images.iter().map(Vec::len).sum()
    }

    /// Matches every image against `priors` (in parallel on `pool`) and sums the scores.
    pub fn evaluate(&self, priors: &PriorSet, pool: &rayon::ThreadPool) -> Score {
        pool.install(|| {
            self.images
                .par_chunks(64)
                .map(|chunk| {
                    let mut matcher = Matcher::new();
                    chunk
                        .iter()
                        .filter(|gts| !gts.is_empty())
                        .map(|gts| Score::of_match(&matcher.match_image(priors, gts, &self.params)))
                        .fold(Score::default(), Score::add)
                })
                .reduce(Score::default, Score::add)
        })
    }

    /// Every object's normalised `(w, h)`, in dataset order.
    fn shapes(&self) -> Vec<(f64, f64)> {
        self.images
            .iter()
            .flatten()
            .map(|g| {
                let c = g.corners;
                (f64::from(c.x2 - c.x1), f64::from(c.y2 - c.y1))
            })
            .collect()
    }
}

/// One candidate: per map, its grid and per-cell shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub maps: Vec<MapShapes>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapShapes {
    pub rows: u32,
    pub cols: u32,
    pub shapes: Vec<(f64, f64)>,
}

impl Candidate {
    fn num_priors(&self) -> usize {
        self.maps
            .iter()
            .map(|m| m.rows as usize * m.cols as usize * m.shapes.len())
            .sum()
    }
    /// The candidate as a configuration: the start's maps (steps, image size, clip) with
    /// explicit shapes.
    pub fn to_config(&self, start: &PriorConfig, name: &str) -> PriorConfig {
        PriorConfig {
            name: name.to_string(),
            clip: start.clip,
            image_size: start.image_size,
            scale_after_last: None,
            feature_maps: self
                .maps
                .iter()
                .zip(&start.feature_maps)
                .map(|(m, s)| FeatureMap {
                    step: s.step,
                    ..FeatureMap::with_shapes(m.rows, m.cols, m.shapes.clone())
                })
                .collect(),
        }
    }
}

/// How to search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub seed: u64,
    /// Candidates to evaluate after the start and the k-means seed.
    pub iterations: usize,
    /// Stop after this many candidates in a row without an improvement.
    pub patience: usize,
    /// Stop with the best so far after this long.
    pub time_limit: Option<Duration>,
    /// Total prior count; `None`: the start's per-cell counts. With `grids`: the most priors
    /// the grids may grow to (per-cell counts stay the start's).
    pub budget: Option<usize>,
    /// Let grid sizes vary too (each map's rows and cols by one at a time).
    pub grids: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            seed: 0,
            iterations: DEFAULT_ITERATIONS,
            patience: DEFAULT_PATIENCE,
            time_limit: None,
            budget: None,
            grids: false,
        }
    }
}

/// Default number of mutated candidates (docs/performance.md: how it was chosen).
pub const DEFAULT_ITERATIONS: usize = 600;
/// Fitting sets with more objects than this screen candidates on every 4th image first.
pub const SCREEN_ABOVE: usize = 20_000;
/// Default candidates in a row without improvement before the search stops.
pub const DEFAULT_PATIENCE: usize = 200;

/// What the search found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub start: Score,
    /// The k-means seed's score.
    pub kmeans: Score,
    pub best: Candidate,
    pub best_score: Score,
    /// Candidates evaluated (the start and the seed included).
    pub evaluated: usize,
    /// Of them, rejected on every 4th image without matching the others (sets of more than
    /// [`SCREEN_ABOVE`] objects).
    pub screened_out: usize,
    pub elapsed: Duration,
    /// The time limit stopped the search (the result then depends on the machine's speed).
    pub timed_out: bool,
}

/// Why a search cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SuggestError {
    #[error(
        "the fitting images hold {0} object(s): a prior set cannot be fitted to fewer than 2; \
         check --split, --classes and --difficult, or give more images"
    )]
    TooFewObjects(usize),
    #[error(
        "--budget {budget}: below the {cells} cells of the start's grids ({grids}): every cell \
         needs at least one prior, e.g. --budget {example}"
    )]
    BudgetBelowCells {
        budget: usize,
        cells: usize,
        grids: String,
        example: usize,
    },
    #[error(
        "--budget {budget} with --grids: below the start's {start} priors (with --grids the \
         start's priors per cell are kept and the budget caps the total as grids change): give \
         at least --budget {start}"
    )]
    GridsBudgetBelowStart { budget: usize, start: usize },
    #[error("the start prior set {0} has no configuration to take grids from")]
    NoConfig(String),
}

/// A small deterministic PRNG (SplitMix64): the same seed gives the same search.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5EED_5EED_5EED_5EED)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// IoU of two boxes of sizes `a` and `b` sharing a centre.
pub fn centred_iou(a: (f64, f64), b: (f64, f64)) -> f64 {
    let inter = a.0.min(b.0) * a.1.min(b.1);
    let union = a.0 * a.1 + b.0 * b.1 - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// Rounds a shape to 4 decimals within `[1e-4, 1]`: readable files, no drift of ulps.
fn tidy((w, h): (f64, f64)) -> (f64, f64) {
    let r = |v: f64| ((v * 1e4).round() / 1e4).clamp(1e-4, 1.0);
    (r(w), r(h))
}

/// k-means with IoU distance on centred boxes (k-means++ seeding from `rng`); `k` centres,
/// sorted by area then width. Fewer distinct points than `k`: every point, then `fill`.
pub fn kmeans_shapes(
    points: &[(f64, f64)],
    k: usize,
    fill: &[(f64, f64)],
    rng: &mut Rng,
) -> Vec<(f64, f64)> {
    // At most 20,000 points, taken at a regular stride (deterministic).
    let stride = points.len().div_ceil(20_000).max(1);
    let pts: Vec<(f64, f64)> = points.iter().step_by(stride).copied().collect();
    let mut distinct = pts.clone();
    distinct.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    distinct.dedup();
    let mut centres: Vec<(f64, f64)> = if distinct.len() <= k {
        let mut c = distinct;
        let mut f = fill.iter().cycle();
        while c.len() < k {
            match f.next() {
                Some(&s) => c.push(s),
                None => c.push((0.2, 0.2)),
            }
        }
        c
    } else {
        let mut c = vec![pts[rng.below(pts.len())]];
        let mut d: Vec<f64> = pts.iter().map(|&p| 1.0 - centred_iou(p, c[0])).collect();
        while c.len() < k {
            let total: f64 = d.iter().map(|x| x * x).sum();
            let pick = if total > 0.0 {
                let mut t = rng.unit() * total;
                let mut i = 0;
                while i + 1 < d.len() && t >= d[i] * d[i] {
                    t -= d[i] * d[i];
                    i += 1;
                }
                i
            } else {
                rng.below(pts.len())
            };
            c.push(pts[pick]);
            for (di, &p) in d.iter_mut().zip(&pts) {
                *di = di.min(1.0 - centred_iou(p, pts[pick]));
            }
        }
        for _ in 0..30 {
            let mut sums = vec![(0.0f64, 0.0f64, 0usize); k];
            for &p in &pts {
                let j = nearest(&c, p);
                sums[j].0 += p.0;
                sums[j].1 += p.1;
                sums[j].2 += 1;
            }
            let next: Vec<(f64, f64)> = sums
                .iter()
                .zip(&c)
                .map(|(&(w, h, n), &old)| {
                    if n == 0 {
                        old
                    } else {
                        (w / n as f64, h / n as f64)
                    }
                })
                .collect();
            if next == c {
                break;
            }
            c = next;
        }
        c
    };
    for s in centres.iter_mut() {
        *s = tidy(*s);
    }
    centres.sort_by(|a, b| {
        (a.0 * a.1, a.0)
            .partial_cmp(&(b.0 * b.1, b.0))
            .expect("finite")
    });
    centres
}

fn nearest(centres: &[(f64, f64)], p: (f64, f64)) -> usize {
    let mut best = (0, -1.0);
    for (j, &c) in centres.iter().enumerate() {
        let iou = centred_iou(p, c);
        if iou > best.1 {
            best = (j, iou);
        }
    }
    best.0
}

/// The start configuration's maps as a candidate (their generated shapes, in f64).
pub fn start_candidate(config: &PriorConfig) -> Candidate {
    Candidate {
        maps: config
            .feature_maps
            .iter()
            .enumerate()
            .map(|(k, m)| MapShapes {
                rows: m.rows,
                cols: m.cols,
                shapes: m.shapes(config.next_scale(k)),
            })
            .collect(),
    }
}

/// Map of each object by scale band: the map whose shapes' mean log-scale is nearest to the
/// object's `ln sqrt(w h)`.
fn map_of_objects(start: &Candidate, shapes: &[(f64, f64)]) -> Vec<usize> {
    let bands: Vec<f64> = start
        .maps
        .iter()
        .map(|m| {
            m.shapes
                .iter()
                .map(|&(w, h)| 0.5 * (w * h).ln())
                .sum::<f64>()
                / m.shapes.len() as f64
        })
        .collect();
    shapes
        .iter()
        .map(|&(w, h)| {
            let s = 0.5 * (w * h).max(1e-12).ln();
            let mut best = (0, f64::INFINITY);
            for (k, &b) in bands.iter().enumerate() {
                if (s - b).abs() < best.1 {
                    best = (k, (s - b).abs());
                }
            }
            best.0
        })
        .collect()
}

/// Priors per cell for each map under `budget`: one each, then one more at a time to the map
/// with the most objects per prior whose cells still fit in the budget.
pub fn per_cell_counts(
    start: &Candidate,
    objects_per_map: &[usize],
    budget: usize,
) -> Result<Vec<usize>, SuggestError> {
    let cells: Vec<usize> = start
        .maps
        .iter()
        .map(|m| m.rows as usize * m.cols as usize)
        .collect();
    let total_cells: usize = cells.iter().sum();
    if budget < total_cells {
        let grids: Vec<String> = start
            .maps
            .iter()
            .map(|m| format!("{}x{}", m.rows, m.cols))
            .collect();
        return Err(SuggestError::BudgetBelowCells {
            budget,
            cells: total_cells,
            grids: grids.join(", "),
            example: start.num_priors().max(total_cells),
        });
    }
    let mut n = vec![1usize; cells.len()];
    let mut used = total_cells;
    loop {
        let pick = (0..cells.len())
            .filter(|&k| used + cells[k] <= budget)
            .max_by(|&a, &b| {
                let da = (objects_per_map[a] as f64 + 1.0) / n[a] as f64;
                let db = (objects_per_map[b] as f64 + 1.0) / n[b] as f64;
                da.partial_cmp(&db).expect("finite").then(b.cmp(&a))
            });
        match pick {
            Some(k) => {
                n[k] += 1;
                used += cells[k];
            }
            None => return Ok(n),
        }
    }
}

/// Runs the search on `problem` from `start` (a generated set with its configuration).
/// `progress(evaluated, best)` is called after every candidate.
pub fn search(
    problem: &Problem,
    start: &PriorSet,
    opts: &SearchOptions,
    pool: &rayon::ThreadPool,
    mut progress: impl FnMut(usize, &Score),
) -> Result<Outcome, SuggestError> {
    let t0 = Instant::now();
    let n_objects = problem.num_objects();
    if n_objects < 2 {
        return Err(SuggestError::TooFewObjects(n_objects));
    }
    let config = start
        .config()
        .ok_or_else(|| SuggestError::NoConfig(start.name().to_string()))?
        .clone();
    let start_cand = start_candidate(&config);
    let shapes = problem.shapes();
    let band = map_of_objects(&start_cand, &shapes);
    let mut per_map: Vec<Vec<(f64, f64)>> = vec![Vec::new(); start_cand.maps.len()];
    for (&s, &k) in shapes.iter().zip(&band) {
        per_map[k].push(s);
    }
    // With `grids` the budget caps the total as grids grow; the per-cell counts stay the start's.
    if let (true, Some(b)) = (opts.grids, opts.budget) {
        if b < start.len() {
            return Err(SuggestError::GridsBudgetBelowStart {
                budget: b,
                start: start.len(),
            });
        }
    }
    let counts: Vec<usize> = match opts.budget {
        _ if opts.grids => start_cand.maps.iter().map(|m| m.shapes.len()).collect(),
        None => start_cand.maps.iter().map(|m| m.shapes.len()).collect(),
        Some(b) => {
            let objs: Vec<usize> = per_map.iter().map(Vec::len).collect();
            per_cell_counts(&start_cand, &objs, b)?
        }
    };
    let budget = opts.budget.unwrap_or(start_cand.num_priors());
    let mut rng = Rng::new(opts.seed);
    let build = |c: &Candidate| PriorSet::from_config(&c.to_config(&config, "candidate"));
    let eval = |c: &Candidate| -> Score { problem.evaluate(&build(c), pool) };
    // On large sets a candidate is first matched on every 4th image, and on all of them only
    // when it scores at least the best's figure there (most candidates are rejected, so this
    // divides the cost by about 3); it is kept only when it is strictly better on all of them.
    let screen = (n_objects > SCREEN_ABOVE).then(|| Problem {
        images: problem.images.iter().step_by(4).cloned().collect(),
        params: problem.params,
    });

    // The start, scored on its own priors, is a candidate only when its count is kept.
    let start_score = problem.evaluate(start, pool);
    let mut evaluated = 1;
    progress(evaluated, &start_score);
    let seeded = Candidate {
        maps: start_cand
            .maps
            .iter()
            .zip(&per_map)
            .zip(&counts)
            .map(|((m, pts), &k)| MapShapes {
                rows: m.rows,
                cols: m.cols,
                shapes: kmeans_shapes(pts, k, &m.shapes, &mut rng),
            })
            .collect(),
    };
    let kmeans = eval(&seeded);
    evaluated += 1;
    let start_kept = counts
        .iter()
        .zip(&start_cand.maps)
        .all(|(&k, m)| k == m.shapes.len());
    let (mut best, mut best_score) = if start_kept && start_score >= kmeans {
        (start_cand.clone(), start_score)
    } else {
        (seeded, kmeans)
    };
    progress(evaluated, &best_score);
    let mut best_screen = screen.as_ref().map(|s| s.evaluate(&build(&best), pool));
    let mut screened_out = 0;

    let mut timed_out = false;
    let mut since_better = 0;
    for it in 0..opts.iterations {
        if opts.time_limit.is_some_and(|l| t0.elapsed() >= l) {
            timed_out = true;
            break;
        }
        if since_better >= opts.patience {
            break;
        }
        let cand = mutate(&best, &per_map, it, budget, opts.grids, &mut rng);
        let Some(cand) = cand else { continue };
        let set = build(&cand);
        evaluated += 1;
        let on_screen = screen.as_ref().map(|s| s.evaluate(&set, pool));
        if on_screen < best_screen {
            screened_out += 1;
            since_better += 1;
            progress(evaluated, &best_score);
            continue;
        }
        let score = problem.evaluate(&set, pool);
        if score > best_score {
            best = cand;
            best_score = score;
            best_screen = on_screen;
            since_better = 0;
        } else {
            since_better += 1;
        }
        progress(evaluated, &best_score);
    }
    Ok(Outcome {
        start: start_score,
        kmeans,
        best,
        best_score,
        evaluated,
        screened_out,
        elapsed: t0.elapsed(),
        timed_out,
    })
}

/// One mutation of `best`: a shape scaled by log-normal factors (sigma 0.25, 0.1, 0.04 in
/// turn), or replaced by a random object's shape of its band, or (with `grids`) a map's grid
/// grown or shrunk by one within `budget`. `None` when the mutation changed nothing.
fn mutate(
    best: &Candidate,
    per_map: &[Vec<(f64, f64)>],
    it: usize,
    budget: usize,
    grids: bool,
    rng: &mut Rng,
) -> Option<Candidate> {
    let mut c = best.clone();
    let k = rng.below(c.maps.len());
    let kind = rng.unit();
    if grids && kind < 0.1 {
        let m = &mut c.maps[k];
        let grow = rng.unit() < 0.5;
        let (r, co) = if grow {
            (m.rows + 1, m.cols + 1)
        } else {
            (
                m.rows.saturating_sub(1).max(1),
                m.cols.saturating_sub(1).max(1),
            )
        };
        m.rows = r;
        m.cols = co;
        if c.num_priors() > budget || c == *best {
            return None;
        }
        return Some(c);
    }
    let m = &mut c.maps[k];
    let t = rng.below(m.shapes.len());
    if kind < 0.3 && !per_map[k].is_empty() {
        m.shapes[t] = tidy(per_map[k][rng.below(per_map[k].len())]);
    } else {
        let sigma = [0.25, 0.1, 0.04][it % 3];
        let (w, h) = m.shapes[t];
        m.shapes[t] = tidy((
            w * (sigma * rng.normal()).exp(),
            h * (sigma * rng.normal()).exp(),
        ));
    }
    (c != *best).then_some(c)
}

/// Objects that share a cell with more objects than the cell has priors, on the map of their
/// scale band.
#[derive(Debug, Clone, PartialEq)]
pub struct Crowding {
    pub objects: u64,
    /// Objects in cells holding more objects than priors.
    pub crowded: u64,
    /// At least this many of them cannot have a prior of their own cell: the sum over crowded
    /// cells of (objects - priors per cell).
    pub excess: u64,
    /// Per map: grid, priors per cell, crowded objects on it.
    pub maps: Vec<(u32, u32, usize, u64)>,
    /// The smallest grid (same per-cell count, on the map with the most crowded objects) that
    /// leaves at most 1% of its objects in crowded cells, if one up to 1024x1024 does.
    pub grid_needed: Option<(usize, u32)>,
}

/// Counts crowded cells for candidate `c` (one image at a time; objects by centre).
pub fn crowding(problem: &Problem, c: &Candidate) -> Crowding {
    let shapes = problem.shapes();
    let band = map_of_objects(c, &shapes);
    let crowded_on = |k: usize, rows: u32, cols: u32| -> (u64, u64, u64) {
        let per_cell = c.maps[k].shapes.len() as u64;
        let (mut n, mut crowded, mut excess) = (0u64, 0u64, 0u64);
        let mut cells: Vec<u64> = Vec::new();
        let mut at = 0usize;
        for gts in &problem.images {
            cells.clear();
            for g in gts {
                let b = band[at];
                at += 1;
                if b != k {
                    continue;
                }
                let cc = g.corners.to_center();
                let col = ((f64::from(cc.cx) * f64::from(cols)).floor().max(0.0) as u64)
                    .min(u64::from(cols) - 1);
                let row = ((f64::from(cc.cy) * f64::from(rows)).floor().max(0.0) as u64)
                    .min(u64::from(rows) - 1);
                cells.push(row * u64::from(cols) + col);
            }
            n += cells.len() as u64;
            cells.sort_unstable();
            for run in cells.chunk_by(|a, b| a == b) {
                let len = run.len() as u64;
                if len > per_cell {
                    crowded += len;
                    excess += len - per_cell;
                }
            }
        }
        (n, crowded, excess)
    };
    let mut out = Crowding {
        objects: shapes.len() as u64,
        crowded: 0,
        excess: 0,
        maps: Vec::new(),
        grid_needed: None,
    };
    let mut worst = (0usize, 0u64);
    for (k, m) in c.maps.iter().enumerate() {
        let (_, crowded, excess) = crowded_on(k, m.rows, m.cols);
        out.crowded += crowded;
        out.excess += excess;
        out.maps.push((m.rows, m.cols, m.shapes.len(), crowded));
        if crowded > worst.1 {
            worst = (k, crowded);
        }
    }
    if out.crowded > 0 {
        let k = worst.0;
        let m = &c.maps[k];
        let mut g = m.rows.max(m.cols);
        while g < 1024 {
            g = (g * 2).min(1024);
            let (n, crowded, _) = crowded_on(k, g, g);
            if crowded * 100 <= n {
                out.grid_needed = Some((k, g));
                break;
            }
        }
    }
    out
}

/// Held-out images without `--val-split`: a deterministic 20% chosen by a hash of the id
/// (FNV-1a 64), so the choice does not depend on order or thread count.
pub fn is_held_out(id: &str) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % 5 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kmeans_recovers_three_shapes() {
        let truth = [(0.1, 0.6), (0.45, 0.45), (0.7, 0.15)];
        let pts: Vec<(f64, f64)> = (0..300).map(|i| truth[i % 3]).collect();
        let got = kmeans_shapes(&pts, 3, &[], &mut Rng::new(1));
        let mut want = truth.to_vec();
        want.sort_by(|a, b| (a.0 * a.1).partial_cmp(&(b.0 * b.1)).unwrap());
        assert_eq!(got, want);
    }

    #[test]
    fn kmeans_finds_jittered_clusters() {
        let truth = [(0.1, 0.6), (0.45, 0.45), (0.7, 0.15)];
        let pts: Vec<(f64, f64)> = (0..300)
            .map(|i| {
                let f = 1.0 + 0.01 * ((i / 3) % 5) as f64;
                (truth[i % 3].0 * f, truth[i % 3].1 * f)
            })
            .collect();
        let got = kmeans_shapes(&pts, 3, &[], &mut Rng::new(7));
        for t in truth {
            assert!(
                got.iter().any(|&g| centred_iou(g, t) > 0.95),
                "{t:?} not in {got:?}"
            );
        }
    }

    #[test]
    fn centred_iou_by_hand() {
        // 0.2x0.2 in 0.4x0.4: 0.04 / 0.16.
        assert!((centred_iou((0.2, 0.2), (0.4, 0.4)) - 0.25).abs() < 1e-12);
        // 1x2 and 2x1: 1 / 3.
        assert!((centred_iou((1.0, 2.0), (2.0, 1.0)) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn budget_split_by_objects_per_prior() {
        let start = Candidate {
            maps: vec![
                MapShapes {
                    rows: 4,
                    cols: 4,
                    shapes: vec![(0.1, 0.1)],
                },
                MapShapes {
                    rows: 2,
                    cols: 2,
                    shapes: vec![(0.5, 0.5)],
                },
            ],
        };
        // 20 cells; 60 priors: all objects on map 0 -> its count grows while 16 more fit.
        // 20 + 16 + 16 = 52, then map 1 takes the rest: 52 + 4 + 4 = 60.
        assert_eq!(per_cell_counts(&start, &[100, 0], 60).unwrap(), vec![3, 3]);
        assert!(matches!(
            per_cell_counts(&start, &[1, 1], 19),
            Err(SuggestError::BudgetBelowCells { cells: 20, .. })
        ));
    }

    #[test]
    fn held_out_share_is_near_a_fifth() {
        let n = (0..10_000)
            .filter(|i| is_held_out(&format!("{i:06}")))
            .count();
        assert!((1800..2200).contains(&n), "{n}");
    }
}
