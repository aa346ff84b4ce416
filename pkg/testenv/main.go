package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Main runs the package's tests and then stops the Postgres server if a test
// started one. Call it from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	mainUsed.Store(true)
	code := m.Run()
	if err := pg.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stop postgres: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
