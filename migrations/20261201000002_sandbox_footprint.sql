-- What each sandbox takes of the host, so the host's caps count nodes and memory, not
-- only sandboxes: a 7-node swarm weighs seven times a single node.
ALTER TABLE sandboxes ADD COLUMN nodes INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sandboxes ADD COLUMN memory_mb INTEGER NOT NULL DEFAULT 0;
