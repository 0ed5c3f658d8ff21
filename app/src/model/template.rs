use serde::{Deserialize, Serialize};

/// The shape of sandbox a lesson needs, as written in its front matter:
///
/// ```yaml
/// sandbox:
///   kind: swarm
///   managers: 1
///   workers: 2
///   joined: false
/// ```
///
/// Every kind is a list of Docker-in-Docker nodes named `node1`, `node2`, ... (managers
/// first); a kind cluster runs inside `node1`, which is where the learner's kubectl is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Template {
    /// One Docker host.
    Single,
    /// Docker hosts meant to form a swarm. With `joined` (the default) Slipway initialises
    /// the swarm and joins the workers; without it the learner does.
    Swarm {
        managers: u8,
        workers: u8,
        #[serde(default = "joined_by_default")]
        joined: bool,
    },
    /// A kind cluster of `nodes` Kubernetes nodes (one control plane, the rest workers),
    /// running inside node1, at `kubernetes` (a minor version such as "1.35") or the
    /// default.
    Kind {
        nodes: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kubernetes: Option<String>,
    },
}

fn joined_by_default() -> bool {
    true
}

/// The most nodes one learner's sandbox may have: beyond this a workshop host fills up.
pub const MAX_NODES: u8 = 7;

/// The Kubernetes versions a kind sandbox can run, the default first: those the node
/// image's kubectl (1.36) and helm (3.20) support, with a kind node image pinned for
/// each (server/src/sandbox/kind.rs).
pub const KUBERNETES_VERSIONS: &[&str] = &["1.35", "1.34"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("a swarm needs at least one manager")]
    NoManager,
    #[error("a kind cluster needs at least one node")]
    NoKindNode,
    #[error("{0} nodes is too many: a sandbox has at most {MAX_NODES}")]
    TooManyNodes(u32),
    #[error("kubernetes: {0} is not offered; choose one of {offered}", offered = KUBERNETES_VERSIONS.join(", "))]
    UnknownKubernetes(String),
}

impl Template {
    pub fn validate(&self) -> Result<(), TemplateError> {
        let count = match self {
            Template::Single => 1,
            Template::Swarm { managers: 0, .. } => return Err(TemplateError::NoManager),
            Template::Swarm {
                managers, workers, ..
            } => u32::from(*managers) + u32::from(*workers),
            Template::Kind { nodes: 0, .. } => return Err(TemplateError::NoKindNode),
            Template::Kind {
                kubernetes: Some(version),
                ..
            } if !KUBERNETES_VERSIONS.contains(&version.as_str()) => {
                return Err(TemplateError::UnknownKubernetes(version.clone()))
            }
            Template::Kind { nodes, .. } => u32::from(*nodes),
        };
        if count > u32::from(MAX_NODES) {
            return Err(TemplateError::TooManyNodes(count));
        }
        Ok(())
    }

    /// The Docker hosts a learner gets a terminal on, in order.
    pub fn node_names(&self) -> Vec<String> {
        let docker_hosts = match self {
            Template::Swarm {
                managers, workers, ..
            } => usize::from(*managers) + usize::from(*workers),
            Template::Single | Template::Kind { .. } => 1,
        };
        (1..=docker_hosts).map(|n| format!("node{n}")).collect()
    }

    /// A short description for people, e.g. "Swarm: 1 manager, 2 workers".
    pub fn describe(&self) -> String {
        let plural = |n: u8, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        match self {
            Template::Single => "One Docker host".to_string(),
            Template::Swarm {
                managers,
                workers,
                joined,
            } => format!(
                "{}: {}, {}",
                if *joined {
                    "Swarm"
                } else {
                    "Docker hosts to form a swarm"
                },
                plural(*managers, "manager"),
                plural(*workers, "worker")
            ),
            Template::Kind { nodes, kubernetes } => format!(
                "Kubernetes {} (kind): {}",
                kubernetes.as_deref().unwrap_or(KUBERNETES_VERSIONS[0]),
                plural(*nodes, "node")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swarm_nodes_are_numbered_managers_first() {
        let swarm = Template::Swarm {
            managers: 1,
            workers: 2,
            joined: true,
        };
        assert_eq!(swarm.node_names(), ["node1", "node2", "node3"]);
        assert_eq!(swarm.describe(), "Swarm: 1 manager, 2 workers");
    }

    #[test]
    fn a_kind_cluster_is_reached_through_one_node() {
        let cluster = Template::Kind {
            nodes: 3,
            kubernetes: None,
        };
        assert_eq!(cluster.node_names(), ["node1"]);
        assert_eq!(cluster.describe(), "Kubernetes 1.35 (kind): 3 nodes");
    }

    #[test]
    fn impossible_templates_are_refused() {
        assert_eq!(
            Template::Swarm {
                managers: 0,
                workers: 2,
                joined: true
            }
            .validate(),
            Err(TemplateError::NoManager)
        );
        assert_eq!(
            Template::Kind {
                nodes: 0,
                kubernetes: None
            }
            .validate(),
            Err(TemplateError::NoKindNode)
        );
        let old = Template::Kind {
            nodes: 3,
            kubernetes: Some("1.20".into()),
        };
        assert_eq!(
            old.validate(),
            Err(TemplateError::UnknownKubernetes("1.20".into()))
        );
        assert_eq!(
            old.validate().unwrap_err().to_string(),
            "kubernetes: 1.20 is not offered; choose one of 1.35, 1.34"
        );
        assert_eq!(
            Template::Swarm {
                managers: 3,
                workers: 5,
                joined: true
            }
            .validate(),
            Err(TemplateError::TooManyNodes(8))
        );
        assert_eq!(Template::Single.validate(), Ok(()));
    }
}
