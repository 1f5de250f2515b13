package realack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// LocalAWS is moto's server with the test shims of
// test/e2e/localaws/localaws.py: the AWS the real controllers talk to.
type LocalAWS struct {
	// URL is the endpoint every AWS client uses, http://127.0.0.1:<port>.
	URL string
	// Process is the server.
	*Process
}

// Request is one AWS call the local AWS answered.
type Request struct {
	// Seq numbers the requests from 1.
	Seq int `json:"seq"`
	// Time is when it was answered, in Unix seconds.
	Time float64 `json:"time"`
	// Service is the signing name of the service, e.g. ec2 or monitoring.
	Service string `json:"service"`
	// Action is the API action, e.g. CreateVpc.
	Action string `json:"action"`
	// Status is the HTTP status of the answer.
	Status int `json:"status"`
	// Params are the top-level scalar parameters of a mutating request.
	Params map[string]any `json:"params,omitempty"`
}

// readPrefixes are the prefixes of AWS actions that change nothing.
var readPrefixes = []string{"Describe", "List", "Get", "GET ", "HEAD "}

// Mutating reports whether the request asked AWS to change something.
func (r Request) Mutating() bool {
	for _, p := range readPrefixes {
		if strings.HasPrefix(r.Action, p) {
			return false
		}
	}
	return true
}

// MotoVersion is the moto release the local AWS's shims are written against:
// they patch moto's models, so another release is refused rather than
// trusted.
const MotoVersion = "5.2.1"

// PythonMissingHint is what to install when moto is missing.
const PythonMissingHint = "pip install 'moto[server]==" + MotoVersion + "'"

// CheckMoto fails, saying what to install, when python3 or moto is missing.
func CheckMoto() error {
	py, err := exec.LookPath("python3")
	if err != nil {
		return fmt.Errorf("%w: python3 is not on PATH; the local AWS is moto's server: install Python 3 and %s", errMissing, PythonMissingHint)
	}
	out, err := exec.Command(py, "-c", "import moto, moto.server, werkzeug, botocore; print(moto.__version__)").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: moto's server is not installed for %s (%s): %s", errMissing, py, strings.TrimSpace(string(out)), PythonMissingHint)
	}
	if v := strings.TrimSpace(string(out)); v != MotoVersion {
		return fmt.Errorf("%w: moto %s is installed for %s; the local AWS's shims are written for %s: %s", errMissing, v, py, MotoVersion, PythonMissingHint)
	}
	return nil
}

// StartLocalAWS starts the local AWS on a free loopback port and waits until
// it answers. root is the repository root; logs go under logDir.
func StartLocalAWS(ctx context.Context, root, logDir string) (*LocalAWS, error) {
	if err := CheckMoto(); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(root, "test", "e2e", "localaws", "localaws.py")
	p, err := Start("local AWS (moto)", "python3",
		[]string{script, "--port", fmt.Sprint(port), "--log", filepath.Join(logDir, "aws-requests.jsonl")},
		nil, []string{"AWS_CA_BUNDLE"}, filepath.Join(logDir, "localaws.log"))
	if err != nil {
		return nil, err
	}
	a := &LocalAWS{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Process: p}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := p.WaitFor(wctx, "its HTTP endpoint", func() error { _, err := a.Requests(0); return err }); err != nil {
		p.Stop(time.Second)
		return nil, err
	}
	return a, nil
}

// Requests returns the requests answered after the one numbered since.
func (a *LocalAWS) Requests(since int) ([]Request, error) {
	resp, err := http.Get(fmt.Sprintf("%s/_docuflow/requests?since=%d", a.URL, since))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("request log answered %s", resp.Status)
	}
	var out []Request
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("reading the request log: %w", err)
	}
	return out, nil
}

// LastSeq returns the number of the last request answered so far.
func (a *LocalAWS) LastSeq() (int, error) {
	reqs, err := a.Requests(0)
	if err != nil || len(reqs) == 0 {
		return 0, err
	}
	return reqs[len(reqs)-1].Seq, nil
}

// Account is what an account holds before a stack is applied: the stack names
// them.
type Account struct {
	// CertificateARN is an ACM certificate imported for the stack.
	CertificateARN string `json:"certificateARN"`
	// TopicARN is the SNS topic the alarms notify.
	TopicARN string `json:"topicARN"`
	// Bucket is the S3 bucket of the load balancer's access logs.
	Bucket string `json:"bucket"`
}

// PrepareAccount creates, in the local AWS, the certificate, topic and bucket
// a stack named name refers to.
func (a *LocalAWS) PrepareAccount(name string) (Account, error) {
	var acct Account
	resp, err := http.Post(a.URL+"/_docuflow/prepare?name="+url.QueryEscape(name), "application/json", nil)
	if err != nil {
		return acct, fmt.Errorf("preparing the local AWS account: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return acct, fmt.Errorf("preparing the local AWS account: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&acct); err != nil {
		return acct, fmt.Errorf("reading the prepared account: %w", err)
	}
	return acct, nil
}

// The crash-window controls (shim 12 of localaws.py). AWS has nothing like
// them: they let a test decide where a killed controller stands relative to
// its AWS calls.

// HoldAnswer makes the local AWS carry out the next request for action and
// hold its answer back until ResumeWrites: a controller killed meanwhile has
// created something whose ID it never learns.
func (a *LocalAWS) HoldAnswer(action string) error {
	return a.control("/_docuflow/hold?action="+url.QueryEscape(action), nil)
}

// Held returns the requests whose answers are held back.
func (a *LocalAWS) Held() ([]Request, error) {
	var out []Request
	return out, a.control("/_docuflow/held", &out)
}

// PauseWrites makes the calls that start a new resource (CreateSubnet,
// CreateLoadBalancer, ...) wait before the local AWS sees them, lets the
// calls a create makes after its first go on, and returns once no mutating
// request has been carried out for two seconds (held answers aside).
func (a *LocalAWS) PauseWrites() error {
	return a.control("/_docuflow/pause", nil)
}

// ResumeWrites refuses the requests that waited (503, never carried out: the
// test killed their callers), lets held answers go and drops an unused hold.
func (a *LocalAWS) ResumeWrites() error {
	return a.control("/_docuflow/resume", nil)
}

func (a *LocalAWS) control(path string, into any) error {
	c := http.Client{Timeout: 90 * time.Second}
	resp, err := c.Post(a.URL+path, "application/json", nil)
	if err != nil {
		return fmt.Errorf("local AWS %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var msg struct {
			Error string `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&msg)
		return fmt.Errorf("local AWS %s answered %s: %s", path, resp.Status, msg.Error)
	}
	if into == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("reading the answer of local AWS %s: %w", path, err)
	}
	return nil
}
