//! `ssd-assign show ANNOTATION.xml --out FILE.png|FILE.svg`: one image drawn with what matching
//! did to it (the gallery's drawing, full size): every object, its best prior and its other
//! positive priors, and for a lost collision the object that took the prior and the shared
//! prior. The image is found as the audit finds it; without a readable one the drawing is on a
//! blank canvas of `<size>` and says why.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::cmd::args::{DatasetArgs, MatchArgs, PriorsArgs, ReadArgs};
use crate::cmd::{Outcome, UsageError};
use crate::pipeline::Worker;
use crate::render::overlay::{self, raster, svg, Drawing, SceneOptions};
use crate::sink::atomic::AtomicFile;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The annotation file to draw.
    #[arg(value_name = "ANNOTATION.xml")]
    pub annotation: PathBuf,

    /// Where to write the picture: a .png (the image with the drawing) or a .svg file (the
    /// image embedded, the drawing as vector shapes).
    #[arg(long, value_name = "FILE.png|FILE.svg")]
    pub out: PathBuf,

    /// Overwrite the --out file if it exists.
    #[arg(long)]
    pub force: bool,

    /// Also draw every prior of the cells the objects' centres fall in, on every feature map.
    #[arg(long)]
    pub all_priors: bool,

    /// The object to put in focus, by its position among the file's <object>s (0-based);
    /// default: the worst one (a lost collision or no positive first, then the lowest IoU).
    #[arg(long, value_name = "N")]
    pub object: Option<usize>,

    /// Folder holding the image; default: JPEGImages/ beside the Annotations/ folder the file is
    /// in, else the folder holding the XML.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,

    #[command(flatten)]
    pub read: ReadArgs,

    #[command(flatten)]
    pub matching: MatchArgs,
    #[command(flatten)]
    pub priors: PriorsArgs,
}

/// What `--out` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PictureFormat {
    Png,
    Svg,
}

fn picture_format(out: &Path) -> Result<PictureFormat, UsageError> {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("png") => Ok(PictureFormat::Png),
        Some("svg") => Ok(PictureFormat::Svg),
        _ => Err(UsageError(format!(
            "--out {}: name a .png or a .svg file, e.g. --out picture.png",
            out.display()
        ))),
    }
}

pub fn run(args: &ShowArgs) -> anyhow::Result<Outcome> {
    let format = picture_format(&args.out)?;
    let prior_sets = args.priors.resolve()?;
    if prior_sets.len() > 1 {
        return Err(UsageError(
            "--priors: show draws one prior configuration; give --priors once".into(),
        )
        .into());
    }
    let dataset = dataset_args(args);
    let setup = crate::cmd::setup(&dataset, &args.matching, prior_sets[0].clone())?;
    let [entry] = setup.listing.entries.as_slice() else {
        return Err(UsageError(format!(
            "{}: give one annotation file (.xml) to draw",
            args.annotation.display()
        ))
        .into());
    };
    let engine = &setup.engine;
    let result = match engine.process(entry, &mut Worker::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "ssd-assign: error: {e}\n  nothing drawn: fix the annotation (or pass the \
                 settings it needs, e.g. --classes auto) and run show again"
            );
            return Ok(Outcome::Rejected);
        }
    };
    let focus = args.object.map(|n| focus_of(n, &result)).transpose()?;
    let options = SceneOptions {
        focus,
        all_priors: args.all_priors,
    };
    let drawing = overlay::drawing(entry, &result, &engine.priors, options);
    let bytes = match format {
        PictureFormat::Png => png(&drawing)?,
        PictureFormat::Svg => svg_document(&drawing).into_bytes(),
    };
    let mut out = AtomicFile::create(&args.out, args.force, "--out").map_err(anyhow::Error::msg)?;
    out.write_all(&bytes)
        .and_then(|()| out.commit())
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("{}: {}", args.out.display(), drawing.scene.headline);
    for note in &drawing.scene.notes {
        eprintln!("  note: {note}");
    }
    let rejected = result
        .annotation
        .skipped
        .iter()
        .any(|s| s.finding_kind().is_some_and(|k| k.is_rejection()));
    Ok(if rejected {
        Outcome::Rejected
    } else {
        Outcome::Clean
    })
}

/// The dataset flags of the one annotation file to draw.
fn dataset_args(args: &ShowArgs) -> DatasetArgs {
    DatasetArgs {
        datasets: vec![args.annotation.clone()],
        split: None,
        recursive: false,
        images: args
            .images
            .clone()
            .or_else(|| year_folder_images(&args.annotation)),
        read: args.read.clone(),
        jobs: 1,
        quiet: true,
    }
}

/// The GT index of `--object N` (N: the position among the file's `<object>`s).
fn focus_of(n: usize, result: &crate::pipeline::ImageResult) -> Result<usize, UsageError> {
    let objects = &result.annotation.objects;
    objects
        .iter()
        .position(|o| o.index_in_file == n)
        .ok_or_else(|| {
            let kept: Vec<String> = objects
                .iter()
                .map(|o| o.index_in_file.to_string())
                .collect();
            UsageError(format!(
                "--object {n}: {} has no object {n} to match (objects kept: {})",
                result.xml.display(),
                if kept.is_empty() {
                    "none".into()
                } else {
                    kept.join(", ")
                }
            ))
        })
}

/// `VOC2012/JPEGImages` for `VOC2012/Annotations/x.xml`, when it exists: where the audit of the
/// year folder would look (one .xml file alone is looked up beside itself).
fn year_folder_images(annotation: &Path) -> Option<PathBuf> {
    let dir = annotation.parent()?;
    let images = dir.parent()?.join("JPEGImages");
    (dir.file_name()? == "Annotations" && images.is_dir()).then_some(images)
}

fn png(d: &Drawing) -> anyhow::Result<Vec<u8>> {
    let background = d.picture.as_ref().ok().map(|p| &p.pixels);
    let img = raster::render(&d.scene, background)?;
    Ok(raster::png_bytes(&img)?)
}

/// The SVG embeds the image file as it is (its format by content), or draws a blank canvas.
fn svg_document(d: &Drawing) -> String {
    use base64::Engine as _;
    match &d.picture {
        Ok(p) => {
            let (width, height) = p.pixels.dimensions();
            use image::ImageFormat as F;
            // Formats every browser shows are embedded as they are; others (TIFF) as PNG.
            let (mime, bytes) = match p.format {
                F::Jpeg | F::Png | F::Gif | F::WebP => (p.format.to_mime_type(), p.bytes.clone()),
                _ => (
                    "image/png",
                    raster::png_bytes(&p.pixels).unwrap_or_default(),
                ),
            };
            let href = format!(
                "data:{mime};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&bytes)
            );
            svg::document(
                &d.scene,
                &svg::Background::Image {
                    href: &href,
                    width,
                    height,
                },
            )
        }
        Err(_) => svg::document(
            &d.scene,
            &svg::Background::Blank {
                width: d.scene.size.0.max(1),
                height: d.scene.size.1.max(1),
            },
        ),
    }
}
