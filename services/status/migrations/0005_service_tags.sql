-- Free key/value tags of a service, which alert rules and silences select
-- services by.
ALTER TABLE status.services ADD COLUMN tags jsonb NOT NULL DEFAULT '{}';
