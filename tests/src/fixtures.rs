//! The lesson sets tests run against, each a directory of tracks like `lessons/`.

use std::path::PathBuf;

use crate::repo_root;

/// `tests/fixtures/lessons`: a small track whose checks pass and fail quickly.
pub fn fixture_lessons() -> PathBuf {
    repo_root().join("tests/fixtures/lessons")
}

/// `tests/fixtures/single-node`: one lesson on a single node, with a step with a real
/// check, one whose check hangs, and one without a check.
pub fn files_lessons() -> PathBuf {
    repo_root().join("tests/fixtures/single-node")
}
