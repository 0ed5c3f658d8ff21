//! The sandbox service: sandboxes as learners own them. Limits, records in the store, a
//! warm pool, expiry, reconciliation of the store with what the engine really holds,
//! and the shells open on them. Every way a sandbox goes or is reset (the learner, the
//! instructor, expiry) passes through here, so its terminals close and listeners hear
//! of it in one place.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::Notify;

mod start_line;
use start_line::StartLine;

use crate::events::{Event, Events};
use crate::sandbox::{new_id, Sandbox, SandboxError, Sandboxes};
use crate::store::{Caps, Footprint, HostUsage, SandboxRecord, SandboxState, Store};
use crate::terminal::{Attachment, Recordings, TerminalError, Terminals, Watch};
use app::model::{NodeView, SandboxView, StartStage, Template};

/// How much of the host learners may hold, and for how long (`Config::quotas`).
#[derive(Clone, Debug)]
pub struct Quotas {
    /// Sandboxes running at once on the host.
    pub max_sandboxes: u32,
    /// Nodes running at once on the host, in all sandboxes.
    pub max_nodes: u32,
    /// The nodes' memory reserves added up, in MiB.
    pub max_memory_mb: u32,
    /// Memory, in MiB, that must stay free on the host beyond a new sandbox's reserve.
    pub min_free_memory_mb: u32,
    /// Minutes a learner's sandbox may live at most, extensions included.
    pub longest_minutes: u32,
    pub max_sandboxes_per_learner: u32,
    pub sandbox_ttl_minutes: u32,
    /// Minutes without use after which a learner's sandbox goes.
    pub idle_minutes: u32,
    /// Sandboxes starting at once; later starts wait their turn in order.
    pub starts_at_once: u32,
}

impl Quotas {
    /// The host's caps, as the store checks them when a sandbox is recorded.
    pub fn caps(&self) -> Caps {
        Caps {
            host: self.max_sandboxes,
            host_nodes: self.max_nodes,
            host_memory_mb: self.max_memory_mb,
            per_learner: self.max_sandboxes_per_learner,
        }
    }

    /// Which of the host's caps one more sandbox of this footprint would pass, with
    /// `used` taken, if any: said as the end of "The host is full: ...".
    pub fn limit_reached(&self, used: HostUsage, footprint: Footprint) -> Option<String> {
        if used.sandboxes >= i64::from(self.max_sandboxes) {
            Some(format!("it runs {} sandboxes at most", self.max_sandboxes))
        } else if used.nodes + i64::from(footprint.nodes) > i64::from(self.max_nodes) {
            Some(format!(
                "it runs {} nodes at most and {} are taken",
                self.max_nodes, used.nodes
            ))
        } else if used.memory_mb + i64::from(footprint.memory_mb) > i64::from(self.max_memory_mb) {
            Some(format!(
                "its nodes may use {} MiB of memory and {} MiB are taken",
                self.max_memory_mb, used.memory_mb
            ))
        } else {
            None
        }
    }
}

/// A workshop's own rule for Extend, inside the host's longest life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtendRule {
    /// Minutes each press adds.
    pub minutes: u32,
    /// How many presses a sandbox gets, if the workshop limits them.
    pub times: Option<u32>,
}

/// Which sandboxes to keep started ahead of learners, and how many of each.
#[derive(Clone, Debug, Default)]
pub struct WarmPool {
    pub templates: Vec<Template>,
    pub size: u32,
    /// Each track's first lesson's sandbox: what a workshop's learners start with.
    pub first_of_track: HashMap<String, Template>,
    /// How long before a workshop starts its places are made ready.
    pub lead_minutes: u32,
}

