//! A shell's input: keystrokes go straight to the engine from the connection's task when
//! they can, and through a queue and a writer task when they cannot.
//!
//! A typed key is a few bytes, and the engine's socket almost always takes them at once.
//! Writing them there and then spares the server a task wake-up per keystroke, which on
//! a busy host is part of every echo. A message the socket cannot take whole at once (a
//! long paste, a shell that stopped reading), and any message that arrives while earlier
//! ones still wait, joins the queue instead: keys stay in order, and the connection's
//! task never waits on the engine while the shell's output piles up behind it.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_util::task::noop_waker_ref;
use tokio::io::AsyncWrite;
use tokio::sync::mpsc;

use super::{TerminalError, QUEUED_INPUTS};

type Stream = Pin<Box<dyn AsyncWrite + Send>>;

/// Where a session's keystrokes go.
pub struct ShellInput {
    /// Locked only for one poll at a time, never across an await.
    stream: Mutex<Stream>,
    /// Messages in the queue or being written by the writer task. While there are any,
    /// new keys queue behind them.
    queued: AtomicUsize,
    queue: mpsc::Sender<(Bytes, Instant)>,
}

/// The writer task's end of the queue.
pub struct Queue(mpsc::Receiver<(Bytes, Instant)>);

impl ShellInput {
    pub fn new(stream: Stream) -> (Arc<Self>, Queue) {
        let (queue, queued) = mpsc::channel(QUEUED_INPUTS);
        let input = Arc::new(Self {
            stream: Mutex::new(stream),
            queued: AtomicUsize::new(0),
            queue,
        });
        (input, Queue(queued))
    }

    /// Writes a message that arrived at `arrived`. `before_write` runs just before its
    /// first byte goes (here, or in the writer task).
    pub async fn write(
        &self,
        bytes: Bytes,
        arrived: Instant,
        before_write: impl FnOnce(),
    ) -> Result<(), TerminalError> {
        let mut rest = bytes;
        // One producer per session (its attached connection) queues keys, so nothing
        // can be queued between this look and the write below.
        if self.queued.load(Ordering::Acquire) == 0 {
            before_write();
            let taken = self.write_now(&rest)?;
            if taken == Some(rest.len()) {
                return Ok(());
            }
            // The rest (perhaps nothing but a flush the socket could not finish) queues.
            rest = rest.slice(taken.unwrap_or(rest.len())..);
        }
        self.queued.fetch_add(1, Ordering::AcqRel);
        self.queue
            .send((rest, arrived))
            .await
            .map_err(|_| TerminalError::Ended)
    }

    /// Writes queued messages until the shell's input closes. `before_write(arrived)`
    /// runs just before each is written.
    pub async fn run_writer(&self, Queue(mut queue): Queue, before_write: impl Fn(Instant)) {
        while let Some((bytes, arrived)) = queue.recv().await {
            before_write(arrived);
            let written = self.write_queued(&bytes).await;
            self.queued.fetch_sub(1, Ordering::AcqRel);
            if written.is_err() {
                return;
            }
        }
    }

    /// What the socket takes of `bytes` without waiting: `Some(n)` bytes written, and
    /// `Some(bytes.len())` only once they are flushed too; `None` for what it took but
    /// could not flush yet.
    fn write_now(&self, bytes: &[u8]) -> Result<Option<usize>, TerminalError> {
        // A waker that does nothing: what the socket cannot take now goes to the writer
        // task, whose own poll registers the waker that matters.
        let mut now = Context::from_waker(noop_waker_ref());
        let mut stream = self.stream();
        let taken = match stream.as_mut().poll_write(&mut now, bytes) {
            Poll::Ready(Ok(taken)) => taken,
            Poll::Ready(Err(_)) => return Err(TerminalError::Ended),
            Poll::Pending => return Ok(Some(0)),
        };
        if taken < bytes.len() {
            return Ok(Some(taken));
        }
        match stream.as_mut().poll_flush(&mut now) {
            Poll::Ready(Ok(())) => Ok(Some(taken)),
            Poll::Ready(Err(_)) => Err(TerminalError::Ended),
            Poll::Pending => Ok(None),
        }
    }

    async fn write_queued(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let taken = poll_fn(|cx| self.stream().as_mut().poll_write(cx, rest)).await?;
            if taken == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            rest = &rest[taken..];
        }
        poll_fn(|cx| self.stream().as_mut().poll_flush(cx)).await
    }

    fn stream(&self) -> MutexGuard<'_, Stream> {
        // Held for one poll, under which nothing of ours panics.
        self.stream.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncReadExt;

    /// A socket pair with a small buffer stands in for the engine's.
    fn shell() -> (Arc<ShellInput>, Queue, tokio::io::DuplexStream) {
        let (ours, theirs) = tokio::io::duplex(16);
        let (input, queue) = ShellInput::new(Box::pin(ours));
        (input, queue, theirs)
    }

    #[tokio::test]
    async fn a_key_the_socket_takes_is_written_without_the_writer_task() {
        let (input, _queue, mut shell) = shell();
        input
            .write(Bytes::from_static(b"ls\r"), Instant::now(), || {})
            .await
            .expect("written");
        // No writer task runs: only a write made there and then can arrive.
        let mut read = [0u8; 3];
        tokio::time::timeout(Duration::from_secs(5), shell.read_exact(&mut read))
            .await
            .expect("the key arrives without the writer task")
            .expect("the shell reads");
        assert_eq!(&read, b"ls\r");
        assert_eq!(input.queued.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn what_the_socket_cannot_take_queues_and_later_keys_keep_their_order() {
        let (input, queue, mut shell) = shell();
        let writer = tokio::spawn({
            let input = input.clone();
            async move { input.run_writer(queue, |_| {}).await }
        });
        let paste: Vec<u8> = (0..100u8).collect();
        input
            .write(Bytes::from(paste.clone()), Instant::now(), || {})
            .await
            .expect("queued");
        // The paste did not fit: this key must wait behind its rest.
        assert!(input.queued.load(Ordering::Acquire) > 0);
        input
            .write(Bytes::from_static(&[200]), Instant::now(), || {})
            .await
            .expect("queued");
        let mut read = vec![0u8; 101];
        shell.read_exact(&mut read).await.expect("the shell reads");
        assert_eq!(&read[..100], &paste[..]);
        assert_eq!(read[100], 200);
        let written = async {
            while input.queued.load(Ordering::Acquire) > 0 {
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), written)
            .await
            .expect("the writer task has written the queue");
        drop(shell);
        input
            .write(Bytes::from_static(b"x"), Instant::now(), || {})
            .await
            .expect_err("the shell is gone");
        writer.abort();
    }
}
