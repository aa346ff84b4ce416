-- Every event of a service now takes the next version: its creation, each
-- edit of its name or description, each status change, its deletion.
-- status_version is the version of the event that set the current status;
-- conditional reports (expected_version) compare against it, so that an
-- edit does not count as a status change. Until now every version was a
-- status change, so the two start equal.
ALTER TABLE status.services ADD COLUMN status_version bigint NOT NULL DEFAULT 0;
UPDATE status.services SET status_version = version;