impl WarmPool {
    /// How many sandboxes of each template to keep waiting: `size` of each, and for
    /// every workshop about to start or running, one of its track's first lesson's
    /// for each place whose learner holds no sandbox yet.
    fn targets(&self, warming: &[crate::store::WarmingRecord]) -> Vec<(Template, u32)> {
        let mut targets: Vec<(Template, u32)> = self
            .templates
            .iter()
            .map(|t| (t.clone(), self.size))
            .collect();
        for workshop in warming {
            let Some(template) = self.first_of_track.get(&workshop.track) else {
                continue;
            };
            let open = u32::try_from(workshop.open_places).unwrap_or(0);
            match targets.iter_mut().find(|(t, _)| t == template) {
                Some((_, target)) => *target = target.saturating_add(open),
                None => targets.push((template.clone(), open)),
            }
        }
        targets
    }
}

pub struct Lifecycle {
    /// Itself, so that work on a sandbox can run on a task of its own (see `detached`).
    me: Weak<Lifecycle>,
    sandboxes: Arc<Sandboxes>,
    terminals: Terminals,
    store: Store,
    events: Events,
    limits: Quotas,
    pool: WarmPool,
    /// How far the start of each learner's sandbox has come, while one starts.
    starting: Mutex<HashMap<String, StartStage>>,
    /// Sandboxes this server is starting, resetting or removing right now. A record left
    /// `starting` or `deleting` with no work on it is stale (a crash, an engine error
    /// midway) and maintenance finishes its removal.
    in_flight: Mutex<HashSet<String>>,
    /// Templates this host cannot run (kind without a node image): the pool stops trying.
    unrunnable: Mutex<Vec<Template>>,
    /// Wakes the maintenance loop early, e.g. when a pooled sandbox was handed out.
    wake: Notify,
    /// Tells whoever admits queued learners that a sandbox went (see `room_freed`).
    freed: Notify,
    /// Starts wait here for their turn.
    start_line: StartLine,
}

