//! The server's claim on the host's CPU. In a full room the host's two cores are busy
//! with the nodes' engines and with the engine's copies of their terminals; each
//! keystroke passes through the server twice (the key in, its echo out), and each time
//! the server waited in line for a CPU behind that work: in a room of 50 learners, 3 ms
//! a keystroke on average. At a higher priority (a lower nice value) the server runs
//! first when it wakes; it uses little CPU (a quarter of a millisecond a keystroke), so
//! the nodes lose next to nothing.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum PriorityError {
    #[error("raising the server's priority needs root (CAP_SYS_NICE)")]
    NotPermitted,
    #[error("the kernel refused the server's priority")]
    Refused(#[source] io::Error),
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

fn refusal(error: io::Error) -> PriorityError {
    if error.kind() == io::ErrorKind::PermissionDenied {
        PriorityError::NotPermitted
    } else {
        PriorityError::Refused(error)
    }
}
