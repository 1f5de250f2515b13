package dbtls

import (
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"errors"
	"fmt"
)

//go:embed rds-global-bundle.pem
var rdsBundle []byte

// TLS modes, named after libpq's sslmode values.
const (
	// ModeDisable sends everything in clear text; only for local development.
	ModeDisable = "disable"
	// ModeRequire encrypts but trusts any server certificate.
	ModeRequire = "require"
	// ModeVerifyCA encrypts and checks that the certificate chains to a trusted
	// root, without checking the host name.
	ModeVerifyCA = "verify-ca"
	// ModeVerifyFull encrypts, checks the chain and the host name; the default.
	ModeVerifyFull = "verify-full"
)

// Modes lists the accepted TLS modes.
var Modes = []string{ModeDisable, ModeRequire, ModeVerifyCA, ModeVerifyFull}

// RDSBundle returns a copy of the embedded Amazon RDS global CA bundle in PEM form.
func RDSBundle() []byte {
	return append([]byte(nil), rdsBundle...)
}

// Roots parses a PEM bundle into a pool, falling back to the embedded Amazon
// RDS bundle when pemBytes is empty.
func Roots(pemBytes []byte) (*x509.CertPool, error) {
	if len(pemBytes) == 0 {
		pemBytes = rdsBundle
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, errors.New("no PEM certificates found")
	}
	return pool, nil
}

// Config returns the client TLS configuration for mode towards serverName, or
// nil when mode is ModeDisable.
func Config(mode, serverName string, roots *x509.CertPool) (*tls.Config, error) {
	switch mode {
	case ModeDisable:
		return nil, nil
	case ModeRequire:
		return &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}, nil //nolint:gosec // require means encrypt-only, as in libpq.
	case ModeVerifyCA:
		return &tls.Config{
			MinVersion: tls.VersionTLS12,
			// The standard verification would also check the host name, which
			// verify-ca deliberately does not; the chain is checked below instead.
			InsecureSkipVerify: true, //nolint:gosec // replaced by VerifyConnection.
			VerifyConnection: func(cs tls.ConnectionState) error {
				return verifyChain(cs, roots)
			},
		}, nil
	case ModeVerifyFull:
		return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, ServerName: serverName}, nil
	default:
		return nil, fmt.Errorf("unknown TLS mode %q", mode)
	}
}

func verifyChain(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("server presented no certificate")
	}
	intermediates := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		intermediates.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates})
	if err != nil {
		return fmt.Errorf("verifying server certificate chain: %w", err)
	}
	return nil
}
