-- The audit log: every change made through the REST API, written ahead.
--
-- Before a write route calls the service that owns the object, the edge
-- commits an intent (who, what, which object, the object before); only
-- then is the change attempted. Its answer turns the intent into an
-- entry of audit_log, with an event in the outbox, in one transaction
-- (or drops it when the change was refused). An intent left behind by an
-- edge that stopped, or that could not learn the outcome, becomes an
-- entry with outcome 'unknown'. So no change reaches a service without
-- its record, whichever service owns the object.
CREATE TABLE edge.audit_intents (
    id             text PRIMARY KEY,
    org_id         text NOT NULL,
    actor_key_id   text NOT NULL,
    actor_key_name text NOT NULL,
    action         text NOT NULL,
    object_type    text NOT NULL,
    object_id      text NOT NULL,
    before         jsonb,
    method         text NOT NULL,
    path           text NOT NULL,
    source_ip      text NOT NULL,
    request_id     text NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX audit_intents_created_idx ON edge.audit_intents (created_at);

CREATE TABLE edge.audit_log (
    id             text PRIMARY KEY,
    org_id         text NOT NULL,
    actor_key_id   text NOT NULL,
    actor_key_name text NOT NULL,
    action         text NOT NULL,
    object_type    text NOT NULL,
    object_id      text NOT NULL,
    before         jsonb,
    after          jsonb,
    outcome        text NOT NULL CHECK (outcome IN ('succeeded', 'unknown')),
    status         integer NOT NULL,
    method         text NOT NULL,
    path           text NOT NULL,
    source_ip      text NOT NULL,
    request_id     text NOT NULL,
    created_at     timestamptz NOT NULL
);
-- Listings go newest first within an organisation, optionally narrowed.
CREATE INDEX audit_log_org_idx ON edge.audit_log (org_id, id DESC);
CREATE INDEX audit_log_object_idx ON edge.audit_log (org_id, object_type, object_id, id DESC);
CREATE INDEX audit_log_actor_idx ON edge.audit_log (org_id, actor_key_id, id DESC);

-- Append-only: the database refuses to change or remove an entry,
-- whatever the client.
CREATE FUNCTION edge.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON edge.audit_log
    FOR EACH ROW EXECUTE FUNCTION edge.audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON edge.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION edge.audit_log_append_only();

-- The edge's transactional outbox (pkg/outbox): AuditRecorded events.
CREATE TABLE edge.outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    msg_id     text NOT NULL,
    ce_type    text NOT NULL,
    ce_source  text NOT NULL,
    ce_time    timestamptz NOT NULL,
    payload    bytea NOT NULL,
    -- The W3C trace context of the change, published with the event.
    trace_parent text NOT NULL DEFAULT '',
    trace_state  text NOT NULL DEFAULT ''
);
