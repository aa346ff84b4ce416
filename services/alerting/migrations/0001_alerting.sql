-- Alert rules, what the service knows of the services it watches, alerts
-- and their history, notification groups, silences, dependencies, and the
-- outbox of events not yet published.

CREATE TABLE alerting.rules (
    id         text PRIMARY KEY,
    org_id     text NOT NULL,
    -- The rule's settings (store.specDoc): selector, statuses, for,
    -- severity, labels, grouping and flapping.
    spec       jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL
);
CREATE INDEX rules_org ON alerting.rules (org_id, id DESC);

-- Each change of an organisation's rules takes a new generation, from a
-- sequence (never reused, even by a transaction rolled back), so that a
-- replica's cached index of the rules knows when it is stale.
CREATE SEQUENCE alerting.rule_generations;
CREATE TABLE alerting.org_rules (
    org_id     text PRIMARY KEY,
    generation bigint NOT NULL
);

-- The services as the STATUS stream's events tell them. version is the
-- newest event version applied to name and tags; a deleted service stays
-- as a tombstone so that late events do not bring it back.
CREATE TABLE alerting.services (
    id                text PRIMARY KEY,
    org_id            text NOT NULL,
    name              text NOT NULL DEFAULT '',
    tags              jsonb NOT NULL DEFAULT '{}',
    status            text NOT NULL DEFAULT '',
    status_version    bigint NOT NULL DEFAULT 0,
    version           bigint NOT NULL DEFAULT 0,
    deleted           boolean NOT NULL DEFAULT false,
    slo_burning_since timestamptz
);
CREATE INDEX services_org ON alerting.services (org_id, id);
CREATE INDEX services_tags ON alerting.services USING gin (tags);

-- A service's versions, one row each (domain.Change): what the
-- evaluation walks to find since when a rule's condition holds, and
-- counts flapping in. Rows older than a week are pruned.
CREATE TABLE alerting.timeline (
    service_id text NOT NULL,
    version    bigint NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('created', 'changed', 'observed', 'edited')),
    status     text NOT NULL DEFAULT '',
    previous   text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL,
    PRIMARY KEY (service_id, version)
);

-- SLOs burning their error budget, per service (from the SLA service's
-- events); a service's slo_burning_since is the earliest burning one's.
CREATE TABLE alerting.slo_burns (
    service_id text NOT NULL,
    slo_id     text NOT NULL,
    burning    boolean NOT NULL,
    since      timestamptz NOT NULL,
    version    bigint NOT NULL,
    PRIMARY KEY (service_id, slo_id)
);

CREATE TABLE alerting.dependencies (
    service_id text PRIMARY KEY,
    org_id     text NOT NULL,
    depends_on text[] NOT NULL
);
CREATE INDEX dependencies_org ON alerting.dependencies (org_id);

CREATE TABLE alerting.alerts (
    id              text PRIMARY KEY,
    org_id          text NOT NULL,
    rule_id         text NOT NULL,
    rule_name       text NOT NULL,
    service_id      text NOT NULL,
    service_name    text NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    severity        text NOT NULL,
    labels          jsonb NOT NULL,
    group_key       text NOT NULL,
    group_id        text NOT NULL DEFAULT '',
    active_since    timestamptz NOT NULL,
    fires_at        timestamptz NOT NULL,
    fired_at        timestamptz,
    resolved_at     timestamptz,
    acked_by        text NOT NULL DEFAULT '',
    acked_at        timestamptz,
    ack_note        text NOT NULL DEFAULT '',
    flapping        boolean NOT NULL DEFAULT false,
    -- When an evaluation may give another answer with no new event (the
    -- alert fires, its service stops flapping); the scheduler looks then.
    next_eval_at    timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint NOT NULL,
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL))
);
-- One open alert per rule and service, whatever the order or number of
-- times events arrive.
CREATE UNIQUE INDEX alerts_open ON alerting.alerts (rule_id, service_id) WHERE state <> 'resolved';
CREATE INDEX alerts_service_open ON alerting.alerts (service_id) WHERE state <> 'resolved';
CREATE INDEX alerts_rule_open ON alerting.alerts (rule_id) WHERE state <> 'resolved';
CREATE INDEX alerts_org_firing ON alerting.alerts (org_id) WHERE state = 'firing';
CREATE INDEX alerts_group_open ON alerting.alerts (group_key) WHERE state <> 'resolved';
CREATE INDEX alerts_due ON alerting.alerts (next_eval_at) WHERE next_eval_at IS NOT NULL;
CREATE INDEX alerts_org ON alerting.alerts (org_id, id DESC);

CREATE TABLE alerting.alert_history (
    id       bigserial PRIMARY KEY,
    alert_id text NOT NULL REFERENCES alerting.alerts (id) ON DELETE CASCADE,
    at       timestamptz NOT NULL,
    kind     text NOT NULL,
    actor    text NOT NULL,
    note     text NOT NULL DEFAULT ''
);
CREATE INDEX alert_history_alert ON alerting.alert_history (alert_id, id);

-- Notification groups (domain.Group) with what their notifications need
-- of their rule, kept so that a deleted rule's group still tells of its
-- alerts' resolution.
CREATE TABLE alerting.groups (
    key                  text PRIMARY KEY,
    id                   text NOT NULL UNIQUE,
    org_id               text NOT NULL,
    rule_id              text NOT NULL,
    rule_name            text NOT NULL,
    severity             text NOT NULL,
    escalation_policy_id text NOT NULL,
    labels               jsonb NOT NULL,
    group_wait_ms        bigint NOT NULL,
    group_interval_ms    bigint NOT NULL,
    repeat_interval_ms   bigint NOT NULL,
    created_at           timestamptz NOT NULL,
    next_flush_at        timestamptz,
    last_notified_at     timestamptz,
    notified             text[] NOT NULL DEFAULT '{}',
    seq                  bigint NOT NULL DEFAULT 0
);
CREATE INDEX groups_due ON alerting.groups (next_flush_at) WHERE next_flush_at IS NOT NULL;

CREATE TABLE alerting.silences (
    id                  text PRIMARY KEY,
    org_id              text NOT NULL,
    matchers            jsonb NOT NULL,
    starts_at           timestamptz NOT NULL,
    ends_at             timestamptz NOT NULL,
    comment             text NOT NULL DEFAULT '',
    created_by          text NOT NULL,
    -- Set for the silence a maintenance window gives its services.
    maintenance_id      text UNIQUE,
    maintenance_version bigint NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX silences_org ON alerting.silences (org_id, id DESC);
CREATE INDEX silences_org_active ON alerting.silences (org_id, ends_at);

CREATE TABLE alerting.outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    msg_id     text NOT NULL,
    ce_type    text NOT NULL,
    ce_source  text NOT NULL,
    ce_time    timestamptz NOT NULL,
    payload    bytea NOT NULL
);
