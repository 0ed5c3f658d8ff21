-- Instructors, their workshops, and what the live view of a room needs to know.

-- An instructor signs in with a name and password (argon2 hash, PHC string).
CREATE TABLE instructors (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

ALTER TABLE workshops ADD COLUMN instructor_id TEXT REFERENCES instructors (id) ON DELETE CASCADE;
ALTER TABLE workshops ADD COLUMN ended_at TEXT;
-- The instructor's latest message to the room, shown on every learner's page.
ALTER TABLE workshops ADD COLUMN message TEXT;
ALTER TABLE workshops ADD COLUMN message_at TEXT;

-- Where a learner is: the lesson and step on their screen, and since when.
ALTER TABLE learners ADD COLUMN current_lesson TEXT;
ALTER TABLE learners ADD COLUMN current_step INTEGER;
ALTER TABLE learners ADD COLUMN step_since TEXT;

-- What the check printed, for the instructor looking over a learner's shoulder.
ALTER TABLE check_attempts ADD COLUMN output TEXT;

-- Learners of a workshop waiting for room on the host, first come first served.
CREATE TABLE sandbox_queue (
    learner_id TEXT PRIMARY KEY REFERENCES learners (id) ON DELETE CASCADE,
    lesson     TEXT NOT NULL,
    queued_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
