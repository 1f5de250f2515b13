package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docuflow/docuflow-operator/internal/realack"
)

// runOperator starts `docuflow manager` against the cluster of kubeconfig,
// with plain-HTTP metrics on loopback so the suite can count its requests.
func runOperator(ctx context.Context, bin, logDir, kubeconfig string) (*operator, error) {
	mport, err := realack.FreePort()
	if err != nil {
		return nil, err
	}
	hport, err := realack.FreePort()
	if err != nil {
		return nil, err
	}
	o := &operator{metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", mport), bin: bin, kubeconfig: kubeconfig}
	o.Process, err = realack.Start("docuflow operator", bin, []string{
		"manager",
		"--leader-elect=false",
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", mport),
		"--metrics-secure=false",
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", hport),
	}, []string{"KUBECONFIG=" + kubeconfig}, nil, filepath.Join(logDir, "operator.log"))
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := o.WaitFor(wctx, "its readiness endpoint", func() error {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", hport))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz answered %s", resp.Status)
		}
		return nil
	}); err != nil {
		o.Stop(time.Second)
		return nil, err
	}
	return o, nil
}

// writes returns how many writing requests (POST, PUT, PATCH, DELETE) the
// operator has sent to the API server, from client-go's
// rest_client_requests_total on its metrics endpoint.
func (o *operator) writes() (int, error) {
	return sumMetric(o.metrics, "rest_client_requests_total", func(labels string) bool {
		for _, m := range []string{`method="POST"`, `method="PUT"`, `method="PATCH"`, `method="DELETE"`} {
			if strings.Contains(labels, m) {
				return true
			}
		}
		return false
	})
}

// sumMetric adds up the samples of a metric whose labels match.
func sumMetric(url, name string, match func(labels string) bool) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		end := strings.LastIndex(line, "}")
		if end < 0 || !match(line[len(name):end+1]) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			return 0, fmt.Errorf("parsing %q: %w", line, err)
		}
		total += v
	}
	return int(total), nil
}
