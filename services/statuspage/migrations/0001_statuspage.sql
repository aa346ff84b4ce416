-- Pages and their components; the read model the pages are rendered from
-- (services as STATUS tells of them, the posts their status changes add,
-- incidents and maintenance windows as INCIDENTS tells of them, daily
-- figures from the SLA service); subscribers and the webhook deliveries
-- still to make.
CREATE TABLE statuspage.services (
    service_id         text PRIMARY KEY,
    org_id             text NOT NULL,
    name               text NOT NULL DEFAULT '',
    description        text NOT NULL DEFAULT '',
    status             text NOT NULL DEFAULT 'operational',
    status_description text NOT NULL DEFAULT '',
    -- When the status last changed.
    since              timestamptz,
    -- The version of the newest event applied: older ones only add posts.
    version            bigint NOT NULL DEFAULT -1,
    deleted            boolean NOT NULL DEFAULT false,
    -- Daily figures (domain.Day, oldest first) by time zone (those of the
    -- pages showing the service) and uptime by window, from the SLA
    -- service, and when they were fetched.
    days               jsonb NOT NULL DEFAULT '{}',
    uptime             jsonb NOT NULL DEFAULT '{}',
    figures_at         timestamptz
);

CREATE TABLE statuspage.pages (
    id            text PRIMARY KEY,
    org_id        text NOT NULL,
    name          text NOT NULL,
    slug          text NOT NULL UNIQUE,
    time_zone     text NOT NULL DEFAULT '',
    custom_domain text UNIQUE,
    created_at    timestamptz NOT NULL,
    -- When the page or anything it shows changed, and a counter of those
    -- changes that keys cached renderings.
    updated_at    timestamptz NOT NULL,
    revision      bigint NOT NULL DEFAULT 1
);
CREATE INDEX pages_org ON statuspage.pages (org_id, id);

CREATE TABLE statuspage.components (
    id                    text PRIMARY KEY,
    page_id               text NOT NULL REFERENCES statuspage.pages ON DELETE CASCADE,
    service_id            text NOT NULL,
    -- Empty: the service's name, as it is now.
    name                  text NOT NULL DEFAULT '',
    description           text NOT NULL DEFAULT '',
    group_name            text NOT NULL DEFAULT '',
    position              integer NOT NULL DEFAULT 0,
    only_show_if_degraded boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL,
    UNIQUE (page_id, service_id)
);
CREATE INDEX components_service ON statuspage.components (service_id);

-- One post per status change of a service, keyed by its version.
CREATE TABLE statuspage.posts (
    service_id   text NOT NULL,
    version      bigint NOT NULL,
    at           timestamptz NOT NULL,
    service_name text NOT NULL,
    previous     text NOT NULL,
    status       text NOT NULL,
    description  text NOT NULL DEFAULT '',
    PRIMARY KEY (service_id, version)
);
CREATE INDEX posts_at ON statuspage.posts (service_id, at DESC);

CREATE TABLE statuspage.incidents (
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    title       text NOT NULL,
    status      text NOT NULL,
    severity    text NOT NULL,
    service_ids text[] NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    resolved_at timestamptz,
    updates     jsonb NOT NULL,
    version     bigint NOT NULL
);
CREATE INDEX incidents_services ON statuspage.incidents USING gin (service_ids);

CREATE TABLE statuspage.windows (
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    title       text NOT NULL,
    message     text NOT NULL,
    service_ids text[] NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    status      text NOT NULL,
    started_at  timestamptz,
    ended_at    timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL
);
CREATE INDEX windows_services ON statuspage.windows USING gin (service_ids);

CREATE TABLE statuspage.subscribers (
    id                text PRIMARY KEY,
    page_id           text NOT NULL REFERENCES statuspage.pages ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('email', 'webhook')),
    email             text NOT NULL DEFAULT '',
    url               text NOT NULL DEFAULT '',
    -- The Standard Webhooks secret (whsec_…) deliveries are signed with.
    secret            text NOT NULL DEFAULT '',
    component_ids     text[] NOT NULL DEFAULT '{}',
    confirm_token     text UNIQUE,
    confirmed_at      timestamptz,
    unsubscribe_token text NOT NULL UNIQUE,
    created_at        timestamptz NOT NULL
);
CREATE INDEX subscribers_page ON statuspage.subscribers (page_id, id);

-- What each subscriber is to be told, once per event: the key names the
-- event (a service's version, an incident's or window's version), so a
-- redelivered event adds nothing. The body is made at the first attempt
-- and kept, so retries send the same signed message.
CREATE TABLE statuspage.deliveries (
    id            bigserial PRIMARY KEY,
    subscriber_id text NOT NULL REFERENCES statuspage.subscribers ON DELETE CASCADE,
    event_key     text NOT NULL,
    -- component (ref: service id, version), incident or maintenance (ref: id).
    kind          text NOT NULL,
    ref           text NOT NULL,
    ref_version   bigint NOT NULL,
    body          bytea,
    attempts      integer NOT NULL DEFAULT 0,
    next_at       timestamptz NOT NULL,
    delivered_at  timestamptz,
    failed_at     timestamptz,
    last_error    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    UNIQUE (subscriber_id, event_key)
);
CREATE INDEX deliveries_due ON statuspage.deliveries (next_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
