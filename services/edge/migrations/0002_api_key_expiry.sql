-- API keys may expire: from expires_at on (by the edge's clock) a key is
-- refused like a revoked one. NULL: the key never expires.
ALTER TABLE edge.api_keys ADD COLUMN expires_at timestamptz;
