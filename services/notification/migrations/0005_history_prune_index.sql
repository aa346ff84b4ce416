-- The history's hourly prune (PruneHistory) deletes the delivered and dead
-- notifications last tried before a time. Without an index it read the
-- whole table, most of which is within the retention. It is bounded by
-- created_at, which is never before the last try and which no update of
-- a notification changes: an index on the last try itself (status,
-- tries_from, delivered_at) would make every update that records a
-- delivery add an entry to each index, losing the heap-only updates 0004
-- leaves room for, on the delivery path, for a statement run once an
-- hour.
CREATE INDEX notifications_created ON notification.notifications (created_at);
