-- Services as the SLA service knows them from STATUS, the intervals each
-- spent in a status (one per transition, keyed by the service's event
-- version), their hourly summaries, SLOs, the progress of the backfill
-- from the status service's history and the outbox of SLO events.
CREATE TABLE sla.services (
    service_id   text PRIMARY KEY,
    org_id       text NOT NULL,
    -- The name carried by the newest event that had one, and its version.
    name         text NOT NULL DEFAULT '',
    name_version bigint NOT NULL DEFAULT -1,
    deleted      boolean NOT NULL DEFAULT false
);
CREATE INDEX services_org ON sla.services (org_id, service_id) WHERE NOT deleted;

-- One row per transition: the service entered status at "at" (as
-- reported); the interval runs from "start" (at, or the previous
-- interval's start if that is later) to "ends", the next interval's
-- start, NULL for the open (newest) interval. Starts never decrease with
-- the version, so the intervals of a service are contiguous.
CREATE TABLE sla.intervals (
    service_id text NOT NULL,
    version    bigint NOT NULL,
    status     text NOT NULL CHECK (status IN ('operational', 'degraded', 'down', 'maintenance', 'gone')),
    at         timestamptz NOT NULL,
    start      timestamptz NOT NULL,
    ends       timestamptz,
    PRIMARY KEY (service_id, version),
    CHECK (ends IS NULL OR ends >= start)
);
CREATE INDEX intervals_start ON sla.intervals (service_id, start);
CREATE INDEX intervals_open ON sla.intervals (service_id) WHERE ends IS NULL;

-- What the closed intervals add up to per UTC hour, in microseconds, and
-- the outages starting in the hour: queries sum whole hours here and
-- never read a service's raw history.
CREATE TABLE sla.buckets (
    service_id     text NOT NULL,
    hour           timestamptz NOT NULL,
    operational_us bigint NOT NULL DEFAULT 0,
    degraded_us    bigint NOT NULL DEFAULT 0,
    down_us        bigint NOT NULL DEFAULT 0,
    maintenance_us bigint NOT NULL DEFAULT 0,
    outages        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, hour)
);

CREATE TABLE sla.slos (
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    service_id  text NOT NULL,
    name        text NOT NULL,
    target      double precision NOT NULL CHECK (target > 0 AND target < 1),
    slo_window  text NOT NULL CHECK (slo_window IN ('7d', '28d', '30d', '90d')),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL,
    -- The episodes in progress as of the last evaluation.
    burning     boolean NOT NULL DEFAULT false,
    exhausted   boolean NOT NULL DEFAULT false,
    -- When the SLO is to be evaluated next (the durable burn timer); NULL
    -- until a status event of its service.
    evaluate_at timestamptz
);
CREATE INDEX slos_org ON sla.slos (org_id, id);
CREATE INDEX slos_service ON sla.slos (service_id);
CREATE INDEX slos_due ON sla.slos (evaluate_at) WHERE evaluate_at IS NOT NULL;

-- The backfill from the status service's history: the page of services
-- to fill next, and when it finished. No row: it has not started.
CREATE TABLE sla.backfill (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    page_token    text NOT NULL DEFAULT '',
    done_at       timestamptz
);

CREATE TABLE sla.outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    msg_id     text NOT NULL,
    ce_type    text NOT NULL,
    ce_source  text NOT NULL,
    ce_time    timestamptz NOT NULL,
    payload    bytea NOT NULL
);