impl Lifecycle {
    pub fn new(
        sandboxes: Sandboxes,
        store: Store,
        events: Events,
        limits: Quotas,
        pool: WarmPool,
        recordings: Arc<Recordings>,
    ) -> Arc<Self> {
        let sandboxes = Arc::new(sandboxes);
        Arc::new_cyclic(|me| Self {
            me: me.clone(),
            terminals: Terminals::new(sandboxes.clone(), store.clone(), recordings),
            sandboxes,
            store,
            events,
            pool,
            starting: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashSet::new()),
            unrunnable: Mutex::new(Vec::new()),
            wake: Notify::new(),
            freed: Notify::new(),
            start_line: StartLine::new(limits.starts_at_once),
            limits,
        })
    }

    /// Runs work on a sandbox on a task of its own and waits for it. The request that
    /// asked for it may be dropped midway (the learner closed the tab, the wifi went):
    /// the sandbox still finishes starting or going, and is never left half made.
    async fn detached<T, F>(
        &self,
        id: &str,
        work: impl FnOnce(Arc<Self>) -> F,
    ) -> Result<T, SandboxError>
    where
        F: Future<Output = Result<T, SandboxError>> + Send + 'static,
        T: Send + 'static,
    {
        let interrupted = || SandboxError::Interrupted(id.to_string());
        let me = self.me.upgrade().ok_or_else(interrupted)?;
        let in_flight = InFlight::mark(&me, id);
        let work = work(me);
        tokio::spawn(async move {
            let done = work.await;
            drop(in_flight);
            done
        })
        .await
        .map_err(|_| interrupted())?
    }

    /// Gives a learner a ready sandbox: from the warm pool if one waits there, otherwise
    /// started now (a few seconds). It lives `ttl_minutes`, or the configured time.
    pub async fn start(
        &self,
        learner: &str,
        template: Template,
        ttl_minutes: Option<u32>,
    ) -> Result<SandboxView, SandboxError> {
        if self.store.learner_sandbox_count(learner).await? >= self.limits.max_sandboxes_per_learner
        {
            return Err(SandboxError::LearnerLimit {
                max: self.limits.max_sandboxes_per_learner,
            });
        }
        let ttl = ttl_minutes.unwrap_or(self.limits.sandbox_ttl_minutes);
        let per_learner = self.limits.max_sandboxes_per_learner;
        if let Some(id) = self
            .store
            .claim_pooled(&template, learner, ttl, per_learner)
            .await?
        {
            self.wake.notify_one();
            return self.view_of(learner, &id).await;
        }
        let id = new_id();
        let owner = learner.to_string();
        let footprint = self.sandboxes.footprint(&template);
        if let Some(limit) = self.memory_short(footprint) {
            return Err(SandboxError::HostFull { limit });
        }
        self.detached(&id.clone(), move |me| async move {
            // The caps are checked again, atomically, as the sandbox is recorded: parallel
            // requests (or a host filling up meanwhile) get the same refusal as above.
            if !me
                .store
                .insert_sandbox(&id, Some(&owner), &template, footprint, ttl, me.caps())
                .await?
            {
                return Err(me.refusal(&owner, footprint).await?);
            }
            me.provision(&id, &template, SandboxState::Ready, Some(&owner))
                .await?;
            me.view_of(&owner, &id).await
        })
        .await
    }

    /// The learner's sandbox of this template if one is up, or a new one: what a lesson
    /// page's Start button asks for, so a reload finds the same sandbox.
    pub async fn start_or_resume(
        &self,
        learner: &str,
        template: Template,
        ttl_minutes: Option<u32>,
    ) -> Result<SandboxView, SandboxError> {
        match self.running(learner, &template).await? {
            Some(sandbox) => Ok(sandbox),
            None => self.start(learner, template, ttl_minutes).await,
        }
    }

    /// The learner's sandbox of this template once it is up, if they have one: the ready
    /// one, or one whose start is under way, waited for. A page reloaded mid-start, or a
    /// Start whose request the wifi or a proxy cut, gets the sandbox already coming
    /// instead of a second one in the line behind it.
    pub async fn running(
        &self,
        learner: &str,
        template: &Template,
    ) -> Result<Option<SandboxView>, SandboxError> {
        // Subscribed before looking, so the end of a start in flight is not missed.
        let mut events = self.events.subscribe();
        loop {
            if let Some(record) = self.store.ready_sandbox(learner, Some(template)).await? {
                return Ok(Some(self.get(learner, &record.id).await?));
            }
            let under_way = match self.store.starting_sandbox(learner, template).await? {
                Some(record) => self.is_in_flight(&record.id),
                None => false,
            };
            if !under_way {
                return Ok(None);
            }
            // A start tells the learner's listeners as it settles (`provision`).
            loop {
                match events.recv().await {
                    Ok(Event::Learner(id)) if id == learner => break,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return Ok(None),
                }
            }
        }
    }

    fn is_in_flight(&self, id: &str) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(id)
    }

    /// The learner's sandbox; someone else's is reported as not found.
    pub async fn get(&self, learner: &str, id: &str) -> Result<SandboxView, SandboxError> {
        let view = self.view_of(learner, id).await?;
        self.store.touch_sandbox(id).await?;
        Ok(view)
    }

    /// Every sandbox the learner holds.
    pub async fn list(&self, learner: &str) -> Result<Vec<SandboxView>, SandboxError> {
        let mut views = Vec::new();
        for record in self.store.learner_sandboxes(learner).await? {
            views.push(self.view_of(learner, &record.id).await?);
        }
        Ok(views)
    }

    /// The learner's sandbox, for work inside it (a terminal, a check): it must be ready.
    pub async fn ready(&self, learner: &str, id: &str) -> Result<Sandbox, SandboxError> {
        let record = self.owned(learner, id).await?;
        if record.state != SandboxState::Ready {
            return Err(SandboxError::Busy {
                id: record.id,
                state: record.state,
            });
        }
        let template = record.template.0;
        Ok(Sandbox {
            nodes: template.node_names(),
            id: record.id,
            template,
        })
    }

    /// How long keystrokes' echoes took on this server, stage by stage.
    pub fn echoes(&self) -> &crate::terminal::EchoLog {
        self.terminals.echoes()
    }

    /// The sandbox engine, for work inside sandboxes (checks).
    pub fn sandboxes(&self) -> &Sandboxes {
        &self.sandboxes
    }

    /// Attaches to the shell on a node of the learner's sandbox, starting one if none
    /// runs there.
    pub async fn attach(
        &self,
        learner: &str,
        id: &str,
        node: &str,
    ) -> Result<Attachment, TerminalError> {
        let sandbox = self.ready(learner, id).await?;
        self.terminals.attach(&sandbox, node).await
    }

    /// Watches the shell the learner has open on a node, read-only.
    pub async fn watch(&self, learner: &str, id: &str, node: &str) -> Result<Watch, TerminalError> {
        let sandbox = self.ready(learner, id).await?;
        self.terminals.watch(&sandbox, node).await
    }

    /// Gives the sandbox another full time to live from its current expiry (a
    /// workshop's, under `rule`), up to its longest life: the host's, or the workshop's
    /// if shorter. Nobody holds a sandbox for ever by pressing Extend.
    pub async fn extend(
        &self,
        learner: &str,
        id: &str,
        rule: Option<ExtendRule>,
    ) -> Result<SandboxView, SandboxError> {
        self.owned(learner, id).await?;
        let host_longest = self.limits.longest_minutes;
        let minutes = rule.map_or(self.limits.sandbox_ttl_minutes, |r| r.minutes);
        let workshop_longest = rule.and_then(|r| {
            r.times
                .map(|times| r.minutes.saturating_mul(times.saturating_add(1)))
        });
        let longest = workshop_longest.map_or(host_longest, |w| w.min(host_longest));
        if !self
            .store
            .extend_sandbox_within(id, minutes, longest)
            .await?
        {
            return Err(match rule.and_then(|r| r.times) {
                Some(times) if longest < host_longest => SandboxError::WorkshopExtensions { times },
                _ => SandboxError::LongestLife {
                    hours: host_longest.div_ceil(60),
                },
            });
        }
        self.store.touch_sandbox(id).await?;
        self.view_of(learner, id).await
    }

    /// Replaces every node with a fresh one, keeping the sandbox's id and expiry.
    pub async fn reset(&self, learner: &str, id: &str) -> Result<SandboxView, SandboxError> {
        let record = self.owned(learner, id).await?;
        let (id, learner) = (id.to_string(), learner.to_string());
        self.detached(&id.clone(), move |me| async move {
            me.store
                .set_sandbox_state(&id, SandboxState::Starting)
                .await?;
            me.terminals.close_sandbox(&id).await;
            me.sandboxes.delete(&id).await?;
            me.provision(&id, &record.template, SandboxState::Ready, Some(&learner))
                .await?;
            me.events.learner_changed(&learner);
            me.view_of(&learner, &id).await
        })
        .await
    }

    pub async fn delete(&self, learner: &str, id: &str) -> Result<(), SandboxError> {
        self.owned(learner, id).await?;
        self.remove(id).await
    }

    /// For an instructor, who acts on the sandboxes of a whole room: more time.
    pub async fn extend_by_id(&self, id: &str, minutes: u32) -> Result<(), SandboxError> {
        self.store.extend_sandbox(id, i64::from(minutes)).await?;
        Ok(())
    }

    /// For an instructor ending a room: removes the sandbox, whoever holds it.
    pub async fn delete_by_id(&self, id: &str) -> Result<(), SandboxError> {
        self.remove(id).await
    }

    /// At start-up: the engine's sandboxes without a record are orphans and go; records
    /// whose sandbox never became ready or is gone from the engine are dropped.
    pub async fn reconcile(&self) -> Result<(), SandboxError> {
        let on_engine: HashSet<String> = self.sandboxes.all_ids().await?.into_iter().collect();
        let mut keep = HashSet::new();
        for id in self.store.sandbox_ids().await? {
            let record = self.store.sandbox(&id).await?;
            let live = record
                .is_some_and(|r| matches!(r.state, SandboxState::Ready | SandboxState::Pooled))
                && on_engine.contains(&id);
            if live {
                keep.insert(id);
            } else {
                self.store.delete_sandbox(&id).await?;
            }
        }
        let removed = self.sandboxes.remove_orphans(&keep).await?;
        tracing::info!(
            "adopted {} sandbox(es), removed {} orphan(s)",
            keep.len(),
            removed.len()
        );
        Ok(())
    }

    /// Runs for the server's life: removes expired sandboxes and keeps the pool full,
    /// every `every` or sooner when woken.
    pub async fn maintain(self: Arc<Self>, every: Duration) {
        loop {
            if let Err(error) = self.maintain_once().await {
                tracing::error!("sandbox maintenance failed: {}", crate::error_chain(&error));
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    async fn maintain_once(&self) -> Result<(), SandboxError> {
        for id in self.stale_sandboxes().await? {
            tracing::warn!("sandbox {id} was left half started or half removed; removing it");
            self.remove(&id).await?;
        }
        for id in self.store.expired_sandboxes().await? {
            tracing::info!("sandbox {id} expired");
            self.remove(&id).await?;
        }
        for id in self.store.idle_sandboxes(self.limits.idle_minutes).await? {
            tracing::info!(
                "sandbox {id} unused for {} minutes, removing it",
                self.limits.idle_minutes
            );
            self.remove(&id).await?;
        }
        // Learners waiting for a sandbox come before the warm pool.
        if self.store.queue_length().await? > 0 {
            return Ok(());
        }
        let warming = self.store.warming_workshops(self.pool.lead_minutes).await?;
        for (template, target) in self.pool.targets(&warming) {
            if self.cannot_run(&template) {
                continue;
            }
            // A workshop that ended (or filled) leaves sandboxes nobody will claim.
            let waiting = self.store.warm_count(&template).await?;
            if waiting > target {
                for id in self
                    .store
                    .take_from_pool(&template, waiting - target)
                    .await?
                {
                    tracing::info!("sandbox {id} is no longer wanted in the pool; removing it");
                    self.remove(&id).await?;
                }
            }
            if !self.fill_pool(&template, target).await? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Starts pooled sandboxes of `template` until `target` wait or start, as many at
    /// once as the start line lets run (a workshop's places must be ready within the
    /// lead time); `false` when the host is full, which stops the filling of every
    /// template.
    async fn fill_pool(&self, template: &Template, target: u32) -> Result<bool, SandboxError> {
        let footprint = self.sandboxes.footprint(template);
        loop {
            let pooled = self.store.pooled_count(template).await?;
            if pooled >= target {
                return Ok(true);
            }
            let batch = (target - pooled).min(self.limits.starts_at_once.max(1));
            let mut batch_ids = Vec::new();
            for _ in 0..batch {
                let ttl = self.limits.sandbox_ttl_minutes;
                let id = new_id();
                let admitted = self.host_limit_reached(footprint).await?.is_none()
                    && self
                        .store
                        .insert_sandbox(&id, None, template, footprint, ttl, self.caps())
                        .await?;
                if !admitted {
                    break;
                }
                batch_ids.push(id);
            }
            if batch_ids.is_empty() {
                tracing::info!(
                    "the pool holds {pooled} {} sandboxes of the {target} wanted: the host fits no more",
                    template.describe()
                );
                return Ok(false);
            }
            let started = futures_util::future::join_all(
                batch_ids
                    .iter()
                    .map(|id| self.provision(id, template, SandboxState::Pooled, None)),
            )
            .await;
            for (id, result) in batch_ids.iter().zip(started) {
                match result {
                    Ok(()) => {
                        tracing::info!("sandbox {id} ({}) waits in the pool", template.describe())
                    }
                    Err(error) if error.is_host_unable() => {
                        tracing::warn!(
                            "the pool keeps no {} sandbox: {}",
                            template.describe(),
                            crate::error_chain(&error)
                        );
                        self.unrunnable
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(template.clone());
                        return Ok(true);
                    }
                    Err(error) => return Err(error),
                }
            }
        }
    }

    async fn stale_sandboxes(&self) -> Result<Vec<String>, SandboxError> {
        let unsettled = self.store.unsettled_sandboxes().await?;
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(unsettled
            .into_iter()
            .filter(|id| !in_flight.contains(id))
            .collect())
    }

    /// Returns once a sandbox has gone since the last call (at once if one went
    /// meanwhile), so the one task that admits queued learners can try again.
    pub async fn room_freed(&self) {
        self.freed.notified().await
    }

    fn cannot_run(&self, template: &Template) -> bool {
        self.unrunnable
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(template)
    }

    fn caps(&self) -> Caps {
        self.limits.caps()
    }

    /// Why a learner may not have another sandbox now.
    async fn refusal(
        &self,
        learner: &str,
        footprint: Footprint,
    ) -> Result<SandboxError, SandboxError> {
        let max = self.limits.max_sandboxes_per_learner;
        if self.store.learner_sandbox_count(learner).await? >= max {
            return Ok(SandboxError::LearnerLimit { max });
        }
        let limit = self
            .host_limit_reached(footprint)
            .await?
            // Room came back between the refused insert and this look.
            .unwrap_or_else(|| "too many sandboxes started at once".to_string());
        Ok(SandboxError::HostFull { limit })
    }

    /// Which of the host's caps one more sandbox of this footprint would pass, if any.
    async fn host_limit_reached(
        &self,
        footprint: Footprint,
    ) -> Result<Option<String>, SandboxError> {
        let used = self.store.host_usage().await?;
        Ok(self
            .limits
            .limit_reached(used, footprint)
            .or_else(|| self.memory_short(footprint)))
    }

    /// Why the host's free memory (MemAvailable) is too little for one more sandbox of
    /// this footprint, if it is: the reserves are a promise the learners' use may
    /// outgrow, and this keeps the host itself from running out.
    fn memory_short(&self, footprint: Footprint) -> Option<String> {
        let free_mb = crate::sandbox::HostFree::now().memory_bytes? / (1024 * 1024);
        let keep = self.limits.min_free_memory_mb;
        (free_mb < u64::from(footprint.memory_mb) + u64::from(keep)).then(|| {
            format!(
                "{free_mb} MiB of its memory is free, and it keeps {keep} MiB free beyond the {} MiB a new sandbox reserves",
                footprint.memory_mb
            )
        })
    }

    /// How far the start of the learner's sandbox has come, live: each stage as it
    /// begins, and `None` when none is starting.
    pub fn start_progress(
        self: Arc<Self>,
        learner: String,
    ) -> impl futures_util::Stream<Item = Option<StartStage>> {
        let receiver = self.events.subscribe();
        let start = (true, receiver, self, learner, None::<StartStage>);
        futures_util::stream::unfold(
            start,
            |(first, mut receiver, lifecycle, learner, last)| async move {
                let mut changed = first;
                loop {
                    let now = lifecycle.stage_of(&learner);
                    if changed && (first || now != last) {
                        return Some((now, (false, receiver, lifecycle, learner, now)));
                    }
                    changed = match receiver.recv().await {
                        Ok(Event::Learner(id)) => id == learner,
                        Ok(Event::Workshop(_)) => false,
                        Err(RecvError::Lagged(_)) => true,
                        Err(RecvError::Closed) => return None,
                    };
                }
            },
        )
    }

    fn stage_of(&self, learner: &str) -> Option<StartStage> {
        self.starting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(learner)
            .copied()
    }

    /// Notes how far a learner's start has come (`None`: it is over) and tells listeners.
    fn set_stage(&self, learner: &str, stage: Option<StartStage>) {
        let mut starting = self.starting.lock().unwrap_or_else(PoisonError::into_inner);
        match stage {
            Some(stage) if starting.get(learner) == Some(&stage) => return,
            Some(stage) => starting.insert(learner.to_string(), stage),
            None => starting.remove(learner),
        };
        drop(starting);
        self.events.learner_changed(learner);
    }

    /// Provisions a recorded sandbox; on failure its record goes too. A learner's start
    /// is reported stage by stage.
    async fn provision(
        &self,
        id: &str,
        template: &Template,
        ready_state: SandboxState,
        learner: Option<&str>,
    ) -> Result<(), SandboxError> {
        let report = |stage| {
            if let Some(learner) = learner {
                self.set_stage(learner, Some(stage));
            }
        };
        let turn = self
            .start_line
            .wait_turn(|place| report(StartStage::Waiting { place }))
            .await;
        let created = self.sandboxes.create_with_id(id, template, &report).await;
        drop(turn);
        let settled = match created {
            Ok(_) => self
                .store
                .set_sandbox_state(id, ready_state)
                .await
                .map_err(SandboxError::from),
            Err(error) => match self.store.delete_sandbox(id).await {
                Ok(()) => {
                    self.freed.notify_one();
                    Err(error)
                }
                Err(lost) => Err(lost.into()),
            },
        };
        // Told once the record has settled: whoever waits on this start reads how it went.
        if let Some(learner) = learner {
            self.set_stage(learner, None);
        }
        settled
    }

    /// Removes a sandbox's nodes, then its record. Should the engine fail midway, the
    /// record stays `deleting` and maintenance tries again.
    async fn remove(&self, id: &str) -> Result<(), SandboxError> {
        self.detached(id, |me| {
            let id = id.to_string();
            async move {
                let owner = me.store.sandbox(&id).await?.and_then(|r| r.learner_id);
                me.store
                    .set_sandbox_state(&id, SandboxState::Deleting)
                    .await?;
                me.terminals.close_sandbox(&id).await;
                me.sandboxes.delete(&id).await?;
                me.store.delete_sandbox(&id).await?;
                me.freed.notify_one();
                if let Some(learner) = owner {
                    me.events.learner_changed(&learner);
                }
                Ok(())
            }
        })
        .await
    }

    async fn owned(&self, learner: &str, id: &str) -> Result<SandboxRecord, SandboxError> {
        match self.store.sandbox(id).await? {
            Some(record) if record.learner_id.as_deref() == Some(learner) => Ok(record),
            _ => Err(SandboxError::NotFound(id.to_string())),
        }
    }

    async fn view_of(&self, learner: &str, id: &str) -> Result<SandboxView, SandboxError> {
        let record = self.owned(learner, id).await?;
        let template = record.template.0;
        let running = match record.state {
            SandboxState::Ready => self.sandboxes.running_nodes(id).await?,
            _ => Vec::new(),
        };
        Ok(SandboxView {
            id: record.id,
            description: template.describe(),
            nodes: template
                .node_names()
                .into_iter()
                .map(|name| NodeView {
                    ready: running.contains(&name),
                    name,
                })
                .collect(),
            template,
            state: match record.state {
                SandboxState::Pooled => app::model::SandboxState::Pooled,
                SandboxState::Starting => app::model::SandboxState::Starting,
                SandboxState::Ready => app::model::SandboxState::Ready,
                SandboxState::Deleting => app::model::SandboxState::Deleting,
            },
            expires_at: record.expires_at,
        })
    }
}

/// This server's claim on a sandbox while it works on it; the claim ends when dropped,
/// however the work ended.
struct InFlight {
    lifecycle: Weak<Lifecycle>,
    id: String,
}

impl InFlight {
    fn mark(lifecycle: &Arc<Lifecycle>, id: &str) -> Self {
        lifecycle
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_string());
        Self {
            lifecycle: Arc::downgrade(lifecycle),
            id: id.to_string(),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(lifecycle) = self.lifecycle.upgrade() {
            lifecycle
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&self.id);
        }
    }
}
