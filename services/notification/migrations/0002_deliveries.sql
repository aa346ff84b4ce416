-- Channels, the notifications of the delivery queue (one row per
-- idempotency key, the record that a key was delivered) and every attempt
-- at delivering them.

-- config holds credentials (webhook URLs, signing secrets, routing keys):
-- the API masks them and nothing logs them.
CREATE TABLE notification.channels (
    id         text PRIMARY KEY,
    org_id     text NOT NULL,
    name       text NOT NULL,
    type       text NOT NULL CHECK (type IN ('webhook', 'slack', 'discord', 'msteams', 'email', 'pagerduty', 'upstate')),
    config     jsonb NOT NULL,
    template   text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX channels_org ON notification.channels (org_id, id);
CREATE UNIQUE INDEX channels_name ON notification.channels (org_id, lower(name));

-- A notification is claimed for lease_until by the worker delivering it,
-- so that two deliveries of one key never run at once (a redelivery after
-- a lost acknowledgement, another replica); a worker that dies leaves the
-- lease to expire. Retries stop 24 hours after tries_from: its creation,
-- or the retry by hand of a dead one. message is the Notification as enqueued (protobuf),
-- which a retry of a dead one enqueues again. channel_id is not a foreign
-- key: a deleted channel's history stays.
CREATE TABLE notification.notifications (
    id              text PRIMARY KEY,
    org_id          text NOT NULL,
    idempotency_key text NOT NULL,
    channel_id      text NOT NULL DEFAULT '',
    alert_id        text NOT NULL DEFAULT '',
    incident_id     text NOT NULL DEFAULT '',
    kind            text NOT NULL,
    title           text NOT NULL,
    destination     text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    message         bytea NOT NULL,
    created_at      timestamptz NOT NULL,
    tries_from      timestamptz NOT NULL,
    delivered_at    timestamptz,
    lease_until     timestamptz,
    UNIQUE (org_id, idempotency_key)
);
CREATE INDEX notifications_org ON notification.notifications (org_id, id);
CREATE INDEX notifications_alert ON notification.notifications (org_id, alert_id, id) WHERE alert_id <> '';
CREATE INDEX notifications_channel ON notification.notifications (org_id, channel_id, id) WHERE channel_id <> '';

-- status_code is the HTTP status or SMTP reply code (0: none); error never
-- holds a secret.
CREATE TABLE notification.attempts (
    notification_id text NOT NULL REFERENCES notification.notifications (id) ON DELETE CASCADE,
    n               integer NOT NULL,
    at              timestamptz NOT NULL,
    status_code     integer NOT NULL DEFAULT 0,
    latency_ms      bigint NOT NULL,
    error           text NOT NULL DEFAULT '',
    PRIMARY KEY (notification_id, n)
);
