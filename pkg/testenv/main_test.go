package testenv_test

import (
	"testing"

	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
