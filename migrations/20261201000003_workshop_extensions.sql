-- How many times a workshop's learner may press Extend on a sandbox; NULL leaves it to
-- the host's longest life (SLIPWAY_SANDBOX_LONGEST_HOURS).
ALTER TABLE workshops ADD COLUMN sandbox_extensions INTEGER CHECK (sandbox_extensions >= 0);
