package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "docuflow"

// Metrics holds the API's collectors and the registry they live in.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// New creates the collectors and registers them, with the Go runtime and
// process collectors, build information and stat's pool statistics.
func New(version, build string, stat func() *pgxpool.Stat) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Always 1; the labels carry the version and build of the running binary.",
		ConstLabels: prometheus.Labels{"version": version, "build": build},
	})
	buildInfo.Set(1)
	m.registry.MustRegister(
		m.requests, m.duration, m.inFlight, buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if stat != nil {
		m.registry.MustRegister(&poolCollector{stat: stat})
	}
	return m
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Method maps an HTTP method to a bounded set of label values: the standard
// methods the API could serve, and "other" for anything else, so made-up
// methods cannot create series without end.
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// Start counts a request as in flight and returns the function that records
// its outcome.
func (m *Metrics) Start() func(route, method string, code int) {
	begin := time.Now()
	m.inFlight.Inc()
	return func(route, method string, code int) {
		m.inFlight.Dec()
		method = Method(method)
		m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(begin).Seconds())
	}
}

// poolCollector reads pgxpool statistics at scrape time.
type poolCollector struct {
	stat func() *pgxpool.Stat
}

var (
	poolMax         = poolDesc("max_conns", "Maximum size of the connection pool.")
	poolTotal       = poolDesc("total_conns", "Connections currently in the pool, in any state.")
	poolIdle        = poolDesc("idle_conns", "Idle connections in the pool.")
	poolAcquired    = poolDesc("acquired_conns", "Connections currently lent out by the pool.")
	poolConstruct   = poolDesc("constructing_conns", "Connections being opened.")
	poolAcquires    = poolDesc("acquires_total", "Successful connection acquisitions.")
	poolEmpty       = poolDesc("empty_acquires_total", "Acquisitions that had to wait or open a connection because none was idle.")
	poolCanceled    = poolDesc("canceled_acquires_total", "Acquisitions abandoned because their context ended.")
	poolNew         = poolDesc("new_conns_total", "Connections opened.")
	poolAcquireTime = poolDesc("acquire_duration_seconds_total", "Total time spent acquiring connections.")
)

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "db_pool", name), help, nil, nil)
}

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolMax, poolTotal, poolIdle, poolAcquired, poolConstruct, poolAcquires, poolEmpty, poolCanceled, poolNew, poolAcquireTime} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stat()
	if s == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(poolMax, float64(s.MaxConns()))
	gauge(poolTotal, float64(s.TotalConns()))
	gauge(poolIdle, float64(s.IdleConns()))
	gauge(poolAcquired, float64(s.AcquiredConns()))
	gauge(poolConstruct, float64(s.ConstructingConns()))
	counter(poolAcquires, float64(s.AcquireCount()))
	counter(poolEmpty, float64(s.EmptyAcquireCount()))
	counter(poolCanceled, float64(s.CanceledAcquireCount()))
	counter(poolNew, float64(s.NewConnsCount()))
	counter(poolAcquireTime, s.AcquireDuration().Seconds())
}
