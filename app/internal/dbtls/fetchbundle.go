//go:build ignore

// Command fetchbundle downloads the Amazon RDS global CA bundle from AWS,
// checks it and writes it to rds-global-bundle.pem (go generate, from
// generate.go). README.md in this directory says what a release must check
// by hand besides.
//
//	go run fetchbundle.go [-check] [-in FILE] [-sha256 HEX] [-out FILE]
//
// Checks, each fatal: the download comes over HTTPS from AWS's host (the Go
// TLS stack verifies the server against the system roots, and redirects off
// that host are refused); it holds only PEM CERTIFICATE blocks; each one
// parses, is a self-signed CA whose signature verifies, is issued to
// "Amazon Web Services, Inc." with "Amazon RDS" in its common name, has not expired, and
// appears once; with -sha256, the file's SHA-256 is the one given.
//
// It prints the file's SHA-256, the certificates added and removed against
// -out, and one line per certificate (SHA-1 and SHA-256 fingerprints, common
// name, expiry) for the comparisons in README.md. With -check it writes
// nothing and fails when the download differs from -out: the release gate.
// -in checks a file already at hand instead of downloading.
package main

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // SHA-1 only to print the thumbprint AWS's API reports.
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// bundleURL is where AWS publishes the global bundle (Amazon RDS User Guide,
// "Using SSL/TLS to encrypt a connection to a DB instance or cluster",
// "Certificate bundles for all AWS Regions").
const bundleURL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"

const awsHost = "truststore.pki.rds.amazonaws.com"

func main() {
	out := flag.String("out", "rds-global-bundle.pem", "bundle file to write (and to compare with)")
	in := flag.String("in", "", "check this local file instead of downloading "+bundleURL)
	want := flag.String("sha256", "", "expected SHA-256 of the downloaded file, hex (when AWS or another trusted channel gives one)")
	check := flag.Bool("check", false, "write nothing; fail when the download differs from -out")
	flag.Parse()
	if err := run(*out, *in, strings.ToLower(*want), *check); err != nil {
		fmt.Fprintln(os.Stderr, "fetchbundle:", err)
		os.Exit(1)
	}
}

func run(out, in, want string, check bool) error {
	var (
		data []byte
		err  error
		src  = in
	)
	if in != "" {
		data, err = os.ReadFile(in)
	} else {
		src = bundleURL
		data, err = download(bundleURL)
	}
	if err != nil {
		return err
	}
	// AWS's file has ended without a final newline at times; the committed
	// copy always has one, so that the comparison is about certificates.
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	sum := sha256.Sum256(data)
	fmt.Printf("source: %s\nSHA-256: %s\n", src, hex.EncodeToString(sum[:]))
	if want != "" && want != hex.EncodeToString(sum[:]) {
		return fmt.Errorf("SHA-256 of %s is %x, expected %s", src, sum, want)
	}

	certs, err := checkBundle(data, time.Now())
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	fmt.Printf("certificates: %d\n", len(certs))
	for _, c := range certs {
		s1 := sha1.Sum(c.Raw) //nolint:gosec // a thumbprint, not a security decision.
		s256 := sha256.Sum256(c.Raw)
		fmt.Printf("  sha1=%X sha256=%X notAfter=%s %q\n", s1, s256, c.NotAfter.Format("2006-01-02"), c.Subject.CommonName)
	}

	old, err := os.ReadFile(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		old = nil
	case err != nil:
		return err
	}
	same := bytes.Equal(old, data)
	if old != nil && !same {
		reportChanges(old, certs)
	}
	if check {
		if !same {
			return fmt.Errorf("%s differs from %s: run go generate ./internal/dbtls/ in app/ and review the change", out, src)
		}
		fmt.Printf("%s is identical to %s\n", out, src)
		return nil
	}
	if same {
		fmt.Printf("%s unchanged\n", out)
		return nil
	}
	if err := os.WriteFile(out, data, 0o644); err != nil { //nolint:gosec // a public bundle, committed to the repository.
		return err
	}
	fmt.Printf("wrote %s: update the SHA-256 and the date in README.md\n", out)
	return nil
}

// download fetches u over HTTPS from AWS's host only, verifying the server
// against the system roots (Go's default).
func download(u string) ([]byte, error) {
	client := &http.Client{
		Timeout: time.Minute,
		CheckRedirect: func(r *http.Request, _ []*http.Request) error {
			if r.URL.Scheme != "https" || r.URL.Hostname() != awsHost {
				return fmt.Errorf("refusing a redirect to %s", r.URL)
			}
			return nil
		},
	}
	if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Hostname() != awsHost {
		return nil, fmt.Errorf("%s is not https://%s", u, awsHost)
	}
	resp, err := client.Get(u)
	if err != nil {
		return nil, fmt.Errorf("downloading the RDS CA bundle: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("downloading %s: %s", u, resp.Status)
	}
	// The bundle is about 150 KB; anything far larger is not it.
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w", u, err)
	}
	return data, nil
}

// checkBundle parses data and applies the checks listed in the package
// comment, returning the certificates in file order.
func checkBundle(data []byte, now time.Time) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	seen := map[[32]byte]bool{}
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			return nil, fmt.Errorf("PEM block %d is %q, not a plain CERTIFICATE", len(certs)+1, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		name := fmt.Sprintf("certificate %d (%q)", len(certs)+1, c.Subject.CommonName)
		fp := sha256.Sum256(c.Raw)
		switch {
		case seen[fp]:
			return nil, fmt.Errorf("%s appears twice", name)
		case !c.IsCA || !c.BasicConstraintsValid:
			return nil, fmt.Errorf("%s is not a CA", name)
		case !bytes.Equal(c.RawSubject, c.RawIssuer):
			return nil, fmt.Errorf("%s is not self-issued (issuer %q)", name, c.Issuer.CommonName)
		case !strings.Contains(c.Subject.CommonName, "Amazon RDS"):
			return nil, fmt.Errorf("%s does not name Amazon RDS", name)
		case len(c.Subject.Organization) != 1 || c.Subject.Organization[0] != "Amazon Web Services, Inc.":
			return nil, fmt.Errorf("%s is not issued to Amazon Web Services, Inc. (O=%q)", name, c.Subject.Organization)
		case now.After(c.NotAfter):
			return nil, fmt.Errorf("%s expired on %s", name, c.NotAfter.Format("2006-01-02"))
		}
		if err := c.CheckSignatureFrom(c); err != nil {
			return nil, fmt.Errorf("%s: the self-signature does not verify: %w", name, err)
		}
		seen[fp] = true
		certs = append(certs, c)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("data after the last certificate")
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificates")
	}
	return certs, nil
}

// reportChanges prints the certificates added to and removed from old.
func reportChanges(old []byte, certs []*x509.Certificate) {
	names := func(cs []*x509.Certificate) map[string]bool {
		m := map[string]bool{}
		for _, c := range cs {
			fp := sha256.Sum256(c.Raw)
			m[fmt.Sprintf("%X %q", fp[:8], c.Subject.CommonName)] = true
		}
		return m
	}
	var prev []*x509.Certificate
	for rest := old; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			prev = append(prev, c)
		}
	}
	before, after := names(prev), names(certs)
	var added, removed []string
	for n := range after {
		if !before[n] {
			added = append(added, n)
		}
	}
	for n := range before {
		if !after[n] {
			removed = append(removed, n)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	fmt.Printf("changes against the committed bundle: %d added, %d removed\n", len(added), len(removed))
	for _, n := range added {
		fmt.Println("  + " + n)
	}
	for _, n := range removed {
		fmt.Println("  - " + n)
	}
}
