//! Starting the server from resolved options: logging, the startup banner
//! worded as Go's (tools and test harnesses read it), pid and ports files,
//! signals, and a clean shutdown.

use std::time::Duration;

use rnatsd_core::options::ServerOptions;
use rnatsd_core::server::{NATS_COMPAT_VERSION, RNATSD_VERSION};

use crate::signals::{Signals, Trapped};

/// Options we accept but cannot honour yet. Returns the message to exit with.
pub fn unsupported(opts: &ServerOptions) -> Option<String> {
    if opts.cluster_listen.is_some() || !opts.routes.is_empty() || opts.cluster_name.is_some() {
        return Some(
            "clustering (--cluster, --routes, --cluster_name, cluster {}) is not yet supported by rnatsd".to_string(),
        );
    }
    None
}

/// Seeds the engine's PRNG (server id, queue-group choice) from the OS.
fn os_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    h.write_u32(std::process::id());
    h.finish()
}

/// Raises the soft limit on open files to the hard limit, as the Go
/// runtime does for nats-server at startup: every client is a descriptor.
pub fn raise_nofile_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Runs until SIGINT or SIGTERM. Returns the process exit code.
pub async fn run(opts: ServerOptions) -> i32 {
    raise_nofile_limit();
    if let Some(msg) = unsupported(&opts) {
        tracing::error!("{}", msg);
        eprintln!("rnatsd: {msg}");
        return 1;
    }
    for w in &opts.warnings {
        tracing::warn!("{}", w);
    }
    let js = opts.jetstream.clone();

    tracing::info!("Starting nats-server");
    tracing::info!("  Version:  {} (rnatsd {})", NATS_COMPAT_VERSION, RNATSD_VERSION);
    tracing::info!("  Git:      [not set]");
    let server = match rnatsd_io_tokio::start(opts.clone(), os_seed()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{}", e);
            eprintln!("rnatsd: {e}");
            return 1;
        }
    };
    let varz: serde_json::Value = serde_json::from_str(&server.varz_json()).unwrap_or_default();
    tracing::info!("  Name:     {}", varz["server_name"].as_str().unwrap_or(""));
    tracing::info!("  ID:       {}", varz["server_id"].as_str().unwrap_or(""));
    if let Some(cf) = &opts.config_file {
        tracing::info!("Using configuration file: {}", cf);
    }
    if js.enabled {
        let dir = std::path::Path::new(&js.store_dir.clone().unwrap_or_else(default_store_dir)).join("jetstream");
        let limit = |v: i64| if v > 0 { v.to_string() } else { "dynamic".to_string() };
        tracing::info!("Starting JetStream");
        tracing::info!("---------------- JETSTREAM ----------------");
        tracing::info!("  Max Memory:      {}", limit(js.max_memory_store));
        tracing::info!("  Max Storage:     {}", limit(js.max_file_store));
        tracing::info!("  Store Directory: \"{}\"", dir.display());
        if matches!(js.sync_interval, Some(d) if !d.is_zero()) {
            tracing::warn!("  Sync interval set: publish acks no longer wait for fsync");
        } else {
            tracing::info!("  Durability:      publish acks wait for fsync (group commit)");
        }
        tracing::info!("-------------------------------------------");
    }
    if let Some(addr) = server.http_addr {
        let scheme = if opts.https_port != 0 { "https" } else { "http" };
        tracing::info!("Starting {} monitor on {}:{}", scheme, opts.http_host, addr.port());
    }
    let client = server.client_addr;
    tracing::info!("Listening for client connections on {}:{}", opts.host, client.port());
    if opts.tls {
        // Handshake-first without a fallback always requires the handshake.
        let first_only = opts.tls_handshake_first && opts.tls_handshake_first_fallback.is_zero();
        if opts.allow_non_tls && !first_only {
            tracing::info!("TLS available for client connections");
        } else {
            tracing::info!("TLS required for client connections");
        }
        if first_only {
            tracing::warn!("Clients that are not using \"TLS Handshake First\" option will fail to connect");
        }
    }
    if let Some(pid_file) = &opts.pid_file {
        if let Err(e) = std::fs::write(pid_file, std::process::id().to_string()) {
            tracing::error!("Could not write pidfile: {}", e);
        }
    }
    let ports_file = opts.ports_file_dir.as_ref().map(|dir| write_ports_file(dir, &opts, &server));
    // Handlers go in before "Server is ready": a harness that signals as
    // soon as it reads that line must not hit the default action (SIGHUP
    // would kill the process).
    let signals = Signals::install();
    tracing::info!("Server is ready");

    serve_signals(&server, signals).await;
    tracing::info!("Initiating Shutdown...");
    server.shutdown(Duration::from_secs(2)).await;
    if let Some(Some(p)) = ports_file {
        let _ = std::fs::remove_file(p);
    }
    if let Some(pid_file) = &opts.pid_file {
        let _ = std::fs::remove_file(pid_file);
    }
    tracing::info!("Server Exiting..");
    0
}

