-- A step "Catch me up" did for the learner (its solution ran in their sandbox): done,
-- but not passed by them, and shown apart in the instructor's room.
ALTER TABLE lesson_progress ADD COLUMN skipped_at TEXT;
