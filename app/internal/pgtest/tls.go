package pgtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// writeTLSFiles creates a throwaway CA and a server certificate for
// 127.0.0.1/localhost signed by it, so tests can exercise verify-full against
// a real server. It returns the CA file path.
func writeTLSFiles(dir string) (string, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("generating the test CA key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "docuflow pgtest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", fmt.Errorf("signing the test CA: %w", err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("generating the test server key: %w", err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return "", err
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return "", fmt.Errorf("signing the test server certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		return "", err
	}
	caFile := filepath.Join(dir, "ca.pem")
	files := []struct {
		name  string
		block *pem.Block
	}{
		{caFile, &pem.Block{Type: "CERTIFICATE", Bytes: caDER}},
		{filepath.Join(dir, "server.crt"), &pem.Block{Type: "CERTIFICATE", Bytes: srvDER}},
		// postgres refuses a key file readable by others.
		{filepath.Join(dir, "server.key"), &pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}},
	}
	for _, f := range files {
		if err := os.WriteFile(f.name, pem.EncodeToMemory(f.block), 0o600); err != nil {
			return "", fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	return caFile, nil
}
