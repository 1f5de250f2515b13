package store_test

import (
	"os"
	"testing"

	"github.com/docuflow/docuflow-operator/app/internal/pgtest"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg)) }
