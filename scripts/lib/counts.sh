# shellcheck shell=bash
# Sourced by scripts/test and scripts/test-vscode: the closing counts of node:test's spec reporter.

# LOG -> "PASSED FAILED SKIPPED" on stdout; exit 1 when the log has no closing counts (the runner died).
# A cancelled test counts as failed (node:test cancels the tests of a suite whose before() hook failed);
# skipped and todo tests count as skipped.
mailops_node_test_counts() {
  awk '
    /^ℹ pass [0-9]+/ { p = $3; seen = 1 }
    /^ℹ fail [0-9]+/ { f = $3 }
    /^ℹ cancelled [0-9]+/ { c = $3 }
    /^ℹ skipped [0-9]+/ { s = $3 }
    /^ℹ todo [0-9]+/ { t = $3 }
    END { if (!seen) exit 1; print p + 0, f + c, s + t }
  ' "$1"
}

# LOG: the skipped and todo tests' lines, to show what skipped and why.
mailops_node_test_skips() { grep -E '^\s*﹣ |^\s*✔ .* # ' "$1" || true; }
