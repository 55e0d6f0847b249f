//! Unix signals, as Go's signal.go handles them: SIGINT and SIGTERM stop
//! the server (SIGTERM is ignored while in lame-duck mode), SIGHUP
//! reloads the config file, SIGUSR1 reopens the log file, SIGUSR2 enters
//! lame-duck mode. And the other side, `--signal <cmd>[=<pid|pidfile>]`
//! (Go's `ProcessSignal`): send one of those signals to a running server.

use tokio::signal::unix::{signal, Signal, SignalKind};

/// What a trapped signal asks of the server.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Trapped {
    Interrupt,
    Terminate,
    Reload,
    Reopen,
    LameDuck,
}

/// The installed handlers.
pub struct Signals {
    int: Signal,
    term: Signal,
    hup: Signal,
    usr1: Signal,
    usr2: Signal,
}

impl Signals {
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            usr1: signal(SignalKind::user_defined1())?,
            usr2: signal(SignalKind::user_defined2())?,
        })
    }

    /// The next signal, logged as Go logs it (`Trapped "hangup" signal`).
    pub async fn next(&mut self) -> Trapped {
        let (t, name) = tokio::select! {
            _ = self.int.recv() => (Trapped::Interrupt, "interrupt"),
            _ = self.term.recv() => (Trapped::Terminate, "terminated"),
            _ = self.hup.recv() => (Trapped::Reload, "hangup"),
            _ = self.usr1.recv() => (Trapped::Reopen, "user defined signal 1"),
            _ = self.usr2.recv() => (Trapped::LameDuck, "user defined signal 2"),
        };
        tracing::info!("Trapped \"{}\" signal", name);
        t
    }
}

/// Go's `CommandToSignal`: the `kill -s` name for a `--signal` command.
pub fn command_to_signal(command: &str) -> Result<&'static str, String> {
    Ok(match command {
        "stop" => "KILL",
        "quit" => "INT",
        "reopen" => "USR1",
        "reload" => "HUP",
        "ldm" => "USR2",
        "term" => "TERM",
        _ => return Err(format!("unknown signal \"{command}\"")),
    })
}

/// Go's `maybeReadPidFile`: the contents of the file if `pid` names one,
/// else `pid` itself.
fn maybe_read_pid_file(pid: &str) -> String {
    std::fs::read_to_string(pid).map(|s| s.trim().to_string()).unwrap_or_else(|_| pid.to_string())
}

/// `--signal <command>[=<pid or pid file>]`. Without a pid, the one
/// running `rnatsd` process (found with `pgrep`) is signalled.
pub fn send_signal(command: &str, pid: Option<&str>) -> Result<(), String> {
    let sig = command_to_signal(command)?;
    let pid: u32 = match pid {
        Some(p) => {
            let p = maybe_read_pid_file(p);
            p.trim().parse().map_err(|_| format!("invalid pid: {p}"))?
        }
        None => only_running_pid()?,
    };
    let out = std::process::Command::new("kill")
        .args(["-s", sig, &pid.to_string()])
        .output()
        .map_err(|e| format!("signal \"{command}\" {pid}: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(format!("signal \"{command}\" {pid}: {err}"));
    }
    Ok(())
}

fn only_running_pid() -> Result<u32, String> {
    let out = std::process::Command::new("pgrep")
        .arg("-x")
        .arg("rnatsd")
        .output()
        .map_err(|_| "unable to resolve pid, try providing one".to_string())?;
    let me = std::process::id();
    let pids: Vec<u32> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .filter(|p| *p != me)
        .collect();
    match pids.as_slice() {
        [] => Err("no rnatsd processes running".to_string()),
        [p] => Ok(*p),
        many => {
            let list: Vec<String> = many.iter().map(u32::to_string).collect();
            Err(format!("multiple rnatsd processes running:\n{}", list.join("\n")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_process_signal_invalid_command() {
        assert_eq!(command_to_signal("stop").unwrap(), "KILL");
        assert_eq!(command_to_signal("quit").unwrap(), "INT");
        assert_eq!(command_to_signal("reopen").unwrap(), "USR1");
        assert_eq!(command_to_signal("reload").unwrap(), "HUP");
        assert_eq!(command_to_signal("ldm").unwrap(), "USR2");
        assert_eq!(command_to_signal("term").unwrap(), "TERM");
        assert_eq!(command_to_signal("foo").unwrap_err(), "unknown signal \"foo\"");
    }

    #[test]
    fn test_process_signal_invalid_pid() {
        assert_eq!(send_signal("reload", Some("abc")).unwrap_err(), "invalid pid: abc");
    }

    #[test]
    fn pid_file_contents_are_used() {
        let path = std::env::temp_dir().join(format!("rnatsd-sigtest-{}.pid", std::process::id()));
        std::fs::write(&path, "12345\n").unwrap();
        assert_eq!(maybe_read_pid_file(path.to_str().unwrap()), "12345");
        assert_eq!(maybe_read_pid_file("678"), "678");
        let _ = std::fs::remove_file(path);
    }
}
