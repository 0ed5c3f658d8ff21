//! Builds the application from its configuration: binds, opens the store, loads lessons.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum_extra::extract::cookie::Key;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use crate::checks::Checks;
use crate::config::Config;
use crate::events::Events;
use crate::http::{self, AllowedHosts, AppState, RateLimits};
use crate::instructors::Instructors;
use crate::lessons;
use crate::lessons::Catalog;
use crate::lifecycle::{Lifecycle, WarmPool};
use crate::preflight::PreflightRuns;
use crate::previews::host::PassKey;
use crate::previews::HostPreviews;
use crate::sandbox::Sandboxes;
use crate::store::{Store, StoreError};
use crate::terminal::Recordings;
use crate::workshops::{Admittance, Workshops};

/// The name scripts/build-site.sh gives the WASM and CSS bundle (`LEPTOS_OUTPUT_NAME`).
const BUNDLE_NAME: &str = "slipway";

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    maintenance_every: Duration,
}

impl Application {
    /// Binds the listener (port 0 picks a free port) and prepares everything it serves.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let store = Store::open(&config.database).await?;
        if store.instructor_count().await? == 0 {
            tracing::info!(
                "no instructor account yet: make one with `slipway instructor add NAME` \
                 (with the same SLIPWAY_DATABASE), then sign in at /instructor/login"
            );
        }

        let catalog = lessons::load(&config.lessons);
        for problem in &catalog.problems {
            tracing::error!("lesson not loaded: {problem}");
        }
        tracing::info!(
            "loaded {} lesson(s) in {} track(s) from {}",
            catalog.lesson_count(),
            catalog.tracks.len(),
            config.lessons.display()
        );

        let events = Events::default();
        let recordings = Arc::new(Recordings::new(
            config.recordings_dir(),
            store.clone(),
            config.recordings_kept(),
        ));
        let lifecycle =
            connect_sandboxes(&config, &store, &events, &catalog, recordings.clone()).await;
        // Lessons that use a tool the node image lacks say so on their page.
        let missing_tools = match &lifecycle {
            Some(lifecycle) => match lifecycle.sandboxes().missing_tools().await {
                Ok(tools) => tools,
                Err(error) => {
                    tracing::warn!(
                        "cannot read the node image's tools: {}",
                        crate::error_chain(&error)
                    );
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
        if !missing_tools.is_empty() {
            tracing::warn!(
                "the node image has no {}: lessons that use them say so",
                missing_tools.join(", ")
            );
        }
        let catalog = Arc::new(catalog);
        let check_timeout = Duration::from_secs(config.limits.check_timeout_seconds.max(1));
        let cookie_key = Key::from(
            &store
                .secret("cookie-key", || Key::generate().master().to_vec())
                .await?,
        );

        let host_previews = match &config.preview_domain {
            Some(domain) => Some(Arc::new(HostPreviews {
                domain: domain.trim().trim_start_matches("*.").to_ascii_lowercase(),
                key: PassKey::new(
                    store
                        .secret("preview-pass-key", || Key::generate().master().to_vec())
                        .await?,
                ),
            })),
            None => None,
        };
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.addr,
                    source,
                })?;
        let leptos = LeptosOptions::builder()
            .output_name(BUNDLE_NAME)
            .site_root(config.site_root.display().to_string())
            .site_addr(config.addr)
            .build();
        let checks = Arc::new(Checks::new(
            catalog.clone(),
            store.clone(),
            events.clone(),
            check_timeout,
        ));
        log_who_is_served(&config);
        let preflights = Arc::new(PreflightRuns::new(
            catalog.clone(),
            lifecycle.clone(),
            store.clone(),
            config.quotas(),
            check_timeout,
        ));
        let state = AppState {
            checks,
            preflights,
            recordings,
            instructors: Arc::new(Instructors::new(store.clone())),
            workshops: Arc::new(Workshops::new(
                store.clone(),
                catalog.clone(),
                events.clone(),
                config.admittance(),
            )),
            allowed_hosts: config.allowed_hosts(),
            limits: Arc::new(RateLimits::new(config.rate_limits())),
            events,
            leptos,
            store,
            library: Arc::new(lessons::library(&catalog, &missing_tools)),
            catalog,
            lifecycle,
            cookie_key,
            host_previews,
        };
        let maintenance_every = Duration::from_secs(config.limits.maintenance_seconds.max(1));
        Ok(Self {
            listener,
            state,
            maintenance_every,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.leptos.site_addr)
    }

    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Expiry, the warm pool and the queue are looked after while the server serves.
        let every = self.maintenance_every;
        let background = self.state.lifecycle.clone().map(|lifecycle| {
            let workshops = self.state.workshops.clone();
            [
                tokio::spawn(lifecycle.clone().maintain(every)),
                tokio::spawn(workshops.admit_forever(lifecycle, every)),
            ]
        });
        let forget_old_recordings =
            tokio::spawn(self.state.recordings.clone().forget_old_forever());
        let served = http::serve(self.listener, self.state, shutdown).await;
        for task in background.into_iter().flatten() {
            task.abort();
        }
        forget_old_recordings.abort();
        served
    }
}

