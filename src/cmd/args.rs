//! The flags the subcommands share (clap), parsed into typed values: named settings through
//! the library's names ([`choices`]), `--classes` as a [`ClassesSpec`], `--variances` as
//! [`Variances`]. Turning them into a run's configuration is [`super::setup`]'s job.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::Args;

use crate::assign::CollisionPolicy;
use crate::encode::Variances;
pub use crate::voc::labels::ClassesSpec;
use crate::voc::{CoordBase, DifficultPolicy};

/// A value parser for a library setting chosen by name: `values` are its names (the
/// library's `NAMES`, in order) each with the help text `--help` shows.
pub fn choices<T>(
    values: &'static [(&'static str, &'static str)],
) -> impl TypedValueParser<Value = T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: fmt::Debug,
{
    PossibleValuesParser::new(values.iter().map(|&(name, help)| {
        let v = PossibleValue::new(name);
        if help.is_empty() {
            v
        } else {
            v.help(help)
        }
    }))
    .map(|s| {
        s.parse::<T>()
            .expect("clap offers only the setting's names")
    })
}

pub const COORDS: &[(&str, &str)] = &[
    (
        "one-based",
        "VOC's 1-based pixels: subtract 1 from all four coordinates (the reference)",
    ),
    ("zero-based", "Coordinates already 0-based: no subtraction"),
];

pub const DIFFICULT: &[(&str, &str)] = &[
    (
        "keep",
        "Match them like any object (the reference's training default)",
    ),
    ("drop", "Leave them out of matching"),
];

pub const COLLISION: &[(&str, &str)] = &[
    (
        "reference",
        "The reference's index write: the later GT wins, the earlier loses its forced prior",
    ),
    (
        "optimal",
        "Forced priors form a maximum-IoU assignment of GTs to distinct priors (Hungarian \
         method); when no two GTs share a best prior this is the reference's choice",
    ),
];

/// A flag value refused by its parser. `main` prints it as every other error of the run
/// (`ssd-assign: error: ...`, exit status 1), not as clap's usage error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FlagValueError(pub String);

/// `--variances C,S`: two positive numbers.
pub fn parse_variances(s: &str) -> Result<Variances, FlagValueError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            FlagValueError(format!(
                "--variances {s}: expected two numbers, e.g. --variances 0.1,0.2"
            ))
        })?;
    match v[..] {
        [center, size] => Variances::checked(center, size).ok(),
        _ => None,
    }
    .ok_or_else(|| {
        FlagValueError(format!(
            "--variances {s}: expected two positive numbers, e.g. --variances 0.1,0.2"
        ))
    })
}

/// How each annotation is read: the label map and the coordinate, difficult and clipping
/// rules (every subcommand that reads annotations, `show` included).
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// Label map: `voc` (the reference's 20 classes), `auto` (sorted names found), or a file
    /// with one class name a line.
    #[arg(long, default_value = "voc", value_name = "voc|auto|FILE", value_parser = ClassesSpec::parse)]
    pub classes: ClassesSpec,

    /// Pixel coordinates are VOC's 1-based (subtract 1, as the reference) or already 0-based.
    #[arg(long, value_parser = choices::<CoordBase>(COORDS), default_value_t = CoordBase::OneBased)]
    pub coords: CoordBase,

    /// Keep objects marked difficult (the reference's training default) or drop them.
    #[arg(long, value_parser = choices::<DifficultPolicy>(DIFFICULT), default_value_t = DifficultPolicy::Keep)]
    pub difficult: DifficultPolicy,

    /// Clamp boxes that extend outside the image to its borders (the reference does not).
    #[arg(long)]
    pub clip: bool,
}

/// Which images, and how to read them.
#[derive(Debug, Clone, Args)]
pub struct DatasetArgs {
    /// VOC year folders, VOCdevkit folders, plain folders of .xml files, or single .xml files;
    /// several combine in order (e.g. VOC2007 VOC2012).
    #[arg(required = true, value_name = "DATASET")]
    pub datasets: Vec<PathBuf>,

