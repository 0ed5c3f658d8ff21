//! Node disks of a fixed size. A node's inner engine keeps its images and containers in
//! /var/lib/docker, and the host's storage driver (overlay2 on ext4, as on most hosts)
//! cannot cap a container's share of the disk. So each node's /var/lib/docker is an ext4
//! filesystem in a sparse file of `SLIPWAY_NODE_DISK_MB` under `SLIPWAY_NODE_DISKS`,
//! attached to a loop device: a learner who fills it gets "no space left on device" in
//! their own node, and the filesystem that holds the database never fills up. The node's
//! home and /tmp live on the same disk (the node's entrypoint binds them there).
//!
//! A short-lived helper container attaches and detaches the loop devices (it needs only
//! CAP_SYS_ADMIN and the loop devices, not `--privileged`), so Slipway itself needs no
//! more than the Docker socket. The volume's labels name the device and the file, so
//! removal, orphan sweeps included, finds what to detach.

use std::path::PathBuf;

/// How big a node's disk is, and where the disk files live on the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskQuota {
    pub megabytes: u32,
    pub dir: PathBuf,
}

/// The labels of a node's volume that say which disk backs it.
pub const DEVICE_LABEL: &str = "io.slipway.disk-device";
pub const FILE_LABEL: &str = "io.slipway.disk-file";

/// A disk as its volume's labels name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disk {
    pub device: String,
    pub file: String,
}

impl DiskQuota {
    /// The disk file of a node's volume.
    pub fn file_of(&self, volume: &str) -> String {
        self.dir.join(format!("{volume}.img")).display().to_string()
    }

    /// Makes each volume's disk file, formats it and attaches it to a free loop device,
    /// printing the devices in order; it stops at the first that fails, leaving no file
    /// of its own behind. Two helpers may pick the same free device at once: the loser
    /// tries again.
    pub fn attach_script(&self, volumes: &[&str]) -> String {
        let megabytes = self.megabytes;
        let mut script = format!(
            "attach() {{\n\
             truncate -s {megabytes}M \"$1\" && mkfs.ext4 -q -F -m 0 \"$1\" || {{ rm -f \"$1\"; return 1; }}\n\
             for attempt in $(seq 30); do\n\
             device=$(losetup -f)\n\
             [ -e \"$device\" ] || mknod \"$device\" b 7 \"${{device#/dev/loop}}\"\n\
             if losetup \"$device\" \"$1\" 2>/dev/null; then echo \"$device\"; return 0; fi\n\
             sleep 0.1\n\
             done\n\
             rm -f \"$1\"\n\
             echo 'no free loop device' >&2; return 1\n\
             }}\n"
        );
        let attaches: Vec<String> = volumes
            .iter()
            .map(|volume| format!("attach {}", shell_quote(&self.file_of(volume))))
            .collect();
        script.push_str(&attaches.join(" && "));
        script.push('\n');
        script
    }

    /// Detaches the disks' loop devices and deletes their files.
    pub fn detach_script(disks: &[Disk]) -> String {
        let mut script = String::from("set -u\nstatus=0\n");
        for disk in disks {
            let (device, file) = (shell_quote(&disk.device), shell_quote(&disk.file));
            script.push_str(&format!(
                "[ -e {device} ] || mknod {device} b 7 \"$(basename {device} | tr -dc 0-9)\"\n\
                 if ! losetup -d {device} 2>/dev/null && losetup -j {file} | grep -q .; then status=1; fi\n\
                 rm -f {file}\n"
            ));
        }
        script.push_str("exit $status\n");
        script
    }
}

/// `'text'`, safe in a shell script whatever the text holds.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disk_is_a_sparse_file_on_a_loop_device_and_goes_with_its_volume() {
        let quota = DiskQuota {
            megabytes: 4096,
            dir: "/var/lib/slipway/disks".into(),
        };
        assert_eq!(
            quota.file_of("slipway-abc-node1"),
            "/var/lib/slipway/disks/slipway-abc-node1.img"
        );
        let attach = quota.attach_script(&["slipway-abc-node1", "slipway-abc-node2"]);
        assert!(attach.contains("truncate -s 4096M \"$1\""));
        assert!(attach.contains("mkfs.ext4"));
        assert!(attach.ends_with(
            "attach '/var/lib/slipway/disks/slipway-abc-node1.img' && \
             attach '/var/lib/slipway/disks/slipway-abc-node2.img'\n"
        ));
        let detach = DiskQuota::detach_script(&[Disk {
            device: "/dev/loop7".into(),
            file: "/d/it's.img".into(),
        }]);
        assert!(detach.contains("losetup -d '/dev/loop7'"));
        assert!(detach.contains(r"rm -f '/d/it'\''s.img'"));
    }
}
