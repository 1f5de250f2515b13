package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/docuflow/docuflow-operator/app/internal/config"
	"github.com/docuflow/docuflow-operator/app/internal/oidctest"
)

// benchApp runs the API on loopback over a database seeded with n documents,
// with logging off, and returns its URL and the documents' ids.
// benchToken is the bearer token loadTest sends; benchApp sets it.
var benchToken string

func benchApp(b *testing.B, n int) (string, []string) {
	b.Helper()
	db := pg.NewDatabase(b)
	iss := oidctest.NewIssuer(b)
	benchToken = iss.Token(b, iss.Claims("bench", testAudience))
	cfg := startConfig(db)
	cfg.Auth = config.Auth{Issuer: iss.URL, Audience: testAudience}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan *Server, 1)
	go func() {
		done <- Run(ctx, RunConfig{Config: cfg, Logger: slog.New(slog.DiscardHandler), Listener: ln, AuthHTTPClient: iss.Client, Ready: func(s *Server) { ready <- s }})
	}()
	<-ready
	b.Cleanup(func() { cancel(); <-done })
	url := "http://" + ln.Addr().String()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("not ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	conn, err := pgx.Connect(ctx, db.ConnString())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `INSERT INTO documents (owner, title, content_type, size_bytes, sha256, tags)
		SELECT 'bench', 'document ' || i, 'application/pdf', i * 1024, md5(i::text) || md5((-i)::text),
		       ARRAY['tag' || (i % 10)]
		FROM generate_series(1, $1) i RETURNING id::text`, n)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE documents"); err != nil {
		b.Fatal(err)
	}
	return url, ids
}

// loadTest sends b.N requests from 16 concurrent clients and reports
// throughput and latency percentiles alongside the usual ns/op.
func loadTest(b *testing.B, path func(i int) string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
		next      atomic.Int64
	)
	b.SetParallelism(8) // 8 × GOMAXPROCS (2 here) = 16 clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			i := int(next.Add(1))
			t0 := time.Now()
			req, _ := http.NewRequest(http.MethodGet, path(i), nil)
			req.Header.Set("Authorization", "Bearer "+benchToken)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[int(float64(len(latencies)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func BenchmarkGetDocumentByID(b *testing.B) {
	url, ids := benchApp(b, 10000)
	loadTest(b, func(i int) string { return url + "/api/v1/documents/" + ids[i%len(ids)] })
}

func BenchmarkListDocumentsFirstPage(b *testing.B) {
	url, _ := benchApp(b, 10000)
	loadTest(b, func(int) string { return url + "/api/v1/documents?limit=20" })
}

func BenchmarkListDocumentsByTag(b *testing.B) {
	url, _ := benchApp(b, 10000)
	loadTest(b, func(i int) string { return url + "/api/v1/documents?limit=20&tag=tag" + string(rune('0'+i%10)) })
}
