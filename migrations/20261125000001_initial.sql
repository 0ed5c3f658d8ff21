-- The first schema: learners, workshops, lesson progress and sandboxes.
-- Times are UTC, ISO 8601 text (what SQLite's date functions read).

CREATE TABLE workshops (
    id              TEXT PRIMARY KEY,
    join_code       TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    track           TEXT NOT NULL,
    starts_at       TEXT,
    ends_at         TEXT,
    capacity        INTEGER NOT NULL CHECK (capacity > 0),
    sandbox_minutes INTEGER NOT NULL CHECK (sandbox_minutes > 0),
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- A learner is created on first visit; the id travels in a signed session cookie.
CREATE TABLE learners (
    id           TEXT PRIMARY KEY,
    display_name TEXT,
    workshop_id  TEXT REFERENCES workshops (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX learners_by_workshop ON learners (workshop_id);

-- One row per learner and step reached. `step` is the 0-based step index.
CREATE TABLE lesson_progress (
    learner_id           TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    track                TEXT NOT NULL,
    lesson               TEXT NOT NULL,
    step                 INTEGER NOT NULL CHECK (step >= 0),
    started_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    passed_at            TEXT,
    attempts             INTEGER NOT NULL DEFAULT 0,
    hints_revealed       INTEGER NOT NULL DEFAULT 0,
    solution_revealed_at TEXT,
    PRIMARY KEY (learner_id, track, lesson, step)
);

-- Every press of Check, kept for the instructor's view and the CSV export.
CREATE TABLE check_attempts (
    id           INTEGER PRIMARY KEY,
    learner_id   TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    track        TEXT NOT NULL,
    lesson       TEXT NOT NULL,
    step         INTEGER NOT NULL,
    passed       INTEGER NOT NULL CHECK (passed IN (0, 1)),
    reason       TEXT,
    duration_ms  INTEGER NOT NULL,
    attempted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX check_attempts_by_learner ON check_attempts (learner_id, track, lesson, step);

-- A learner's set of Docker hosts. `template` is the lesson's sandbox spec as JSON;
-- Docker objects carry the sandbox id as a label, so the engine can be reconciled
-- against this table at start-up.
CREATE TABLE sandboxes (
    id             TEXT PRIMARY KEY,
    learner_id     TEXT REFERENCES learners (id) ON DELETE CASCADE,
    template       TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pooled', 'starting', 'ready', 'failed', 'deleting')),
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    expires_at     TEXT NOT NULL,
    last_active_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX sandboxes_by_learner ON sandboxes (learner_id);
