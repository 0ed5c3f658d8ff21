//! What sandbox nodes may reach: their own sandbox's nodes and the room's registry, and
//! by default nothing else. Not other sandboxes (Docker's own isolation between bridge
//! networks already refuses that), not the host's ports (Slipway's included), not the
//! host's LAN, private or link-local ranges (cloud metadata), and not the internet unless
//! the host allows it (`SLIPWAY_NODE_INTERNET`).
//!
//! One exception: DNS to the resolvers the engine forwards names to (the host's, from
//! its resolv.conf), rate-limited per node. Without it every lookup of an outside name
//! hangs for 20 seconds in Docker's embedded resolver instead of failing at once, and so
//! does every `docker service create`, which looks its image up on Docker Hub.
//!
//! The rules are iptables chains of the sandbox subnet pool's own, jumped to from
//! Docker's DOCKER-USER chain (forwarded traffic) and from INPUT (traffic to the host
//! itself). They live in the kernel, so they outlast a restart of Slipway; Slipway writes
//! them again, whole and in one commit, every time it starts, so a changed setting takes
//! effect and a host reboot loses nothing. `slipway egress remove` takes them out.
//!
//! They are written by a short-lived helper container on the host's network with
//! NET_ADMIN, so Slipway itself needs no more rights than the Docker socket, and the
//! iptables of the helper matches the host's (nf_tables or legacy: whichever holds
//! Docker's chains).

use super::SubnetPool;

/// Ranges a node may not reach even where the internet is allowed: the host's LAN and
/// other private networks, loopback, link-local (cloud metadata at 169.254.169.254),
/// carrier-grade NAT, and multicast.
const PRIVATE_RANGES: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "224.0.0.0/4",
];

/// How much of the world nodes reach beyond their own sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EgressPolicy {
    pub pool: SubnetPool,
    /// Public addresses on the internet (for lessons that pull from Docker Hub).
    pub internet: bool,
}

impl EgressPolicy {
    fn chain(&self, direction: &str) -> String {
        let [a, b] = self.pool.first_octets();
        format!("SLIPWAY-{a}-{b}-{direction}")
    }

    /// The shell script that writes the rules (run on the host's network).
    pub fn apply_script(&self) -> String {
        let pool = self.pool.to_string();
        let (forward, input) = (self.chain("FWD"), self.chain("IN"));
        let refuse = "REJECT --reject-with icmp-admin-prohibited";
        let head = [
            "*filter".to_string(),
            format!(":{forward} - [0:0]"),
            format!(":{input} - [0:0]"),
            format!("-A {forward} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"),
            format!("-A {forward} -d {pool} -j RETURN"),
        ];
        let dns = format!(
            "-A {forward} -d \"$resolver\" -p \"$protocol\" --dport 53 -m hashlimit \
             --hashlimit-upto 50/sec --hashlimit-burst 100 --hashlimit-mode srcip \
             --hashlimit-name {forward} -j RETURN"
        );
        let mut rules = Vec::new();
        if self.internet {
            rules.extend(
                PRIVATE_RANGES
                    .iter()
                    .map(|range| format!("-A {forward} -d {range} -j {refuse}")),
            );
            rules.push(format!("-A {forward} -j RETURN"));
        } else {
            rules.push(format!("-A {forward} -j {refuse}"));
        }
        rules.extend([
            format!("-A {input} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"),
            format!("-A {input} -j {refuse}"),
            "COMMIT".to_string(),
        ]);
        format!(
            "{FIND_IPTABLES}\n\
             {FIND_RESOLVERS}\n\
             {{\n\
             cat <<'RULES'\n{head}\nRULES\n\
             for resolver in $resolvers; do for protocol in udp tcp; do\n\
             echo \"{dns}\"\n\
             done; done\n\
             cat <<'RULES'\n{rules}\nRULES\n\
             }} | \"$ipt-restore\" -w --noflush\n\
             \"$ipt\" -w -C DOCKER-USER -s {pool} -j {forward} 2>/dev/null \
             || \"$ipt\" -w -I DOCKER-USER -s {pool} -j {forward}\n\
             \"$ipt\" -w -C INPUT -s {pool} -j {input} 2>/dev/null \
             || \"$ipt\" -w -I INPUT -s {pool} -j {input}\n\
             echo \"$ipt\"\n",
            head = head.join("\n"),
            rules = rules.join("\n")
        )
    }

