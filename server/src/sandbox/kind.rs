//! Kubernetes sandboxes: a kind cluster inside node1. kind's node containers run in
//! node1's own engine, so deleting the sandbox removes the cluster with it.
//!
//! Slipway writes the cluster's config itself: one control plane and the rest workers,
//! the node image pinned by digest, and containerd on every kind node pulling docker.io
//! images through the room's registry (so pods get nginx and the lesson images offline).

use std::time::Duration;

use app::model::KUBERNETES_VERSIONS;

/// The kind node image for each Kubernetes version offered, pinned by digest (the
/// images kind's releases name for these versions).
const NODE_IMAGES: &[(&str, &str)] = &[
    (
        "1.35",
        "kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f",
    ),
    (
        "1.34",
        "kindest/node:v1.34.0@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a",
    ),
];

/// What node1 holds for the cluster: its config and containerd's mirror settings.
pub const CONFIG_FILE: &str = "/etc/slipway/kind.yaml";
const MIRROR_DIR: &str = "/etc/slipway/containerd-certs.d";
/// The cluster's name, which kind prefixes its node containers with.
pub const CLUSTER: &str = "slipway";

/// A cold cluster takes about a minute; a busy host more.
pub const CREATE_WITHIN: Duration = Duration::from_secs(300);
pub const READY_WITHIN: Duration = Duration::from_secs(240);

/// The node image for `kubernetes` (a minor version), or for the default one. Templates
/// are validated against the same list, so every offered version has an image.
pub fn node_image(kubernetes: Option<&str>) -> &'static str {
    let wanted = kubernetes.unwrap_or(KUBERNETES_VERSIONS[0]);
    NODE_IMAGES
        .iter()
        .find(|(version, _)| *version == wanted)
        .map_or(NODE_IMAGES[0].1, |(_, image)| image)
}

/// The image without its digest, as people type it (`kindest/node:v1.35.0`).
pub fn image_tag(image: &str) -> &str {
    image.split('@').next().unwrap_or(image)
}

/// The kind config for a cluster of `nodes` (at least one): a control plane, then
/// workers, each mounting containerd's registry settings from node1.
pub fn cluster_config(nodes: u8) -> String {
    let mut config = String::from(
        "# Written by Slipway: the cluster of this sandbox.\n\
         kind: Cluster\n\
         apiVersion: kind.x-k8s.io/v1alpha4\n\
         nodes:\n",
    );
    for index in 0..nodes.max(1) {
        let role = if index == 0 {
            "control-plane"
        } else {
            "worker"
        };
        config.push_str(&format!(
            "- role: {role}\n  extraMounts:\n  - hostPath: {MIRROR_DIR}\n    containerPath: /etc/containerd/certs.d\n    readOnly: true\n"
        ));
    }
    config
}

/// containerd's `hosts.toml` for docker.io: pull through the room's registry at
/// `mirror` (`address:port`), and from Docker Hub itself only if that fails.
pub fn docker_io_mirror(mirror: &str) -> String {
    format!(
        "server = \"https://registry-1.docker.io\"\n\n[host.\"http://{mirror}\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
    )
}

/// The script node1 runs to write the config and containerd's mirror settings.
/// `mirror` is the registry's address as kind's nodes reach it (an IP: they do not
/// share node1's name resolution).
pub fn setup_script(nodes: u8, mirror: Option<&str>) -> String {
    let mut script = format!(
        "set -e\nmkdir -p {MIRROR_DIR}/docker.io\ncat > {CONFIG_FILE} <<'SLIPWAY'\n{}SLIPWAY\n",
        cluster_config(nodes)
    );
    if let Some(mirror) = mirror {
        script.push_str(&format!(
            "cat > {MIRROR_DIR}/docker.io/hosts.toml <<'SLIPWAY'\n{}SLIPWAY\n",
            docker_io_mirror(mirror)
        ));
    }
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offered_version_has_a_pinned_image() {
        for version in KUBERNETES_VERSIONS {
            let image = node_image(Some(version));
            assert!(
                image.contains(&format!(":v{version}.")) && image.contains("@sha256:"),
                "{version}: {image}"
            );
        }
        assert_eq!(node_image(None), node_image(Some(KUBERNETES_VERSIONS[0])));
        assert_eq!(image_tag(node_image(Some("1.35"))), "kindest/node:v1.35.0");
    }

    #[test]
    fn the_config_has_one_control_plane_and_workers_that_mount_the_mirror() {
        let config = cluster_config(3);
        assert_eq!(config.matches("- role: control-plane").count(), 1);
        assert_eq!(config.matches("- role: worker").count(), 2);
        assert_eq!(
            config
                .matches("containerPath: /etc/containerd/certs.d")
                .count(),
            3
        );
        assert!(config.starts_with("# Written by Slipway"));
        assert_eq!(cluster_config(0).matches("- role:").count(), 1);
    }

    #[test]
    fn containerd_pulls_docker_io_through_the_room_registry() {
        let hosts = docker_io_mirror("10.210.0.2:5000");
        assert!(
            hosts.contains("[host.\"http://10.210.0.2:5000\"]"),
            "{hosts}"
        );
        assert!(hosts.contains("capabilities = [\"pull\", \"resolve\"]"));
        let script = setup_script(2, Some("10.210.0.2:5000"));
        assert!(script.contains(CONFIG_FILE) && script.contains("docker.io/hosts.toml"));
        assert!(!setup_script(2, None).contains("hosts.toml"));
    }
}
