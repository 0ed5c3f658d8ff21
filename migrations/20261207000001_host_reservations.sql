-- A place on the host's caps held by something that is not a learner's sandbox (a
-- preflight's rehearsal): counted with the sandboxes when a new one asks for room, until
-- it is released or, if its holder died, until it expires.
CREATE TABLE host_reservations (
    id         TEXT PRIMARY KEY,
    nodes      INTEGER NOT NULL,
    memory_mb  INTEGER NOT NULL,
    expires_at TEXT NOT NULL
);