    /// The shell script that takes the rules out again.
    pub fn remove_script(&self) -> String {
        let pool = self.pool.to_string();
        let (forward, input) = (self.chain("FWD"), self.chain("IN"));
        format!(
            "{FIND_IPTABLES}\n\
             while \"$ipt\" -w -D DOCKER-USER -s {pool} -j {forward} 2>/dev/null; do :; done\n\
             while \"$ipt\" -w -D INPUT -s {pool} -j {input} 2>/dev/null; do :; done\n\
             for chain in {forward} {input}; do\n\
             \"$ipt\" -w -F \"$chain\" 2>/dev/null && \"$ipt\" -w -X \"$chain\"\n\
             done\n\
             echo \"$ipt\"\n"
        )
    }
}

/// The resolvers Docker's embedded DNS forwards to: the host's (a host-network
/// container's resolv.conf is the host's), or Google's where the host has only loopback
/// ones, as Docker does.
const FIND_RESOLVERS: &str = "resolvers=$(awk '$1 == \"nameserver\" && $2 !~ /^127\\./ && $2 !~ /:/ { print $2 }' /etc/resolv.conf)\n\
    [ -n \"$resolvers\" ] || resolvers='8.8.8.8 8.8.4.4'";

/// Picks the iptables that holds Docker's chains (the host's nf_tables or legacy).
const FIND_IPTABLES: &str = "set -eu\n\
    ipt=\n\
    for candidate in iptables-nft iptables-legacy; do\n\
    if \"$candidate\" -w -S DOCKER-USER >/dev/null 2>&1; then ipt=$candidate; break; fi\n\
    done\n\
    if [ -z \"$ipt\" ]; then echo 'the Docker engine keeps no DOCKER-USER chain (is its iptables management off?)' >&2; exit 3; fi";

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(internet: bool) -> EgressPolicy {
        EgressPolicy {
            pool: "10.210.0.0/16".parse().expect("a pool"),
            internet,
        }
    }

    #[test]
    fn without_the_internet_everything_past_the_pool_is_refused() {
        let script = policy(false).apply_script();
        assert!(script.contains("-A SLIPWAY-10-210-FWD -d 10.210.0.0/16 -j RETURN"));
        assert!(
            script.contains("--dport 53 -m hashlimit"),
            "DNS to the resolvers only"
        );
        assert!(
            script.contains("-A SLIPWAY-10-210-FWD -j REJECT --reject-with icmp-admin-prohibited")
        );
        assert!(!script.contains("169.254.0.0/16"));
        assert!(script.contains("-A SLIPWAY-10-210-IN -j REJECT"));
        assert!(script.contains("-I DOCKER-USER -s 10.210.0.0/16 -j SLIPWAY-10-210-FWD"));
        assert!(script.contains("-I INPUT -s 10.210.0.0/16 -j SLIPWAY-10-210-IN"));
    }

    #[test]
    fn with_the_internet_private_and_link_local_ranges_stay_refused() {
        let script = policy(true).apply_script();
        let own = script
            .find("-d 10.210.0.0/16 -j RETURN")
            .expect("the pool first");
        let private = script
            .find("-d 10.0.0.0/8 -j REJECT")
            .expect("10/8 refused");
        assert!(
            own < private,
            "the pool's own traffic passes before 10/8 is refused"
        );
        assert!(script.contains("-d 169.254.0.0/16 -j REJECT"));
        assert!(script.contains("-A SLIPWAY-10-210-FWD -j RETURN"));
    }
}
