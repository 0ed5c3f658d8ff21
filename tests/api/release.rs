//! The release build, as `make run` serves it: the release binary as its own process,
//! with the optimised WASM. Its islands once failed to start in every browser (a broken
//! wasm-opt) while the debug build, which the other tests use, was fine.
//!
//! Ignored by a plain `cargo test`, which has not built it: `make test` builds the
//! release and then runs these with `--ignored release::`.

use crate::browser::a_workshop_in_two_browsers;
use crate::support::{repo_root, ReleaseServer};

#[tokio::test]
#[ignore = "needs `make build-release`: `make test` builds it, then runs this"]
async fn the_release_build_runs_a_workshop_in_two_browsers() {
    let server = ReleaseServer::start(&repo_root().join("tests/fixtures/lessons"), 0).await;
    a_workshop_in_two_browsers(&server.base, &server.database).await;
    server.stop().await;
}
