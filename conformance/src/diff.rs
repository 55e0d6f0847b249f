//! Comparing two transcripts and summarizing a run.

use crate::{Case, Expect};

/// One line of a diff: common to both, only in Go's, only in rnatsd's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    Both(String),
    Go(String),
    Rnatsd(String),
}

/// A longest-common-subsequence line diff. Transcripts are short (tens of
/// lines), so the quadratic table is fine.
pub fn diff_lines(go: &[String], rn: &[String]) -> Vec<DiffLine> {
    let (n, m) = (go.len(), rn.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if go[i] == rn[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && go[i] == rn[j] {
            out.push(DiffLine::Both(go[i].clone()));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(DiffLine::Rnatsd(rn[j].clone()));
            j += 1;
        } else {
            out.push(DiffLine::Go(go[i].clone()));
            i += 1;
        }
    }
    out
}

/// Renders a diff: `  ` common, `- ` Go only, `+ ` rnatsd only.
pub fn render(diff: &[DiffLine]) -> String {
    let mut s = String::new();
    for d in diff {
        let (mark, text) = match d {
            DiffLine::Both(t) => ("  ", t),
            DiffLine::Go(t) => ("- ", t),
            DiffLine::Rnatsd(t) => ("+ ", t),
        };
        s.push_str(mark);
        s.push_str(text);
        s.push('\n');
    }
    s
}

/// The counts a run ends with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub same: usize,
    pub different: usize,
    /// Expected to differ (intentional or Go 2.9) and did.
    pub expected_different: usize,
    /// Expected to differ but matched: the note may be stale.
    pub expected_but_same: usize,
}

impl Summary {
    pub fn add(&mut self, case: &Case, same: bool) {
        match (&case.expect, same) {
            (Expect::Same, true) => self.same += 1,
            (Expect::Same, false) => self.different += 1,
            (_, true) => self.expected_but_same += 1,
            (_, false) => self.expected_different += 1,
        }
    }

    /// A markdown table, as pasted into docs/CONFORMANCE.md.
    pub fn table(&self) -> String {
        format!(
            "| result | cases |\n|---|---|\n| same | {} |\n| different | {} |\n\
             | expected different (annotated) | {} |\n| annotated but same | {} |\n",
            self.same, self.different, self.expected_different, self.expected_but_same
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn equal_transcripts_have_no_changes() {
        let a = v(&["INFO x", "+OK", "PONG"]);
        let d = diff_lines(&a, &a);
        assert!(d.iter().all(|l| matches!(l, DiffLine::Both(_))));
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn changed_line_shows_both_sides() {
        let d = diff_lines(&v(&["INFO x", "-ERR 'a'", "closed"]), &v(&["INFO x", "-ERR 'b'", "closed"]));
        assert_eq!(render(&d), "  INFO x\n+ -ERR 'b'\n- -ERR 'a'\n  closed\n");
    }

    #[test]
    fn summary_counts_expectations_apart() {
        let mut s = Summary::default();
        let plain = Case::new("a", Config::Default);
        let noted = Case::new("b", Config::Default).expect(Expect::Intentional("x"));
        s.add(&plain, true);
        s.add(&plain, false);
        s.add(&noted, false);
        s.add(&noted, true);
        assert_eq!(s, Summary { same: 1, different: 1, expected_different: 1, expected_but_same: 1 });
        assert!(s.table().contains("| different | 1 |"));
    }
}
