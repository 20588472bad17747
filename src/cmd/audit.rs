//! `ssd-assign audit`: the dataset report people read before they train.

use std::io::Write;
use std::sync::Arc;

use clap::Args;

use crate::cli::{DatasetArgs, MatchArgs};
use crate::cmd::{progress_bar, ExitStatus};
use crate::priors::PriorSet;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub dataset: DatasetArgs,
    #[command(flatten)]
    pub matching: MatchArgs,
}

pub fn run(args: &AuditArgs) -> anyhow::Result<ExitStatus> {
    let setup = args
        .dataset
        .resolve(&args.matching, Arc::new(PriorSet::tiny_detector()))?;
    let pb = progress_bar(setup.listing.entries.len(), setup.quiet);
    let (mut images, mut objects, mut positives, mut rejected) = (0usize, 0usize, 0u64, 0usize);
    setup.engine.run(
        &setup.listing.entries,
        setup.jobs,
        |done| pb.set_position(done as u64),
        |o| {
            match o {
                Ok(r) => {
                    images += 1;
                    objects += r.annotation.objects.len();
                    positives += r.matching.num_positives() as u64;
                }
                Err(e) => {
                    rejected += 1;
                    eprintln!("{e}");
                }
            }
            Ok::<(), std::convert::Infallible>(())
        },
    )?;
    pb.finish_and_clear();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "images {images}, objects {objects}, positives {positives}, files rejected {rejected}"
    )?;
    Ok(if rejected > 0 {
        ExitStatus::Rejected
    } else {
        ExitStatus::Clean
    })
}
