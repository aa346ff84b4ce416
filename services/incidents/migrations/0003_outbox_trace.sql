-- The W3C trace context of the change that wrote each event, which the
-- relay publishes with it (pkg/outbox).
ALTER TABLE incidents.outbox
    ADD COLUMN trace_parent text NOT NULL DEFAULT '',
    ADD COLUMN trace_state  text NOT NULL DEFAULT '';
