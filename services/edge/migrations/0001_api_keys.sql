-- Organisations (tenants) and their API keys. Keys are stored as SHA-256
-- hashes only; the secret is shown once at creation.
CREATE TABLE edge.orgs (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    -- The organisation UPSTATE_BOOTSTRAP_API_KEY creates; at most one.
    bootstrap  boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX orgs_bootstrap_key ON edge.orgs (bootstrap) WHERE bootstrap;

CREATE TABLE edge.api_keys (
    id           text PRIMARY KEY,
    org_id       text NOT NULL REFERENCES edge.orgs (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_org_active_idx ON edge.api_keys (org_id, id) WHERE revoked_at IS NULL;
