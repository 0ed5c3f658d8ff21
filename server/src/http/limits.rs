//! How often one client address may do the things a script could repeat to exhaust the
//! server or guess a secret: sign in, try a join code, become a new learner, start a
//! sandbox. Each has a per-minute allowance (`SLIPWAY_*_PER_MINUTE`) that may be spent
//! at once, so a room behind one NAT can all join at the start.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// What is limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    JoinCode,
    NewLearner,
    SandboxStart,
}

impl Action {
    /// For the refusal: "too many {attempts} from your address".
    pub fn attempts(self) -> &'static str {
        match self {
            Action::Login => "sign-in attempts",
            Action::JoinCode => "join-code attempts",
            Action::NewLearner => "new visitors",
            Action::SandboxStart => "sandbox starts",
        }
    }
}

/// Allowances per minute and client address (`Config::rate_limits`).
#[derive(Clone, Copy, Debug)]
pub struct PerMinute {
    pub logins: u32,
    pub join_codes: u32,
    pub new_learners: u32,
    pub sandbox_starts: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("too many {} from your address: try again in {} s", .action.attempts(), .retry_after.as_secs().max(1))]
pub struct Throttled {
    pub action: Action,
    pub retry_after: Duration,
}

/// Addresses remembered before forgetting those whose allowance is whole again.
const REMEMBERED_ADDRESSES: usize = 10_000;

pub struct RateLimits {
    logins: DefaultKeyedRateLimiter<IpAddr>,
    join_codes: DefaultKeyedRateLimiter<IpAddr>,
    new_learners: DefaultKeyedRateLimiter<IpAddr>,
    sandbox_starts: DefaultKeyedRateLimiter<IpAddr>,
}

impl RateLimits {
    pub fn new(per_minute: PerMinute) -> Self {
        let limiter = |n: u32| {
            RateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
            ))
        };
        Self {
            logins: limiter(per_minute.logins),
            join_codes: limiter(per_minute.join_codes),
            new_learners: limiter(per_minute.new_learners),
            sandbox_starts: limiter(per_minute.sandbox_starts),
        }
    }

    /// Spends one of the client's allowance for `action`, or says when to come back.
    pub fn allow(&self, action: Action, client: IpAddr) -> Result<(), Throttled> {
        let limiter = match action {
            Action::Login => &self.logins,
            Action::JoinCode => &self.join_codes,
            Action::NewLearner => &self.new_learners,
            Action::SandboxStart => &self.sandbox_starts,
        };
        if limiter.len() > REMEMBERED_ADDRESSES {
            limiter.retain_recent();
        }
        limiter.check_key(&client).map_err(|not_until| Throttled {
            action,
            retry_after: not_until.wait_time_from(DefaultClock::default().now()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_allowance_at_once_and_then_waits_while_others_go_on() {
        let limits = RateLimits::new(PerMinute {
            logins: 3,
            join_codes: 1,
            new_learners: 1,
            sandbox_starts: 1,
        });
        let (one, other): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limits.allow(Action::Login, one).is_ok());
        }
        let refused = limits
            .allow(Action::Login, one)
            .expect_err("the fourth waits");
        assert!(
            refused.retry_after > Duration::ZERO && refused.retry_after <= Duration::from_secs(20)
        );
        assert!(
            refused.to_string().starts_with("too many sign-in attempts"),
            "{refused}"
        );
        assert!(
            limits.allow(Action::Login, other).is_ok(),
            "another address is not held up"
        );
        assert!(
            limits.allow(Action::JoinCode, one).is_ok(),
            "each action has its own allowance"
        );
    }
}
