//! Command-line options.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{BenchError, BenchResult};

pub const USAGE: &str = "\
usage: rnatsd-bench [--compare GO_SERVER] [--rnatsd PATH] [--only go|rnatsd]
                    [--quick] [--repeats N] [--time-cap SECS] [--rows LIST]
                    [--markdown FILE]

  --compare PATH   nats-server-compatible binary to compare against
                   (default /usr/sbin/nats-server)
  --rnatsd PATH    rnatsd binary (default $CARGO_TARGET_DIR/release/rnatsd,
                   else <workspace>/target/release/rnatsd)
  --only WHICH     benchmark only `go` or only `rnatsd`
  --quick          divide message and connection counts by 10
  --repeats N      runs per row and server; the median is reported (default 3)
  --time-cap SECS  soft cap on each run's measured phase (default 20)
  --rows LIST      comma-separated subset of: pub16,pub128,pub1k,sub,fanout,
                   queue,reqrep,mem,js1,js256,js256lazy,js1always,js256always,
                   pull (default: all; js*always need a Go server that
                   accepts sync_interval: bash bench/install-go-server.sh)
  --markdown FILE  also write the table to FILE";

/// Which servers to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    Both,
    Go,
    Rnatsd,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub go: PathBuf,
    pub rnatsd: PathBuf,
    pub only: Only,
    pub quick: bool,
    pub repeats: usize,
    pub time_cap: Duration,
    pub rows: Option<Vec<String>>,
    pub markdown: Option<PathBuf>,
}

/// Where `cargo build --release -p rnatsd` puts the binary.
pub fn default_rnatsd_path(target_dir_env: Option<String>) -> PathBuf {
    match target_dir_env {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("release/rnatsd"),
        _ => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/release/rnatsd"
        )),
    }
}

impl Args {
    /// Parses the arguments after the program name. `Ok(None)` means
    /// `--help` was asked for.
    pub fn parse(
        argv: impl IntoIterator<Item = String>,
        target_dir_env: Option<String>,
    ) -> BenchResult<Option<Args>> {
        let mut args = Args {
            go: PathBuf::from("/usr/sbin/nats-server"),
            rnatsd: default_rnatsd_path(target_dir_env),
            only: Only::Both,
            quick: false,
            repeats: 3,
            time_cap: Duration::from_secs(20),
            rows: None,
            markdown: None,
        };
        let mut argv = argv.into_iter();
        while let Some(flag) = argv.next() {
            let mut value = || {
                argv.next()
                    .ok_or_else(|| BenchError::new(format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "--compare" => args.go = PathBuf::from(value()?),
                "--rnatsd" => args.rnatsd = PathBuf::from(value()?),
                "--only" => {
                    args.only = match value()?.as_str() {
                        "go" => Only::Go,
                        "rnatsd" => Only::Rnatsd,
                        other => {
                            return Err(BenchError::new(format!(
                                "--only takes go or rnatsd, not {other:?}"
                            )))
                        }
                    }
                }
                "--quick" => args.quick = true,
                "--repeats" => args.repeats = parse_number(&flag, &value()?, 1, 100)? as usize,
                "--time-cap" => {
                    args.time_cap = Duration::from_secs(parse_number(&flag, &value()?, 1, 600)?)
                }
                "--rows" => {
                    args.rows = Some(value()?.split(',').map(|s| s.trim().to_string()).collect())
                }
                "--markdown" => args.markdown = Some(PathBuf::from(value()?)),
                "-h" | "--help" => return Ok(None),
                other => {
                    return Err(BenchError::new(format!(
                        "unknown argument {other:?}\n{USAGE}"
                    )))
                }
            }
        }
        Ok(Some(args))
    }
}

fn parse_number(flag: &str, text: &str, min: u64, max: u64) -> BenchResult<u64> {
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(BenchError::new(format!(
            "{flag} takes a number from {min} to {max}, not {text:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(list: &[&str]) -> BenchResult<Option<Args>> {
        Args::parse(list.iter().map(|s| s.to_string()), None)
    }

    #[test]
    fn defaults_and_flags() {
        let args = parse(&[]).unwrap().unwrap();
        assert_eq!(args.go, PathBuf::from("/usr/sbin/nats-server"));
        assert!(args.rnatsd.ends_with("target/release/rnatsd"));
        assert_eq!(
            (args.only, args.quick, args.repeats),
            (Only::Both, false, 3)
        );

        let args = parse(&[
            "--compare",
            "/x/go",
            "--rnatsd",
            "/y/r",
            "--only",
            "go",
            "--quick",
            "--repeats",
            "1",
            "--time-cap",
            "5",
            "--rows",
            "pub16, mem",
            "--markdown",
            "out.md",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(args.go, PathBuf::from("/x/go"));
        assert_eq!(args.rnatsd, PathBuf::from("/y/r"));
        assert_eq!((args.only, args.quick, args.repeats), (Only::Go, true, 1));
        assert_eq!(args.time_cap, Duration::from_secs(5));
        assert_eq!(
            args.rows,
            Some(vec!["pub16".to_string(), "mem".to_string()])
        );
        assert_eq!(args.markdown, Some(PathBuf::from("out.md")));
    }

    #[test]
    fn usage_lists_every_row() {
        let words: Vec<&str> = USAGE.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        for key in crate::rows::ROW_KEYS {
            assert!(words.contains(&key), "--rows help lacks {key}");
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse(&["--only", "java"]).is_err());
        assert!(parse(&["--repeats", "0"]).is_err());
        assert!(parse(&["--compare"]).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
        assert_eq!(parse(&["--help"]).unwrap(), None);
    }

    #[test]
    fn rnatsd_default_follows_cargo_target_dir() {
        assert_eq!(
            default_rnatsd_path(Some("/t".into())),
            PathBuf::from("/t/release/rnatsd")
        );
        assert!(default_rnatsd_path(Some(String::new())).ends_with("../target/release/rnatsd"));
    }
}
