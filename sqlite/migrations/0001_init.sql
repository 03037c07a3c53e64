-- 0001_init: the audit log and the governor's snapshot.
--
-- Every time is UTC unix nanoseconds. Optional text columns are NULL when
-- the event leaves them empty.

-- events is the audit log, one row per governor.Event. seq is the
-- governor's sequence number (the rowid), the cursor of every reader.
CREATE TABLE events (
	seq        INTEGER PRIMARY KEY,
	time_ns    INTEGER NOT NULL,  -- for a grant: when its units count
	type       TEXT    NOT NULL,  -- grant, deny, settle, release, ...
	lease_id   TEXT,
	identity   TEXT,
	priority   TEXT,
	pools      TEXT,              -- JSON object {"pool": units, ...} in the event's order
	reason     TEXT,
	message    TEXT,
	expires_ns INTEGER            -- a grant's lease expiry
);

-- Prune deletes by age.
CREATE INDEX events_time_ns ON events (time_ns);

-- snapshot holds only the newest snapshot of the governor's state; it
-- includes exactly the events up to seq.
CREATE TABLE snapshot (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	seq        INTEGER NOT NULL,
	data       BLOB,
	created_ns INTEGER NOT NULL
);
