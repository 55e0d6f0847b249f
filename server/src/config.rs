//! Loading a config file into [`ServerOptions`]: the IO half of Go's
//! `Options.ProcessConfigFile`. Files are read with std::fs, variables fall
//! back to the process environment, and includes resolve relative to the
//! including file (the pure parser in `rnatsd_core::conf` does the rest).

use rnatsd_core::conf::{apply_config_with_files, parse};
use rnatsd_core::options::ServerOptions;

/// Parses `path` and applies it to `opts` (sets `opts.config_file`).
/// Returns the warnings (also kept in `opts.warnings`), or one message
/// listing every error as `file:line:col: reason` lines.
pub fn load_config_file(path: &str, opts: &mut ServerOptions) -> Result<Vec<String>, String> {
    opts.config_file = Some(path.to_string());
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("error opening config file: {e}"))?;
    let env = |name: &str| std::env::var(name).ok();
    let mut include = |file: &str| match std::fs::read_to_string(file) {
        Ok(text) => Ok((text, file.to_string())),
        Err(e) => Err(format!("open {file}: {e}")),
    };
    let map = parse(&text, path, &env, &mut include).map_err(|e| e.to_string())?;
    let mut warnings = Vec::new();
    if map.is_empty() {
        let w = format!("{path}: config has no values or is empty");
        opts.warnings.push(w.clone());
        warnings.push(w);
    }
    // Operator JWT files are named relative to the working directory, as Go.
    let mut read_file = |file: &str| std::fs::read_to_string(file).map_err(|e| format!("open {file}: {e}"));
    match apply_config_with_files(&map, opts, &mut read_file) {
        Ok(w) => {
            warnings.extend(w);
            Ok(warnings)
        }
        Err(errors) => {
            // Go prints warnings first, then errors, one per line.
            let mut lines = opts.warnings.clone();
            lines.extend(errors.iter().map(ToString::to_string));
            Err(lines.join("\n"))
        }
    }
}
