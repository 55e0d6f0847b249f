//! `rnatsd`: nats-server-compatible command line.

use rnatsd::flags::{self, Command};

/// mimalloc instead of glibc's malloc: the publish path allocates small,
/// short-lived buffers per message, and glibc's free-list consolidation
/// showed up in profiles of the JetStream publish bench.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match flags::parse_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rnatsd: {e}");
            if e.starts_with("flag") {
                eprintln!("{}", flags::USAGE);
            }
            std::process::exit(1);
        }
    };
    let opts = match cmd {
        Command::Help => {
            println!("{}", flags::USAGE);
            return;
        }
        Command::HelpTls => {
            println!("{}", flags::TLS_USAGE);
            return;
        }
        Command::Version => {
            println!(
                "rnatsd: v{} (nats-server v{} compatible)",
                rnatsd_core::server::RNATSD_VERSION,
                rnatsd_core::server::NATS_COMPAT_VERSION
            );
            return;
        }
        Command::Signal { command, pid } => match rnatsd::signals::send_signal(&command, pid.as_deref()) {
            Ok(()) => return,
            Err(e) => {
                eprintln!("rnatsd: {e}");
                std::process::exit(1);
            }
        },
        Command::CheckConfig(opts) => {
            println!("rnatsd: configuration file {} is valid", opts.config_file.as_deref().unwrap_or(""));
            return;
        }
        Command::Run(opts) => *opts,
    };
    if let Err(e) = flags::ensure_supported(&opts) {
        eprintln!("rnatsd: {e}");
        std::process::exit(1);
    }
    if let Err(e) = rnatsd::logging::init(
        opts.debug,
        opts.trace,
        opts.logtime,
        opts.logtime_utc,
        opts.log_file.as_deref(),
    ) {
        eprintln!("rnatsd: {e}");
        std::process::exit(1);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rnatsd: cannot start runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = rt.block_on(rnatsd::run::run(opts));
    std::process::exit(code);
}
