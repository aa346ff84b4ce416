-- People and on-call: users with their contact methods, teams, schedules
-- (layers as a document the on-call arithmetic reads whole) with their
-- overrides, escalation policies and the routes of incident events to
-- channels. Channel ids ("chn_…") are stored as given: channels are
-- checked as ids only, so they carry no foreign key here.
CREATE TABLE notification.users (
    id              text PRIMARY KEY,
    org_id          text NOT NULL,
    name            text NOT NULL,
    email           text NOT NULL,
    time_zone       text NOT NULL,
    slack_member_id text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    channel_ids     text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX users_org ON notification.users (org_id, id);
CREATE UNIQUE INDEX users_email ON notification.users (org_id, lower(email));

CREATE TABLE notification.teams (
    id         text PRIMARY KEY,
    org_id     text NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX teams_org ON notification.teams (org_id, id);
CREATE UNIQUE INDEX teams_name ON notification.teams (org_id, lower(name));

-- A deleted user leaves their teams.
CREATE TABLE notification.team_members (
    team_id  text NOT NULL REFERENCES notification.teams (id) ON DELETE CASCADE,
    position int NOT NULL,
    user_id  text NOT NULL REFERENCES notification.users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, position),
    UNIQUE (team_id, user_id)
);
CREATE INDEX team_members_user ON notification.team_members (user_id);

-- layers is a JSON array of {"name","members":[…],"start":"YYYY-MM-DDTHH:MM:SS",
-- "handoff":{"every","unit"},"restrictions":[{"days","start","end"}]};
-- which users it names is found by containment (GIN index).
CREATE TABLE notification.schedules (
    id         text PRIMARY KEY,
    org_id     text NOT NULL,
    name       text NOT NULL,
    time_zone  text NOT NULL,
    layers     jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX schedules_org ON notification.schedules (org_id, id);
CREATE UNIQUE INDEX schedules_name ON notification.schedules (org_id, lower(name));
CREATE INDEX schedules_layers ON notification.schedules USING gin (layers jsonb_path_ops);

-- A user with an override cannot be deleted (RESTRICT): the store answers
-- which schedule holds them first.
CREATE TABLE notification.overrides (
    id          text PRIMARY KEY,
    schedule_id text NOT NULL REFERENCES notification.schedules (id) ON DELETE CASCADE,
    user_id     text NOT NULL REFERENCES notification.users (id) ON DELETE RESTRICT,
    starts      timestamptz NOT NULL,
    ends        timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    CHECK (ends > starts)
);
CREATE INDEX overrides_schedule ON notification.overrides (schedule_id, ends);
CREATE INDEX overrides_user ON notification.overrides (user_id);

-- steps is a JSON array of {"after_ms","targets":[{"schedule_id"}|{"user_id"}|{"channel_id"}]}.
CREATE TABLE notification.policies (
    id         text PRIMARY KEY,
    org_id     text NOT NULL,
    name       text NOT NULL,
    steps      jsonb NOT NULL,
    repeat     int NOT NULL DEFAULT 0,
    version    bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX policies_org ON notification.policies (org_id, id);
CREATE UNIQUE INDEX policies_name ON notification.policies (org_id, lower(name));
CREATE INDEX policies_steps ON notification.policies USING gin (steps jsonb_path_ops);

-- selector is {"service_ids":[…]} | {"tags":{…}} | {"all":true}, as an
-- alert rule's.
CREATE TABLE notification.routes (
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    name        text NOT NULL,
    events      text[] NOT NULL,
    selector    jsonb NOT NULL,
    channel_ids text[] NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX routes_org ON notification.routes (org_id, id);
