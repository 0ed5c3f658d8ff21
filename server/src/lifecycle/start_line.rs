//! The line for starting sandboxes. Starting one is heavy work for the host (a node's
//! engine starting is seconds of CPU), so only so many start at once; the rest wait in
//! the order they asked, each told their place as the line moves. A room that presses
//! Start together gets its sandboxes one batch after another, not all failing at once.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{watch, Semaphore, SemaphorePermit};

pub struct StartLine {
    /// One permit for each start that may run at once; tokio hands them out in order.
    turns: Semaphore,
    /// Tickets taken, in the order learners asked.
    tickets: AtomicU64,
    /// How many of them have had their turn, which waiters watch to know their place.
    served: watch::Sender<u64>,
}

/// A start's turn: the next one in line starts when it is dropped.
pub struct Turn<'a> {
    _permit: SemaphorePermit<'a>,
}

impl StartLine {
    pub fn new(at_once: u32) -> Self {
        StartLine {
            turns: Semaphore::new(usize::try_from(at_once.max(1)).unwrap_or(1)),
            tickets: AtomicU64::new(0),
            served: watch::Sender::new(0),
        }
    }

    /// Waits for this start's turn; while it waits, `on_place` hears its place in the
    /// line (1: next), each time the line moves. A start that need not wait hears nothing.
    pub async fn wait_turn(&self, mut on_place: impl FnMut(u32)) -> Turn<'_> {
        let ticket = self.tickets.fetch_add(1, Ordering::SeqCst);
        let permit = match self.turns.try_acquire() {
            Ok(permit) => permit,
            Err(_) => {
                let mut served = self.served.subscribe();
                let acquire = self.turns.acquire();
                tokio::pin!(acquire);
                loop {
                    let ahead = ticket.saturating_sub(*served.borrow_and_update());
                    on_place(u32::try_from(ahead + 1).unwrap_or(u32::MAX));
                    tokio::select! {
                        // A move is told before the turn is taken, so a waiter whose turn
                        // comes while it was not looking still hears the line move.
                        biased;
                        // The sender lives as long as the line.
                        Ok(()) = served.changed() => {}
                        permit = &mut acquire => break permit.expect("the start line is never closed"),
                    }
                }
            }
        };
        self.served.send_modify(|served| *served += 1);
        Turn { _permit: permit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn starts_beyond_the_limit_wait_in_order_and_hear_their_place() {
        let line = Arc::new(StartLine::new(1));
        let first = line.wait_turn(|_| panic!("the first need not wait")).await;
        let places = Arc::new(Mutex::new(Vec::new()));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for who in 0..3 {
            let (line, heard, order) = (line.clone(), places.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let turn = line
                    .wait_turn(|place| heard.lock().unwrap().push((who, place)))
                    .await;
                order.lock().unwrap().push(who);
                drop(turn);
            }));
            // Each asks after the one before it is in line.
            tokio::time::timeout(std::time::Duration::from_secs(5), async {
                while !places.lock().unwrap().iter().any(|(w, _)| *w == who) {
                    tokio::task::yield_now().await;
                }
            })
            .await
            .expect("the waiter hears its place");
        }
        assert_eq!(
            *places.lock().unwrap(),
            vec![(0, 1), (1, 2), (2, 3)],
            "each hears its place on asking"
        );
        drop(first);
        for task in waiting {
            task.await.expect("the waiter ends");
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2], "turns come in order");
        let heard = places.lock().unwrap().clone();
        assert!(
            heard.contains(&(2, 2)) || heard.contains(&(2, 1)),
            "the last hears the line move: {heard:?}"
        );
    }
}
