//! Sandboxes as learners own them: limits, records in the store, and reconciliation of
//! the store with what the engine really holds.

use std::collections::HashSet;

use serde::Serialize;

use super::{SandboxError, Sandboxes, Template};
use crate::config::Limits;
use crate::store::{SandboxRecord, Store};

/// What a learner sees of their sandbox.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SandboxView {
    pub id: String,
    pub state: String,
    pub template: Template,
    pub description: String,
    pub nodes: Vec<NodeView>,
    pub expires_at: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct NodeView {
    pub name: String,
    pub ready: bool,
}

pub struct Lifecycle {
    sandboxes: Sandboxes,
    store: Store,
    limits: Limits,
}

impl Lifecycle {
    pub fn new(sandboxes: Sandboxes, store: Store, limits: Limits) -> Self {
        Self {
            sandboxes,
            store,
            limits,
        }
    }

    /// Starts a sandbox for a learner and returns it once it is ready.
    pub async fn start(
        &self,
        learner: &str,
        template: Template,
    ) -> Result<SandboxView, SandboxError> {
        let (on_host, mine) = self.store.sandbox_counts(learner).await?;
        if mine >= self.limits.max_sandboxes_per_learner {
            return Err(SandboxError::LearnerLimit {
                max: self.limits.max_sandboxes_per_learner,
            });
        }
        if on_host >= self.limits.max_sandboxes {
            return Err(SandboxError::HostFull {
                max: self.limits.max_sandboxes,
            });
        }
        let id = super::new_id();
        let template_json =
            serde_json::to_string(&template).map_err(|e| SandboxError::Corrupt(e.to_string()))?;
        self.store
            .insert_sandbox(
                &id,
                learner,
                &template_json,
                self.limits.sandbox_ttl_minutes,
            )
            .await?;
        match self.sandboxes.create_with_id(&id, &template).await {
            Ok(_) => {
                self.store.set_sandbox_state(&id, "ready").await?;
                self.view_of(learner, &id).await
            }
            Err(error) => {
                self.store.delete_sandbox(&id).await?;
                Err(error)
            }
        }
    }

    /// The learner's sandbox; someone else's is reported as not found.
    pub async fn get(&self, learner: &str, id: &str) -> Result<SandboxView, SandboxError> {
        self.view_of(learner, id).await
    }

    pub async fn delete(&self, learner: &str, id: &str) -> Result<(), SandboxError> {
        self.owned(learner, id).await?;
        self.store.set_sandbox_state(id, "deleting").await?;
        self.sandboxes.delete(id).await?;
        self.store.delete_sandbox(id).await?;
        Ok(())
    }

    /// At start-up: the engine's sandboxes without a record are orphans and go; records
    /// whose sandbox never became ready or is gone from the engine are dropped.
    pub async fn reconcile(&self) -> Result<(), SandboxError> {
        let on_engine: HashSet<String> = self.sandboxes.all_ids().await?.into_iter().collect();
        let mut keep = HashSet::new();
        for id in self.store.sandbox_ids().await? {
            let record = self.store.sandbox(&id).await?;
            let live = record.is_some_and(|r| r.state == "ready") && on_engine.contains(&id);
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

    async fn owned(&self, learner: &str, id: &str) -> Result<SandboxRecord, SandboxError> {
        match self.store.sandbox(id).await? {
            Some(record) if record.learner_id.as_deref() == Some(learner) => Ok(record),
            _ => Err(SandboxError::NotFound(id.to_string())),
        }
    }

    async fn view_of(&self, learner: &str, id: &str) -> Result<SandboxView, SandboxError> {
        let record = self.owned(learner, id).await?;
        let template: Template = serde_json::from_str(&record.template)
            .map_err(|e| SandboxError::Corrupt(e.to_string()))?;
        let ready = record.state == "ready";
        Ok(SandboxView {
            id: record.id,
            description: template.describe(),
            nodes: template
                .node_names()
                .into_iter()
                .map(|name| NodeView { name, ready })
                .collect(),
            template,
            state: record.state,
            expires_at: record.expires_at,
        })
    }
}
