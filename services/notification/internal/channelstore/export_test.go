package channelstore

// PruneHistorySQL is the history prune's statement, for its plan to be
// checked.
const PruneHistorySQL = pruneHistorySQL
