-- A notification's row is updated once or more after it is inserted (its
-- outcome, a retry's lease), on columns no index covers. Room left in each
-- page lets those updates stay on the page (heap-only tuples) rather than
-- add an entry to each of the table's five indexes.
ALTER TABLE notification.notifications SET (fillfactor = 70);
