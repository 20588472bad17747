//! The `ssd-assign` binary: parse flags, run the command, map the outcome to an exit status.

use clap::Parser;
use ssd_assign::cli::{Cli, Command};
use ssd_assign::cmd::{self, ExitStatus};

/// mimalloc instead of glibc's malloc: images are read on pool threads and their results
/// freed on another, which glibc serialises on arena locks; with 2 threads malloc/free were
/// ~19% of the audit's CPU and the audit ran 1.14x slower (docs/performance.md). The library
/// leaves the allocator to its users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    // One way for every run to end on SIGINT, SIGTERM or SIGHUP: nothing left behind.
    if let Err(e) = ssd_assign::sink::atomic::install_signal_handlers() {
        eprintln!("ssd-assign: error: installing the signal handlers: {e}");
        std::process::exit(ExitStatus::Fatal as i32);
    }
    let result = match &cli.command {
        Command::Audit(args) => cmd::audit::run(args),
        Command::Encode(args) => cmd::encode::run(args),
        Command::Priors(args) => cmd::priors::run(args),
        Command::Suggest(args) => cmd::suggest::run(args),
    };
    let status = match result {
        Ok(status) => status,
        Err(e) => {
            if is_broken_pipe(&e) {
                ExitStatus::Clean
            } else {
                eprintln!("ssd-assign: error: {e:#}");
                ExitStatus::Fatal
            }
        }
    };
    std::process::exit(status as i32);
}

/// Writing into a closed pipe (`ssd-assign audit ... | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
