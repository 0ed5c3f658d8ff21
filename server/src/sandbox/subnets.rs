//! Where sandbox networks get their addresses: /24 subnets of one /16 that Slipway uses
//! for nothing else. Docker's default pools hold only about 30 networks, which would cap
//! a host at 30 sandboxes whatever its size.

use std::net::Ipv4Addr;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubnetPool {
    first_octets: [u8; 2],
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("expected a /16 network such as 10.210.0.0/16, got {0:?}")]
pub struct BadPool(String);

impl FromStr for SubnetPool {
    type Err = BadPool;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadPool(text.to_string());
        let (address, prefix) = text.split_once('/').ok_or_else(bad)?;
        let address: Ipv4Addr = address.parse().map_err(|_| bad())?;
        let [a, b, c, d] = address.octets();
        if prefix != "16" || c != 0 || d != 0 {
            return Err(bad());
        }
        Ok(Self {
            first_octets: [a, b],
        })
    }
}

impl std::fmt::Display for SubnetPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b] = self.first_octets;
        write!(f, "{a}.{b}.0.0/16")
    }
}

impl SubnetPool {
    /// The /16's first two octets (10 and 210 for 10.210.0.0/16).
    pub fn first_octets(&self) -> [u8; 2] {
        self.first_octets
    }

    /// The pool's 256 subnets as Docker writes them, in order from the `start`th: servers
    /// starting sandboxes at once each begin somewhere else, so they rarely collide.
    pub fn subnets(&self, start: u8) -> impl Iterator<Item = String> + '_ {
        let [a, b] = self.first_octets;
        (0..=255u8).map(move |i| format!("{a}.{b}.{}.0/24", start.wrapping_add(i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_is_a_slash_16_cut_into_256_slash_24s() {
        let pool: SubnetPool = "10.210.0.0/16".parse().expect("a /16");
        let subnets: Vec<String> = pool.subnets(0).collect();
        assert_eq!(subnets.len(), 256);
        assert_eq!(subnets[0], "10.210.0.0/24");
        assert_eq!(subnets[255], "10.210.255.0/24");
        let from_200: Vec<String> = pool.subnets(200).collect();
        assert_eq!(from_200[0], "10.210.200.0/24");
        assert_eq!(from_200[56], "10.210.0.0/24");
        assert_eq!(from_200.len(), 256);
        for bad in [
            "10.210.0.0/24",
            "10.210.1.0/16",
            "10.210.0.0",
            "nonsense/16",
        ] {
            assert!(bad.parse::<SubnetPool>().is_err(), "{bad}");
        }
    }
}