/// Go's `$TMPDIR/nats/jetstream` parent: the embedded default store.
pub fn default_store_dir() -> String {
    std::env::temp_dir().join("nats").to_string_lossy().into_owned()
}

fn write_ports_file(dir: &str, opts: &ServerOptions, server: &rnatsd_io_tokio::RunningServer) -> Option<std::path::PathBuf> {
    let exe = std::env::args()
        .next()
        .and_then(|a| std::path::Path::new(&a).file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "rnatsd".into());
    let path = std::path::Path::new(dir).join(format!("{}_{}.ports", exe, std::process::id()));
    let host = if opts.host == "0.0.0.0" || opts.host.is_empty() { "127.0.0.1" } else { opts.host.as_str() };
    let mut ports = serde_json::json!({ "nats": [format!("nats://{}:{}", host, server.client_addr.port())] });
    if let Some(h) = server.http_addr {
        let scheme = if opts.https_port != 0 { "https" } else { "http" };
        ports["monitoring"] = serde_json::json!([format!("{}://{}:{}", scheme, host, h.port())]);
    }
    match std::fs::write(&path, ports.to_string()) {
        Ok(()) => Some(path),
        Err(e) => {
            tracing::error!("Error writing ports file ({}): {}", path.display(), e);
            None
        }
    }
}

/// Handles signals until the server should stop: SIGINT, SIGTERM (not
/// while in lame-duck mode), or the end of lame-duck mode.
async fn serve_signals(server: &rnatsd_io_tokio::RunningServer, signals: std::io::Result<Signals>) {
    let Ok(mut signals) = signals else {
        // Without signal handlers, fall back to Ctrl-C.
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    let mut ldm = false;
    loop {
        let trapped = tokio::select! {
            t = signals.next() => t,
            _ = server.lame_duck_complete(), if ldm => return,
        };
        match trapped {
            Trapped::Interrupt => return,
            Trapped::Terminate if !ldm => return,
            Trapped::Terminate => {}
            Trapped::Reload => {
                if let Err(e) = reload(server) {
                    tracing::error!("Failed to reload server configuration: {}", e);
                }
            }
            Trapped::Reopen => match crate::logging::reopen() {
                Ok(()) => tracing::info!("File log re-opened"),
                Err(e) => tracing::error!("{}", e),
            },
            Trapped::LameDuck => ldm |= server.enter_lame_duck(),
        }
    }
}

/// Go's `Server.Reload`: re-reads the config file, applies the command
/// line flags over it as at startup, and hands the result to the engine.
pub fn reload(server: &rnatsd_io_tokio::RunningServer) -> Result<(), String> {
    let current = server.options();
    if current.config_file.is_none() {
        return Err("can only reload config when a file is provided using -c or --config".to_string());
    }
    let opts = match crate::flags::parse_args(std::env::args().skip(1))? {
        crate::flags::Command::Run(o) => *o,
        _ => return Err("the command line no longer describes a server to run".to_string()),
    };
    let changed = server.reload(opts)?;
    let now = server.options();
    if changed.iter().any(|k| matches!(*k, "debug" | "trace")) {
        crate::logging::set_level(now.debug, now.trace);
    }
    if changed.contains(&"log_file") {
        if let Err(e) = crate::logging::set_file(now.log_file.as_deref()) {
            tracing::error!("{}", e);
        }
    }
    if changed.contains(&"pid_file") {
        if let Some(p) = &now.pid_file {
            if let Err(e) = std::fs::write(p, std::process::id().to_string()) {
                tracing::error!("Failed to write pidfile: {}", e);
            }
        }
    }
    Ok(())
}
