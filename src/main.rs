//! The `ssd-assign` binary: parse flags, run the command, map the outcome to an exit status.

use ssd_assign::cli::{self, ExitStatus};

/// mimalloc instead of glibc's malloc: images are read on pool threads and their results
/// freed on another, which glibc serialises on arena locks; with 2 threads malloc/free were
/// ~19% of the audit's CPU and the audit ran 1.14x slower (docs/performance.md). The library
/// leaves the allocator to its users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(e) => fatal(&e.to_string()),
    };
    // One way for every run to end on SIGINT, SIGTERM or SIGHUP: nothing left behind.
    if let Err(e) = ssd_assign::sink::atomic::install_signal_handlers() {
        fatal(&format!("installing the signal handlers: {e}"));
    }
    let status = match cli::run(&cli) {
        Ok(status) => status,
        Err(e) if is_broken_pipe(&e) => ExitStatus::Clean,
        Err(e) => fatal(&format!("{e:#}")),
    };
    std::process::exit(status as i32);
}

fn fatal(message: &str) -> ! {
    eprintln!("ssd-assign: error: {message}");
    std::process::exit(ExitStatus::Fatal as i32)
}

/// Writing into a closed pipe (`ssd-assign audit ... | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