/// Says at start whom this server serves: which host names, who may start sandboxes.
fn log_who_is_served(config: &Config) {
    tracing::info!(
        "sandboxes carry the instance name {} on the Docker engine",
        config.instance()
    );
    match config.allowed_hosts() {
        AllowedHosts::Only(names) => {
            tracing::info!("answering to the host names {}", names.join(", "))
        }
        AllowedHosts::Any => tracing::warn!(
            "answering to any host name: set SLIPWAY_ALLOWED_HOSTS to this server's names to refuse DNS rebinding"
        ),
    }
    match config.admittance() {
        Admittance::Everyone => tracing::info!(
            "anyone who reaches this server may start a sandbox (open, self-paced; SLIPWAY_SANDBOX_ACCESS=workshop limits it to workshop members)"
        ),
        Admittance::WorkshopMembers => tracing::info!(
            "only learners who joined a workshop may start sandboxes (SLIPWAY_SANDBOX_ACCESS=open lets anyone)"
        ),
    }
}

/// The sandbox engine, reconciled with the store; `None` if no Docker engine answers, so
/// that lessons still serve.
async fn connect_sandboxes(
    config: &Config,
    store: &Store,
    events: &Events,
    catalog: &Catalog,
    recordings: Arc<Recordings>,
) -> Option<Arc<Lifecycle>> {
    let settings = config.node_settings();
    let sandboxes =
        match Sandboxes::connect(config.docker_host.as_deref(), &config.instance(), settings).await
        {
            Ok(sandboxes) => sandboxes,
            Err(error) => {
                tracing::error!("sandboxes are unavailable: {}", crate::error_chain(&error));
                return None;
            }
        };
    if sandboxes.nodes_are_unprivileged() {
        tracing::info!("{}", sandboxes.isolation());
    } else {
        tracing::warn!("{}", sandboxes.isolation());
    }
    // Nodes start only behind the rules: a host where they cannot be written serves
    // lessons without sandboxes, and says why.
    let egress = config.egress();
    match sandboxes.apply_egress(&egress).await {
        Ok(iptables) => tracing::info!(
            "sandbox nodes reach their own sandbox and the room's registry{} ({iptables} rules for {})",
            if egress.internet {
                ", and public internet addresses"
            } else {
                " only"
            },
            egress.pool
        ),
        Err(error) => {
            tracing::error!(
                "sandboxes are unavailable: {}",
                crate::error_chain(&error)
            );
            return None;
        }
    }
    let pool = WarmPool {
        templates: catalog.templates(),
        size: config.limits.pool_size,
        first_of_track: catalog
            .tracks
            .iter()
            .filter_map(|t| Some((t.slug.clone(), t.lessons.first()?.sandbox.clone())))
            .collect(),
        lead_minutes: config.limits.pool_lead_minutes,
    };
    let lifecycle = Lifecycle::new(
        sandboxes,
        store.clone(),
        events.clone(),
        config.quotas(),
        pool,
        recordings,
    );
    if let Err(error) = lifecycle.reconcile().await {
        tracing::error!(
            "could not reconcile sandboxes: {}",
            crate::error_chain(&error)
        );
    }
    Some(lifecycle)
}
