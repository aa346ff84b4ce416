-- Services, their status history, and the outbox of events not yet published.
CREATE TABLE status.services (
    id                 text PRIMARY KEY,
    org_id             text NOT NULL,
    name               text NOT NULL,
    description        text NOT NULL DEFAULT '',
    status             text NOT NULL CHECK (status IN ('operational', 'degraded', 'down', 'maintenance')),
    status_description text NOT NULL DEFAULT '',
    status_changed_at  timestamptz NOT NULL,
    version            bigint NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);

-- Names are unique per organisation regardless of case.
CREATE UNIQUE INDEX services_org_name_key ON status.services (org_id, lower(name));
-- Keyset pagination of an organisation's services.
CREATE INDEX services_org_id_idx ON status.services (org_id, id);

CREATE TABLE status.status_history (
    service_id      text NOT NULL REFERENCES status.services (id) ON DELETE CASCADE,
    version         bigint NOT NULL,
    previous_status text NOT NULL,
    status          text NOT NULL,
    description     text NOT NULL,
    source          text NOT NULL,
    actor           text NOT NULL,
    changed_at      timestamptz NOT NULL,
    PRIMARY KEY (service_id, version)
);

-- Events written in the same transaction as the change they announce; the
-- relay publishes them to JetStream in id order and deletes them once acked.
CREATE TABLE status.outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    msg_id     text NOT NULL,
    ce_type    text NOT NULL,
    ce_source  text NOT NULL,
    ce_time    timestamptz NOT NULL,
    payload    bytea NOT NULL
);
