//! Where a room's learners wait until every way of typing is ready, and then set off
//! one after another. A raw way first starts an exec (and the engine's shell a login
//! shell) while Slipway's terminals are open already, so without the wait one way's
//! keys would meet the others' start-ups and another's would not. And people typing on
//! their own press their keys at moments of their own: learner `i` of `n` sets off
//! `i / n` of a keystroke's interval after the start, which spreads the room's keys
//! evenly over time, as they come on average. Were they all pressed at the same
//! instants, every key would queue behind the room's others (in a room of 50, every
//! way's echo p50 was 5 to 8 ms so).

use std::time::Duration;

use tokio::sync::Barrier;

pub struct StartLine {
    barrier: Barrier,
    typists: u32,
    pace: Duration,
}

impl StartLine {
    /// A start line for `typists` learners typing a key every `pace`, of whom `working`
    /// also do heavy work.
    pub fn new(typists: usize, working: usize, pace: Duration) -> Self {
        Self {
            barrier: Barrier::new(typists + working),
            typists: u32::try_from(typists).unwrap_or(u32::MAX).max(1),
            pace,
        }
    }

    /// Learner `learner` is ready to type: returns when they press their first key.
    pub async fn typist(&self, learner: usize) {
        self.barrier.wait().await;
        let learner = u32::try_from(learner).unwrap_or(0);
        tokio::time::sleep(self.pace * learner / self.typists).await;
    }

    /// A heavy learner is ready to work: returns when the room sets off.
    pub async fn worker(&self) {
        self.barrier.wait().await;
    }
}
