//! Logging. `RUST_LOG` picks what is shown; the default is Slipway's own info lines.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("slipway=info,tower_http=warn"));
    // A second init (tests start many apps) keeps the first subscriber.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
