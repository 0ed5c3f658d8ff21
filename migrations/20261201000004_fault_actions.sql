-- Every press of a fault block's button (the platform switching off, freezing or cutting
-- off a node of the learner's sandbox, or undoing it), kept with the learner's progress.
CREATE TABLE fault_actions (
    id         INTEGER PRIMARY KEY,
    learner_id TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    track      TEXT NOT NULL,
    lesson     TEXT NOT NULL,
    step       INTEGER NOT NULL,
    node       TEXT NOT NULL,
    fault      TEXT NOT NULL CHECK (fault IN ('stop', 'pause', 'disconnect')),
    undo       INTEGER NOT NULL CHECK (undo IN (0, 1)),
    done_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX fault_actions_by_learner ON fault_actions (learner_id, track, lesson, step);
