-- Incidents, their timelines, the newest status version applied per
-- receiver and service, and the outbox of events not yet published.
CREATE TABLE incidents.incidents (
    id              text PRIMARY KEY,
    org_id          text NOT NULL,
    title           text NOT NULL,
    status          text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    severity        text NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
    service_ids     text[] NOT NULL DEFAULT '{}',
    source          text NOT NULL CHECK (source IN ('manual', 'receiver')),
    -- For source 'receiver': the receiver and the service it opened the
    -- incident for (service_ids may be edited by hand later).
    receiver_id     text,
    auto_service_id text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    resolved_at     timestamptz,
    version         bigint NOT NULL,
    CHECK ((source = 'receiver') = (receiver_id IS NOT NULL AND auto_service_id IS NOT NULL)),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);

-- At most one open automatic incident per receiver and service, whatever
-- the order or number of times events arrive.
CREATE UNIQUE INDEX incidents_open_auto ON incidents.incidents (receiver_id, auto_service_id)
    WHERE source = 'receiver' AND status <> 'resolved';
CREATE INDEX incidents_org ON incidents.incidents (org_id, id DESC);
CREATE INDEX incidents_org_open ON incidents.incidents (org_id, id DESC) WHERE status <> 'resolved';
CREATE INDEX incidents_services ON incidents.incidents USING gin (service_ids);

CREATE TABLE incidents.incident_updates (
    incident_id text NOT NULL REFERENCES incidents.incidents (id) ON DELETE CASCADE,
    seq         int NOT NULL,
    created_at  timestamptz NOT NULL,
    status      text NOT NULL,
    message     text NOT NULL,
    author      text NOT NULL,
    PRIMARY KEY (incident_id, seq)
);

-- The newest version of a service's StatusChanged events that a receiver
-- caused and that was applied: an event of that receiver and service at or
-- below it is a duplicate or was overtaken by a newer one. Only a
-- receiver's own events act on its automatic incidents, so ordering them
-- per receiver and service gives the result of applying every event in
-- order, whatever other sources changed the service in between.
CREATE TABLE incidents.receiver_versions (
    receiver_id text NOT NULL,
    service_id  text NOT NULL,
    version     bigint NOT NULL,
    PRIMARY KEY (receiver_id, service_id)
);

CREATE TABLE incidents.outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    msg_id     text NOT NULL,
    ce_type    text NOT NULL,
    ce_source  text NOT NULL,
    ce_time    timestamptz NOT NULL,
    payload    bytea NOT NULL
);
