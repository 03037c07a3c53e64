-- 0002: Prune walks events in seq order, so the index on time_ns only cost
-- every insert a second b-tree update.
DROP INDEX IF EXISTS events_time_ns;
