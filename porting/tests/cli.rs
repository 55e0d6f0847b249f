//! End-to-end runs of the `porting` binary on a throwaway repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TSV: &str = "\
file\tline_start\tline_end\treceiver\tfunc_name\tarea\tkind
server/sublist.go\t100\t140\tSublist\tInsert\tsublist\tfeature
server/sublist_test.go\t10\t40\t\tTestSublistSimple\tsublist\ttest
server/mqtt_test.go\t10\t20\t\tTestMQTTConnect\tmqtt\ttest
";

struct Repo {
    root: PathBuf,
}

impl Repo {
    fn new(tag: &str) -> Repo {
        let root = std::env::temp_dir().join(format!("porting-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("core/src")).unwrap();
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        std::fs::write(root.join("inventory.tsv"), TSV).unwrap();
        Repo { root }
    }

    /// Runs the CLI from a subdirectory, so the root must be found by walking up.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_porting"))
            .args(args)
            .current_dir(self.root.join("core/src"))
            .output()
            .unwrap()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn tsv_arg(repo: &Repo) -> String {
    repo.path("inventory.tsv").display().to_string()
}

#[test]
fn seed_set_check_report_round_trip() {
    let repo = Repo::new("roundtrip");
    let out = repo.run(&["seed", "--tsv", &tsv_arg(&repo)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 inserted"), "{}", stdout(&out));
    assert!(Path::new(&repo.path("porting.db")).is_file());

    // The report has not been written yet.
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("docs/PORTING.md: is not what porting.db says"),
        "{}",
        stdout(&out)
    );
    assert!(repo.run(&["report"]).status.success());
    let out = repo.run(&["check"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    // Evidence naming a test that does not exist yet: set accepts, check fails.
    let out = repo.run(&[
        "set",
        "TestSublistSimple",
        "--status",
        "verified",
        "--test",
        "test_sublist_simple",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("does not exist in the workspace"),
        "{}",
        stdout(&out)
    );

    // Writing the test fixes it.
    std::fs::write(
        repo.path("core/src/lib.rs"),
        "#[test]\nfn test_sublist_simple() {}\n",
    )
    .unwrap();
    let out = repo.run(&["report"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = repo.run(&["check", "--strict"]);
    assert!(out.status.success(), "{}", stdout(&out));

    let md = std::fs::read_to_string(repo.path("docs/PORTING.md")).unwrap();
    assert!(
        md.contains("`server/sublist_test.go:TestSublistSimple` | verified"),
        "{md}"
    );
    let out = repo.run(&["report"]);
    assert!(stdout(&out).contains("is up to date"), "{}", stdout(&out));

    let out = repo.run(&["show", "test_sublist_simple"]);
    assert!(
        stdout(&out).contains("evidence: test_sublist_simple"),
        "{}",
        stdout(&out)
    );
    let out = repo.run(&["stats"]);
    assert!(stdout(&out).starts_with("3 Go items"), "{}", stdout(&out));
}

#[test]
fn usage_errors_exit_2() {
    let repo = Repo::new("usage");
    assert!(repo
        .run(&["seed", "--tsv", &tsv_arg(&repo)])
        .status
        .success());
    for args in [
        &["bogus"][..],
        &["set", "TestSublistSimple"],
        &["set", "TestSublistSimple", "--status", "weird"],
        &["set", "NoSuchItem", "--status", "ported", "--rust", "x"],
        &["check", "--frobnicate"],
    ] {
        let out = repo.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    // Breaking a rule is refused (exit 1) and writes nothing.
    let out = repo.run(&["set", "TestSublistSimple", "--status", "n_a"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("needs --reason"), "{}", stderr(&out));
    let out = repo.run(&["show", "TestSublistSimple"]);
    assert!(
        stdout(&out).contains("status:   not_started"),
        "{}",
        stdout(&out)
    );
}
