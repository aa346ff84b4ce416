// Package testenv gives tests the real infrastructure upstate runs on: a
// Postgres server and an embedded NATS JetStream server, with nothing to set
// up by hand.
//
// # Postgres
//
// A test binary shares one Postgres server, and each test gets its own fresh
// database:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
//	func TestStore(t *testing.T) {
//		dsn := testenv.NewDatabase(t) // empty; dropped when the test ends
//		pool := testenv.NewPool(t, dsn)
//		…
//	}
//
// The server starts on the first NewDatabase, so a test binary that never asks
// for a database pays nothing, and Main stops it after the tests. It runs from
// the PostgreSQL binaries installed on the machine (see pgserver.FindBinDir);
// when they are missing, NewDatabase fails the test saying what to install.
// The first run on a machine initialises a template cluster under the
// system's temporary directory; later test binaries start from a copy of it
// in a fraction of the time. The server trusts local connections and does
// not fsync: it is for throwaway data only. When UPSTATE_TEST_DATABASE_URL
// is set (a superuser URL), the tests' databases are created on that server
// instead, through the database it names; DATABASE_URL is never used, so
// tests cannot create and drop databases on a server exported for
// something else.
//
// # NATS
//
// StartNATS gives a test its own embedded JetStream server on a free port,
// storing in the test's temporary directory; it starts in milliseconds and
// shuts down when the test ends.
//
// Watch reads what a stream stores from now on, as a consumer would; tests
// check published events with it rather than a core subscription, which
// also sees copies the stream drops.
//
// Eventually awaits an asynchronous effect by polling, instead of sleeping.
package testenv