    /// Read the image ids from ImageSets/Main/NAME.txt (e.g. trainval); default: every
    /// annotation file, sorted by name.
    #[arg(long, value_name = "NAME")]
    pub split: Option<String>,

    /// Also read .xml files in subfolders of a plain folder or of Annotations/ (ids are then
    /// relative paths without .xml, e.g. 00000/00001; links to folders are not followed).
    #[arg(long)]
    pub recursive: bool,

    /// Folder holding the images (for `<size>`-less annotations); default: JPEGImages/ of the
    /// year folder, else the folder holding the XML.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Threads reading and matching images, the main thread included (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0, value_name = "N")]
    pub jobs: usize,

    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Which prior sets to match against.
#[derive(Debug, Clone, Args)]
pub struct PriorsArgs {
    /// Prior configuration: a preset (tiny-detector, ssd300, torchvision-ssd300) or a TOML or
    /// JSON file (`ssd-assign priors --format toml` writes one to start from). Repeat to
    /// compare configurations.
    #[arg(
        long = "priors",
        default_value = "tiny-detector",
        value_name = "PRESET|FILE"
    )]
    pub priors: Vec<String>,
}

/// How priors are matched.
#[derive(Debug, Clone, Args)]
pub struct MatchArgs {
    /// Overlap (IoU) at or above which a prior is positive.
    #[arg(long, default_value_t = 0.5, value_name = "IOU")]
    pub threshold: f64,

    /// How GTs sharing a best prior are resolved: `reference` (the later GT wins) or `optimal`
    /// (a maximum-IoU assignment of GTs to distinct priors).
    #[arg(long, value_parser = choices::<CollisionPolicy>(COLLISION), default_value_t = CollisionPolicy::Reference)]
    pub collision: CollisionPolicy,

    /// Encoding variances for centre and size (`1,1` gives the textbook form).
    #[arg(long, default_value = "0.1,0.2", value_name = "CENTER,SIZE", value_parser = parse_variances)]
    pub variances: Variances,

    /// Hard negatives per positive in the reported budget.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub neg_pos_ratio: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The help tables name exactly the library's values, in its order.
    #[test]
    fn help_tables_name_every_library_value() {
        fn names(t: &[(&'static str, &'static str)]) -> Vec<&'static str> {
            t.iter().map(|v| v.0).collect()
        }
        assert_eq!(names(COORDS), CoordBase::NAMES);
        assert_eq!(names(DIFFICULT), DifficultPolicy::NAMES);
        assert_eq!(names(COLLISION), CollisionPolicy::NAMES);
        assert_eq!(
            names(super::super::encode::FORMATS),
            crate::sink::TargetFormat::NAMES
        );
        assert_eq!(
            names(super::super::encode::LABEL_DTYPES),
            crate::sink::LabelDtype::NAMES
        );
    }

    #[test]
    fn classes_spec_takes_a_file_named_auto_as_a_path() {
        assert_eq!(ClassesSpec::parse("auto").unwrap(), ClassesSpec::Auto);
        assert_eq!(ClassesSpec::parse("voc").unwrap(), ClassesSpec::Voc);
        let f = ClassesSpec::parse("./auto").unwrap();
        assert_eq!(f, ClassesSpec::File(PathBuf::from("./auto")));
        assert_eq!(f.to_string(), "./auto");
    }

    #[test]
    fn variances_are_two_positive_numbers() {
        let v = parse_variances("0.1, 0.2").unwrap();
        assert_eq!((v.center, v.size), (0.1, 0.2));
        assert_eq!(
            parse_variances("0.1").unwrap_err().to_string(),
            "--variances 0.1: expected two positive numbers, e.g. --variances 0.1,0.2"
        );
        assert_eq!(
            parse_variances("a,b").unwrap_err().to_string(),
            "--variances a,b: expected two numbers, e.g. --variances 0.1,0.2"
        );
        assert!(parse_variances("0,1").is_err());
    }
}
