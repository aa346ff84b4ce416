-- Webhook receivers and their delivery logs.
CREATE TABLE status.receivers (
    id                     text PRIMARY KEY,
    org_id                 text NOT NULL,
    name                   text NOT NULL,
    enabled                boolean NOT NULL,
    -- The fixed target service; NULL when the service is named in the
    -- payload (service_name_field), or after the service was deleted.
    service_id             text REFERENCES status.services (id) ON DELETE SET NULL,
    service_name_field     text NOT NULL DEFAULT '',
    status_field           text NOT NULL,
    message_field          text NOT NULL,
    status_mapping         jsonb NOT NULL DEFAULT '{}',
    -- The signature secret is stored readable, not hashed: the gateway
    -- needs it as the HMAC key to verify each delivery. It is returned
    -- only by ResolveReceiver. All three are NULL when no signature is
    -- required.
    signature_secret       text,
    signature_header       text,
    signature_scheme       text,
    auto_incident_enabled  boolean NOT NULL DEFAULT false,
    auto_incident_severity text NOT NULL DEFAULT 'major'
        CHECK (auto_incident_severity IN ('minor', 'major', 'critical')),
    -- The token is stored only as its SHA-256; token_prefix (its first
    -- characters) lets people recognise it.
    token_hash             bytea NOT NULL UNIQUE,
    token_prefix           text NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    CHECK (service_id IS NULL OR service_name_field = ''),
    CHECK ((signature_secret IS NULL) = (signature_scheme IS NULL)
       AND (signature_secret IS NULL) = (signature_header IS NULL))
);

-- Keyset pagination of an organisation's receivers.
CREATE INDEX receivers_org_id_idx ON status.receivers (org_id, id);
-- ON DELETE SET NULL looks receivers up by service.
CREATE INDEX receivers_service_id_idx ON status.receivers (service_id) WHERE service_id IS NOT NULL;

-- The last deliveries of each receiver (the store keeps 50), newest first.
-- service_id is what the delivery reported on at the time; it is not a
-- foreign key, so the log outlives a deleted service.
CREATE TABLE status.deliveries (
    id                text PRIMARY KEY,
    receiver_id       text NOT NULL REFERENCES status.receivers (id) ON DELETE CASCADE,
    org_id            text NOT NULL,
    received_at       timestamptz NOT NULL,
    source_ip         text NOT NULL DEFAULT '',
    payload           bytea NOT NULL DEFAULT '',
    payload_truncated boolean NOT NULL DEFAULT false,
    result            text NOT NULL CHECK (result IN ('processed', 'ignored', 'failed', 'auth_failed')),
    error             text NOT NULL DEFAULT '',
    raw_status        text NOT NULL DEFAULT '',
    -- Statuses are '' when they do not apply.
    mapped_status     text NOT NULL DEFAULT '',
    previous_status   text NOT NULL DEFAULT '',
    new_status        text NOT NULL DEFAULT '',
    service_id        text NOT NULL DEFAULT ''
);

CREATE INDEX deliveries_receiver_received_idx ON status.deliveries (receiver_id, received_at DESC, id DESC);
