-- The secret that seals the operator console's session cookies, shared by
-- every edge replica through the database: one row, created at first start.
CREATE TABLE edge.console_secret (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    secret bytea NOT NULL,
    created_at timestamptz NOT NULL
);
