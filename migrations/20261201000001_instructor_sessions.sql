-- Instructors' sign-ins, kept on the server so that signing out (or expiry) ends one
-- whatever copies of its cookie exist. The cookie carries a random token; this table
-- keeps only the token's SHA-256, so a copy of the database signs nobody in.
CREATE TABLE instructor_sessions (
    token_hash    TEXT PRIMARY KEY,
    instructor_id TEXT NOT NULL REFERENCES instructors (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    expires_at    TEXT NOT NULL
);
CREATE INDEX instructor_sessions_by_expiry ON instructor_sessions (expires_at);
