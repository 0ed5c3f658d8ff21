//! Output gives way to typing. A flood in one terminal (`yes`, `cat` of a big log) costs
//! the host far more than its node's CPU limit shows: a pseudo-terminal's output is
//! copied by the kernel's workers, the engine's shim and the engine itself, all outside
//! the node's limits. Measured in a room of 50 learners on a 2-core host, two 8 MB floods
//! held every learner's echo for over a second (1.2 s and 1.8 s in two runs; 80 ms
//! without them).
//!
//! So while anyone else types, a terminal's output is paced to [`OUTPUT_WHILE_OTHERS_TYPE`]
//! once it has used a burst of [`OUTPUT_BURST`]. Interactive output (an echo, a prompt, a
//! command's few screens) never waits; a learner alone on the server floods at full
//! speed. The pace is still far more than a person reads or a meetup's wifi carries.
//! Pacing is backpressure, not buffering: the session stops reading, so the program waits.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Bytes a second a terminal's output gets while someone else types.
pub const OUTPUT_WHILE_OTHERS_TYPE: u32 = 256 * 1024;
/// Output a terminal may send at once before the pace applies (at least one read).
pub const OUTPUT_BURST: u32 = 256 * 1024;
/// How long after a keystroke its session still counts as typing.
pub const TYPING_WINDOW: Duration = Duration::from_secs(2);

/// Which terminal session was typed into last, server-wide.
#[derive(Default)]
pub struct Typing {
    latest: Mutex<Latest>,
}

/// The latest keystroke, and the latest from any other session than its own: enough to
/// tell any session whether someone else typed lately, at a fixed cost per keystroke.
#[derive(Default)]
struct Latest {
    key: Option<(u64, Instant)>,
    other: Option<(u64, Instant)>,
}

impl Typing {
    /// Session `session` was just typed into.
    pub fn key_from(&self, session: u64) {
        let mut latest = self.latest();
        let now = Instant::now();
        match latest.key {
            Some((last, _)) if last == session => {}
            previous => latest.other = previous,
        }
        latest.key = Some((session, now));
    }

    /// Whether a session other than `session` was typed into within [`TYPING_WINDOW`].
    pub fn others_typing(&self, session: u64) -> bool {
        let latest = self.latest();
        let newest_other = match latest.key {
            Some((last, _)) if last == session => latest.other,
            newest => newest,
        };
        newest_other.is_some_and(|(_, at)| at.elapsed() < TYPING_WINDOW)
    }

    fn latest(&self) -> std::sync::MutexGuard<'_, Latest> {
        // Plain data, and nothing under the lock panics.
        self.latest.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One session's pace: its keystrokes count as typing for the others, and its output
/// waits while they type.
pub struct Pace {
    typing: Arc<Typing>,
    session: u64,
    limiter: DefaultDirectRateLimiter,
}

impl Pace {
    pub fn new(typing: Arc<Typing>, session: u64) -> Self {
        let rate = NonZeroU32::new(OUTPUT_WHILE_OTHERS_TYPE).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(OUTPUT_BURST).unwrap_or(NonZeroU32::MIN);
        Self {
            typing,
            session,
            limiter: RateLimiter::direct(Quota::per_second(rate).allow_burst(burst)),
        }
    }

    /// The learner typed into this session.
    pub fn key(&self) {
        self.typing.key_from(self.session);
    }

    /// Waits, while others type, until `bytes` more output fit the pace.
    pub async fn before_output(&self, bytes: usize) {
        if !self.typing.others_typing(self.session) {
            return;
        }
        // Never more than the burst, so the wait always ends.
        let cells = u32::try_from(bytes.min(OUTPUT_BURST as usize)).unwrap_or(OUTPUT_BURST);
        if let Some(cells) = NonZeroU32::new(cells) {
            let _ = self.limiter.until_n_ready(cells).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_not_paced_by_its_own_typing() {
        let typing = Typing::default();
        assert!(!typing.others_typing(1), "nobody typed");
        typing.key_from(1);
        assert!(!typing.others_typing(1), "only session 1 typed");
        assert!(typing.others_typing(2), "session 1 typed, so 2 has company");
    }

    #[test]
    fn the_latest_other_session_is_remembered_past_a_run_of_own_keys() {
        let typing = Typing::default();
        typing.key_from(1);
        typing.key_from(2);
        typing.key_from(2);
        typing.key_from(2);
        assert!(typing.others_typing(2), "session 1 typed before 2's run");
        assert!(typing.others_typing(1));
        assert!(typing.others_typing(3));
    }

    #[tokio::test]
    async fn output_waits_for_the_pace_only_while_others_type() {
        let typing = Arc::new(Typing::default());
        let (flooding, typist) = (Pace::new(typing.clone(), 1), Pace::new(typing, 2));
        let pace = u64::from(OUTPUT_WHILE_OTHERS_TYPE);
        let burst_and_a_second = (u64::from(OUTPUT_BURST) + pace) as usize;

        let alone = Instant::now();
        for _ in 0..burst_and_a_second / 65536 {
            flooding.before_output(65536).await;
        }
        assert!(
            alone.elapsed() < Duration::from_millis(100),
            "alone: full speed"
        );

        typist.key();
        let shared = Instant::now();
        // The burst goes at once, then a second's worth at the pace takes a second.
        for _ in 0..burst_and_a_second / 65536 {
            flooding.before_output(65536).await;
        }
        assert!(
            shared.elapsed() > Duration::from_millis(800),
            "paced while another types: {:?}",
            shared.elapsed()
        );
    }
}
