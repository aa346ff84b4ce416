-- The newest delivery of each receiver applied to each service, in log
-- order (received_at, then id). It is kept apart from the delivery log,
-- which keeps only the receiver's last 50 deliveries of any kind: a
-- delivery received before it, or another copy of it, is not applied
-- however many deliveries came in between.
CREATE TABLE status.applied_deliveries (
    receiver_id text NOT NULL REFERENCES status.receivers (id) ON DELETE CASCADE,
    service_id  text NOT NULL REFERENCES status.services (id) ON DELETE CASCADE,
    delivery_id text NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (receiver_id, service_id)
);

-- Deleting a service deletes its rows.
CREATE INDEX applied_deliveries_service_id_idx ON status.applied_deliveries (service_id);

-- Until now the log was the only record; start from what it still holds.
INSERT INTO status.applied_deliveries (receiver_id, service_id, delivery_id, received_at)
SELECT DISTINCT ON (d.receiver_id, d.service_id) d.receiver_id, d.service_id, d.id, d.received_at
FROM status.deliveries d
WHERE d.result = 'processed'
  AND EXISTS (SELECT 1 FROM status.services s WHERE s.id = d.service_id)
ORDER BY d.receiver_id, d.service_id, d.received_at DESC, d.id DESC;
