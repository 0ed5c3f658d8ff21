//! The server's claim on the host's CPU. In a full room the host's two cores are busy
//! with the nodes' engines and with the engine's copies of their terminals; each
//! keystroke passes through the server twice (the key in, its echo out), and each time
//! the server waited in line for a CPU behind that work: in a room of 50 learners, 3 ms
//! a keystroke on average. At a higher priority (a lower nice value) the server gets
//! the CPU before that work; it uses little (a third of a millisecond a keystroke), so
//! the nodes lose next to nothing.
//!
//! A priority decides how much CPU, not how soon: the kernel's scheduler (EEVDF, since
//! Linux 6.6) lets the running task finish its slice, 1.4 ms on a 2-core host, before
//! a woken one runs, whatever their priorities. So the server's threads also ask for
//! the shortest slice there is ([`SLICE`]; Linux 6.12 and later, older kernels take
//! the call and ignore it): a woken thread with a shorter slice than the running one
//! runs at once. The server's work per wake-up is under a tenth of a millisecond on
//! average, within the slice.

use std::io;
use std::time::Duration;

/// The slice of CPU the server's threads ask for at a time: the shortest there is.
pub const SLICE: Duration = Duration::from_micros(100);

#[derive(Debug, thiserror::Error)]
pub enum PriorityError {
    #[error("raising the server's priority needs root (CAP_SYS_NICE)")]
    NotPermitted,
    #[error("the kernel refused the server's priority")]
    Refused(#[source] io::Error),
    /// A slice needs no privilege, so whatever the reason (a seccomp profile that
    /// blocks the call, say), it is not the "needs root" of a priority.
    #[error("the kernel refused the server's threads a slice of their own")]
    SliceRefused(#[source] io::Error),
}

/// The session's scheduling group, where the kernel groups each session's processes
/// (autogroup: processes outside any cgroup of their own, on hosts without systemd).
const AUTOGROUP: &str = "/proc/self/autogroup";

/// Gives the calling thread, and so every thread it starts from now on, the nice value
/// `nice`: call it before the runtime starts its threads. A thread's nice counts only
/// inside its group, so where the kernel groups sessions, the server's session gets the
/// same nice.
pub fn set_nice(nice: i32) -> Result<(), PriorityError> {
    rustix::process::setpriority_process(None, nice).map_err(|error| refusal(error.into()))?;
    match std::fs::write(AUTOGROUP, nice.to_string()) {
        Ok(()) => Ok(()),
        // A kernel without autogroup: the thread's nice is all.
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(refusal(error)),
    }
}

/// Gives the calling thread, and so every thread it starts from now on, the short
/// [`SLICE`], keeping its nice value. Needs no privilege.
pub fn set_short_slice() -> Result<(), PriorityError> {
    let nice = rustix::process::getpriority_process(None)
        .map_err(|error| PriorityError::SliceRefused(error.into()))?;
    let attr = libc::sched_attr {
        size: std::mem::size_of::<libc::sched_attr>() as u32,
        sched_policy: libc::SCHED_OTHER as u32,
        sched_flags: 0,
        sched_nice: nice,
        sched_priority: 0,
        sched_runtime: SLICE.as_nanos() as u64,
        sched_deadline: 0,
        sched_period: 0,
    };
    // SAFETY: sched_setattr(2) on the calling thread (0) reads `attr`, which lives
    // through the call and whose `size` is its own; glibc has no wrapper for it.
    let done = unsafe {
        libc::syscall(
            libc::SYS_sched_setattr,
            0,
            &attr as *const libc::sched_attr,
            0,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(PriorityError::SliceRefused(io::Error::last_os_error()))
    }
}

fn refusal(error: io::Error) -> PriorityError {
    if error.kind() == io::ErrorKind::PermissionDenied {
        PriorityError::NotPermitted
    } else {
        PriorityError::Refused(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's release, as (major, minor).
    fn kernel() -> (u32, u32) {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let mut numbers = release
            .split(|c: char| !c.is_ascii_digit())
            .map(|n| n.parse().unwrap_or(0));
        (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0))
    }

    /// The calling thread's slice as the kernel reports it, in nanoseconds.
    fn own_slice() -> Option<u64> {
        std::fs::read_to_string("/proc/thread-self/sched")
            .ok()?
            .lines()
            .find_map(|line| line.strip_prefix("se.slice"))?
            .trim_start_matches([' ', ':'])
            .trim()
            .parse()
            .ok()
    }

    #[test]
    fn a_thread_gets_the_short_slice_and_passes_it_on() {
        let slices = std::thread::spawn(|| {
            set_short_slice().expect("no privilege is needed for a slice");
            let own = own_slice();
            let child = std::thread::spawn(own_slice)
                .join()
                .expect("the thread ran");
            (own, child)
        })
        .join()
        .expect("the thread ran");
        if kernel() >= (6, 12) {
            let slice = Some(SLICE.as_nanos() as u64);
            assert_eq!(slices, (slice, slice));
        } else {
            eprintln!(
                "NOT RUN: Linux {:?} has no slices of a thread's own",
                kernel()
            );
        }
    }
}
