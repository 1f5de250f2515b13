package metrics

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestARequestIsCountedByRouteAndCodeAndTimed(t *testing.T) {
	m := New("1.0.0", "abc123", nil)
	done := m.Start()
	if got := testutil.ToFloat64(m.inFlight); got != 1 {
		t.Errorf("in flight during the request = %v, want 1", got)
	}
	done("GET /api/v1/documents/{id}", "GET", 404)
	if got := testutil.ToFloat64(m.requests.WithLabelValues("GET /api/v1/documents/{id}", "GET", "404")); got != 1 {
		t.Errorf("request counter = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.inFlight); got != 0 {
		t.Errorf("in flight after the request = %v, want 0", got)
	}
	if n := testutil.CollectAndCount(m.duration, "docuflow_http_request_duration_seconds"); n != 1 {
		t.Errorf("latency histogram series = %d, want 1", n)
	}
}

func TestBuildInformationIsExported(t *testing.T) {
	m := New("1.0.0", "abc123", nil)
	want := `
# HELP docuflow_build_info Always 1; the labels carry the version and build of the running binary.
# TYPE docuflow_build_info gauge
docuflow_build_info{build="abc123",version="1.0.0"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "docuflow_build_info"); err != nil {
		t.Error(err)
	}
}

func TestMadeUpMethodsShareOneLabelValue(t *testing.T) {
	m := New("1.0.0", "abc123", nil)
	for i := range 500 {
		m.Start()("unmatched", fmt.Sprintf("X-MADE-UP-%d", i), 405)
	}
	for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", "CONNECT", "TRACE"} {
		m.Start()("unmatched", method, 405)
	}
	if n := testutil.CollectAndCount(m.requests, "docuflow_http_requests_total"); n != 8 {
		t.Errorf("requests_total has %d series, want 8: the seven standard methods and other", n)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("unmatched", "other", "405")); got != 503 {
		t.Errorf("other = %v, want 503 (500 made up, get, CONNECT, TRACE)", got)
	}
	if n := testutil.CollectAndCount(m.duration, "docuflow_http_request_duration_seconds"); n != 8 {
		t.Errorf("the latency histogram has %d series, want 8", n)
	}
}
