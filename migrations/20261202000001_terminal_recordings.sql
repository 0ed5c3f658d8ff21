-- Every terminal session, recorded as an asciicast v2 file (output with timing) under
-- the recordings directory beside the database; one row per session.
CREATE TABLE terminal_recordings (
    id         TEXT PRIMARY KEY,
    learner_id TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    sandbox_id TEXT NOT NULL,
    node       TEXT NOT NULL,
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX terminal_recordings_by_learner ON terminal_recordings (learner_id, started_at);

-- An instructor may turn recording off for a workshop; it is on unless they do.
ALTER TABLE workshops ADD COLUMN record_terminals INTEGER NOT NULL DEFAULT 1 CHECK (record_terminals IN (0, 1));
