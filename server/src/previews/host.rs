//! Previews at host names of their own, for apps that must live at `/`: where
//! `SLIPWAY_PREVIEW_DOMAIN` names a wildcard DNS name that points at Slipway, node1's
//! port 8000 of sandbox `abc` is also `http://8000-node1-abc.<domain>/`.
//!
//! Slipway's cookies belong to its own host name, so a preview host gets a pass of its
//! own: Slipway, having checked who the browser is, hands it a short-lived pass on the
//! preview host, which trades it for a cookie there. Passes are signed with a key of
//! the server's, and name the sandbox's learner, whether the viewer is that learner, the
//! preview host and when they expire.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long the pass in the redirect to a preview host is good for.
pub const HANDOFF_SECONDS: u64 = 60;
/// How long a preview host's cookie is good for: a long workshop day.
pub const VISIT_SECONDS: u64 = 12 * 3600;

/// One node's port of one sandbox, as a host name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewHost {
    pub sandbox: String,
    pub node: String,
    pub port: u16,
}

impl PreviewHost {
    /// `8000-node1-abc.<domain>`.
    pub fn name(&self, domain: &str) -> String {
        format!("{}-{}-{}.{domain}", self.port, self.node, self.sandbox)
    }

    /// The preview a `Host` header names, if it is one under `domain`.
    pub fn parse(host_header: &str, domain: &str) -> Option<Self> {
        let host = host_header
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host_header, |(name, _)| name)
            .to_ascii_lowercase();
        let label = host.strip_suffix(&format!(".{}", domain.to_ascii_lowercase()))?;
        let mut parts = label.split('-');
        let (port, node, sandbox) = (parts.next()?, parts.next()?, parts.next()?);
        let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
        if parts.next().is_some() || !word(node) || !word(sandbox) {
            return None;
        }
        Some(PreviewHost {
            sandbox: sandbox.to_string(),
            node: node.to_string(),
            port: port.parse().ok()?,
        })
    }
}

/// Who may see a preview host, until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pass {
    /// The sandbox's learner (the sandbox is looked up as theirs on every request).
    pub learner: String,
    /// The viewer is that learner, not one of their instructors.
    pub owner: bool,
    /// Seconds since the Unix epoch.
    pub expires: u64,
}

/// The key passes are signed with, kept in the database like the cookie key.
pub struct PassKey(Vec<u8>);

impl PassKey {
    pub fn new(secret: Vec<u8>) -> Self {
        PassKey(secret)
    }

    fn mac(&self, host: &str, fields: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(host.as_bytes());
        mac.update(b"\n");
        mac.update(fields.as_bytes());
        mac
    }

    /// A pass for `host` (a preview host name), as text for a URL or a cookie.
    pub fn sign(&self, host: &str, pass: &Pass) -> String {
        let fields = format!("{}.{}.{}", pass.learner, u8::from(pass.owner), pass.expires);
        let signature = hex::encode(self.mac(host, &fields).finalize().into_bytes());
        format!("{fields}.{signature}")
    }

    /// The pass `token` is, if this key signed it for `host` and it has not expired.
    pub fn verify(&self, host: &str, token: &str, now: u64) -> Option<Pass> {
        let (fields, signature) = token.rsplit_once('.')?;
        self.mac(host, fields)
            .verify_slice(&hex::decode(signature).ok()?)
            .ok()?;
        let mut parts = fields.split('.');
        let (learner, owner, expires) = (parts.next()?, parts.next()?, parts.next()?);
        let pass = Pass {
            learner: learner.to_string(),
            owner: owner == "1",
            expires: expires.parse().ok()?,
        };
        (parts.next().is_none() && pass.expires > now).then_some(pass)
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_host_name_reads_back_and_nothing_else_does() {
        let preview = PreviewHost {
            sandbox: "3b6bf0b19924".into(),
            node: "node1".into(),
            port: 8000,
        };
        let name = preview.name("previews.example.org");
        assert_eq!(name, "8000-node1-3b6bf0b19924.previews.example.org");
        assert_eq!(
            PreviewHost::parse(&name, "previews.example.org"),
            Some(preview.clone())
        );
        assert_eq!(
            PreviewHost::parse("8000-NODE1-3b6bf0b19924.localhost:3000", "localhost"),
            Some(preview)
        );
        for other in [
            "previews.example.org",
            "8000-node1-abc.evil.example",
            "8000-node1-abc-x.localhost",
            "99999-node1-abc.localhost",
            "8000-node1.localhost",
            "8000-no_de-abc.localhost",
        ] {
            assert_eq!(PreviewHost::parse(other, "localhost"), None, "{other}");
        }
    }

    #[test]
    fn a_pass_holds_only_for_its_host_until_it_expires() {
        let key = PassKey::new(b"a secret of the server".to_vec());
        let pass = Pass {
            learner: "0b1c-learner".into(),
            owner: true,
            expires: 1_000,
        };
        let token = key.sign("8000-node1-abc.localhost", &pass);
        assert_eq!(
            key.verify("8000-node1-abc.localhost", &token, 999),
            Some(pass)
        );
        assert_eq!(key.verify("8000-node1-abc.localhost", &token, 1_000), None);
        assert_eq!(key.verify("8765-node1-abc.localhost", &token, 999), None);
        let forged = token.replacen("0b1c-learner", "someone-else", 1);
        assert_eq!(key.verify("8000-node1-abc.localhost", &forged, 999), None);
        let other_key = PassKey::new(b"another secret".to_vec());
        assert_eq!(
            other_key.verify("8000-node1-abc.localhost", &token, 999),
            None
        );
    }
}
