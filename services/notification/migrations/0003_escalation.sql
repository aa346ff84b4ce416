-- The escalation engine: one row per alert it follows, and the outbox its
-- notifications leave through.

-- An escalation follows the newest version of its alert (alert_version):
-- an older event changes nothing, so redeliveries and reordering are
-- harmless. policy_id is empty while only an acknowledgement or a
-- resolution has been seen (the group notification carrying the policy
-- may come after it). done counts the steps notified (escalation.State);
-- next_at is when the scheduler looks again, NULL when nothing is left to
-- do. notified are the recipients (channel ids, or user ids reached by
-- email) owed a resolution. The columns after them are what the messages
-- say.
CREATE TABLE notification.escalations (
    alert_id      text PRIMARY KEY,
    org_id        text NOT NULL,
    policy_id     text NOT NULL DEFAULT '',
    alert_version bigint NOT NULL,
    fired_at      timestamptz,
    done          integer NOT NULL DEFAULT 0,
    acknowledged  boolean NOT NULL DEFAULT false,
    resolved      boolean NOT NULL DEFAULT false,
    next_at       timestamptz,
    notified      text[] NOT NULL DEFAULT '{}',
    rule_name     text NOT NULL DEFAULT '',
    service_id    text NOT NULL DEFAULT '',
    service_name  text NOT NULL DEFAULT '',
    severity      text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX escalations_due ON notification.escalations (next_at) WHERE next_at IS NOT NULL;

-- The transactional outbox (pkg/outbox): notifications are written with
-- the escalation's change, with the trace context of the change, and
-- relayed to NOTIFY after the commit.
CREATE TABLE notification.outbox (
    id           bigserial PRIMARY KEY,
    subject      text NOT NULL,
    msg_id       text NOT NULL,
    ce_type      text NOT NULL,
    ce_source    text NOT NULL,
    ce_time      timestamptz NOT NULL,
    payload      bytea NOT NULL,
    trace_parent text NOT NULL DEFAULT '',
    trace_state  text NOT NULL DEFAULT ''
);
