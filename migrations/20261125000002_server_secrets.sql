-- Secrets the server makes for itself, e.g. the key that signs session cookies, kept so
-- learners' sessions survive a restart.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
