-- Scheduled maintenance windows and, per service, what to give back at
-- the end.
CREATE TABLE incidents.maintenances (
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    title       text NOT NULL,
    message     text NOT NULL DEFAULT '',
    service_ids text[] NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    status      text NOT NULL CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled')),
    started_at  timestamptz,
    ended_at    timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL,
    CHECK (ends_at > starts_at)
);

CREATE INDEX maintenances_org ON incidents.maintenances (org_id, id DESC);
CREATE INDEX maintenances_services ON incidents.maintenances USING gin (service_ids);
CREATE INDEX maintenances_to_start ON incidents.maintenances (starts_at) WHERE status = 'scheduled';
CREATE INDEX maintenances_to_end ON incidents.maintenances (ends_at) WHERE status = 'in_progress';

-- One row per service a window holds in maintenance: the status and
-- description it had before, and the service's version once in
-- maintenance. The end gives the status back only if the service is still
-- at that version, i.e. nothing else changed it meanwhile. A pending row
-- is written before the service is put in maintenance (version is then
-- the one it had before), so a crash in between loses nothing.
CREATE TABLE incidents.maintenance_services (
    maintenance_id       text NOT NULL REFERENCES incidents.maintenances (id) ON DELETE CASCADE,
    service_id           text NOT NULL,
    previous_status      text NOT NULL,
    previous_description text NOT NULL,
    version              bigint NOT NULL,
    pending              boolean NOT NULL DEFAULT false,
    ended                boolean NOT NULL DEFAULT false,
    PRIMARY KEY (maintenance_id, service_id)
);

-- Windows sharing a service's stay in maintenance are found by service.
CREATE INDEX maintenance_services_open ON incidents.maintenance_services (service_id, version) WHERE NOT ended;
