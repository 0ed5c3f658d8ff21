//! Where a keystroke's echo spends its time on this server, keystroke by keystroke.
//!
//! A learner feels the time from pressing a key to seeing it. Three stages of it can be
//! told apart here:
//! - **key in**: the keystroke's WebSocket frame arrived, until it was written to the
//!   node's shell (the relay and, for a key that had to queue, the writer task, up to
//!   its write call);
//! - **node**: written, until the first output after it was read back. This is the
//!   engine and the node; it also holds the server's own wait to be woken for that read,
//!   which cannot be told apart from the engine's time from in here;
//! - **echo out**: read, until the WebSocket frame carrying it was sent (pacing, the
//!   output queue, the relay).
//!
//! "The first output after a key" is taken as its echo. That is right for a shell at a
//! prompt; under a flood it is whatever output came next, so the node stage reads short.
//! The last [`KEPT`] keystrokes are kept, numbered, so that an instructor can see the
//! last minute and a bench can ask for exactly the keystrokes of its own phase.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use app::model::{EchoStage, EchoTimes};

/// Keystrokes kept: over a minute of a room of 50 typing at four keys a second.
pub const KEPT: usize = 16_384;
/// A key whose first output comes later than this had no echo (a program that does not
/// echo, such as a password prompt): what came later is not counted as its echo.
const NO_ECHO_AFTER: Duration = Duration::from_secs(30);

/// A keystroke written to a shell, waiting for the output that echoes it.
#[derive(Clone, Copy, Debug)]
pub struct Written {
    arrived: Instant,
    written: Instant,
}

impl Written {
    pub fn new(arrived: Instant, written: Instant) -> Self {
        Self { arrived, written }
    }

    /// The echo was read at `read`: the mark that travels with it to the WebSocket.
    pub fn echoed_at(self, read: Instant) -> Option<Echo> {
        (read.duration_since(self.written) <= NO_ECHO_AFTER).then_some(Echo {
            written: self,
            read,
        })
    }
}

/// An echo read from the shell, on its way to the learner.
#[derive(Clone, Copy, Debug)]
pub struct Echo {
    written: Written,
    read: Instant,
}

/// One keystroke's three stages.
#[derive(Clone, Copy, Debug)]
struct Timed {
    sent: Instant,
    key_in: Duration,
    node: Duration,
    echo_out: Duration,
}

/// The server's keystrokes, the last [`KEPT`] of them.
#[derive(Default)]
pub struct EchoLog {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    timed: VecDeque<Timed>,
    /// Keystrokes timed since the server started: the number the next one gets.
    next: u64,
}

impl EchoLog {
    /// The echo's frame was sent to the learner.
    pub fn sent(&self, echo: Echo) {
        let sent = Instant::now();
        let Written { arrived, written } = echo.written;
        let timed = Timed {
            sent,
            key_in: written.saturating_duration_since(arrived),
            node: echo.read.saturating_duration_since(written),
            echo_out: sent.saturating_duration_since(echo.read),
        };
        let mut kept = self.kept();
        if kept.timed.len() == KEPT {
            kept.timed.pop_front();
        }
        kept.timed.push_back(timed);
        kept.next += 1;
    }

    /// The keystrokes numbered `from` on, as far as they are still kept.
    pub fn since(&self, from: u64) -> EchoTimes {
        let kept = self.kept();
        let first_kept = kept.next - kept.timed.len() as u64;
        let skip = from.saturating_sub(first_kept).min(kept.timed.len() as u64) as usize;
        let timed: Vec<Timed> = kept.timed.iter().skip(skip).copied().collect();
        EchoTimes {
            from,
            next: kept.next,
            no_longer_kept: first_kept.saturating_sub(from),
            ..summary(&timed)
        }
    }

    /// The keystrokes whose echo was sent within the last `window`.
    pub fn within(&self, window: Duration) -> EchoTimes {
        let kept = self.kept();
        let now = Instant::now();
        let recent = kept
            .timed
            .iter()
            .rev()
            .take_while(|timed| now.duration_since(timed.sent) <= window)
            .count();
        let timed: Vec<Timed> = kept
            .timed
            .iter()
            .skip(kept.timed.len() - recent)
            .copied()
            .collect();
        EchoTimes {
            from: kept.next - recent as u64,
            next: kept.next,
            no_longer_kept: 0,
            ..summary(&timed)
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Plain numbers under the lock, and no code under it panics.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn summary(timed: &[Timed]) -> EchoTimes {
    let stage = |of: fn(&Timed) -> Duration| {
        let mut times: Vec<Duration> = timed.iter().map(of).collect();
        times.sort_unstable();
        EchoStage {
            p50_us: micros(percentile(&times, 50)),
            p99_us: micros(percentile(&times, 99)),
            max_us: micros(times.last().copied().unwrap_or_default()),
        }
    };
    EchoTimes {
        keystrokes: timed.len() as u64,
        key_in: stage(|t| t.key_in),
        node: stage(|t| t.node),
        echo_out: stage(|t| t.echo_out),
        whole: stage(|t| t.key_in + t.node + t.echo_out),
        from: 0,
        next: 0,
        no_longer_kept: 0,
    }
}

/// The nearest-rank percentile of sorted times.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len()).div_ceil(100);
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(time: Duration) -> u64 {
    u64::try_from(time.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo_of(key_in_us: u64, node_us: u64) -> Echo {
        let arrived = Instant::now() - Duration::from_secs(1);
        let written = arrived + Duration::from_micros(key_in_us);
        Written::new(arrived, written)
            .echoed_at(written + Duration::from_micros(node_us))
            .expect("an echo within the limit")
    }

    #[test]
    fn stages_are_told_apart_and_counted_from_where_asked() {
        let log = EchoLog::default();
        for i in 1..=100 {
            log.sent(echo_of(i, 1000 * i));
        }
        let all = log.since(0);
        assert_eq!(
            (all.keystrokes, all.next, all.no_longer_kept),
            (100, 100, 0)
        );
        assert_eq!(all.key_in.p50_us, 50);
        assert_eq!(all.key_in.p99_us, 99);
        assert_eq!(all.node.max_us, 100_000);
        assert!(all.whole.max_us >= all.node.max_us + all.key_in.max_us);
        let last = log.since(90);
        assert_eq!(last.keystrokes, 10);
        assert_eq!(last.key_in.p50_us, 95);
        assert_eq!(log.since(100).keystrokes, 0);
        assert_eq!(log.within(Duration::from_secs(60)).keystrokes, 100);
    }

    #[test]
    fn only_the_last_are_kept_and_the_rest_are_said_to_be_gone() {
        let log = EchoLog::default();
        for _ in 0..KEPT + 10 {
            log.sent(echo_of(1, 1));
        }
        let all = log.since(0);
        assert_eq!(all.keystrokes, KEPT as u64);
        assert_eq!(all.no_longer_kept, 10);
        assert_eq!(log.since(5).no_longer_kept, 5);
        assert_eq!(log.since(20).no_longer_kept, 0);
    }

    #[test]
    fn output_long_after_a_key_is_not_its_echo() {
        let written = Written::new(Instant::now(), Instant::now());
        assert!(written
            .echoed_at(Instant::now() + NO_ECHO_AFTER + Duration::from_secs(1))
            .is_none());
    }
}
