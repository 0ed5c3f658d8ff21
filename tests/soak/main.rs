//! `make soak`: the slow figures of a room under abuse and faults, each bounded in time
//! and count, with traffic only to this machine's loopback and its own test containers.
//! Not part of `make test`; each test prints its figure.

mod check_storm;
mod crashes;
mod engine_restart;
mod neighbours;
use slipway_tests as support;
