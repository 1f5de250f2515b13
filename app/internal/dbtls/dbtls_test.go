package dbtls

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

func TestEmbeddedBundleHoldsOnlyAmazonRDSAuthorities(t *testing.T) {
	rest := RDSBundle()
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			t.Fatalf("block %d is a %q, want CERTIFICATE", n, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("certificate %d does not parse: %v", n, err)
		}
		name := cert.Subject.String()
		if !cert.IsCA || !cert.BasicConstraintsValid {
			t.Errorf("certificate %d (%s) is not a CA", n, name)
		}
		if !strings.Contains(cert.Subject.CommonName, "Amazon RDS") {
			t.Errorf("certificate %d subject %s does not name Amazon RDS", n, name)
		}
		// A self-signature that verifies proves the bytes were copied intact.
		if err := cert.CheckSignatureFrom(cert); err != nil {
			t.Errorf("certificate %d (%s) self-signature: %v", n, name, err)
		}
		if time.Now().After(cert.NotAfter) {
			t.Errorf("certificate %d (%s) expired on %s", n, name, cert.NotAfter)
		}
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		t.Errorf("bundle has trailing non-PEM data")
	}
	if n < 100 {
		t.Errorf("bundle has %d certificates, want the full global bundle (108 when it was added)", n)
	}
}

func TestRootsRejectsAFileWithoutCertificates(t *testing.T) {
	if _, err := Roots([]byte("not a certificate")); err == nil {
		t.Fatal("Roots accepted input without certificates")
	}
	if _, err := Roots(nil); err != nil {
		t.Fatalf("Roots(nil) should fall back to the embedded bundle: %v", err)
	}
}

func TestConfigMatchesEachMode(t *testing.T) {
	roots, err := Roots(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		mode       string
		wantNil    bool
		wantVerify bool
		wantErr    bool
	}{
		{name: "disable sends no TLS", mode: ModeDisable, wantNil: true},
		{name: "require encrypts without verification", mode: ModeRequire},
		{name: "verify-ca checks the chain itself", mode: ModeVerifyCA},
		{name: "verify-full uses the standard verification with the host name", mode: ModeVerifyFull, wantVerify: true},
		{name: "an unknown mode is an error", mode: "prefer", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Config(tt.mode, "db.example.com", roots)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if (cfg == nil) != tt.wantNil {
				t.Fatalf("config nil = %v, want %v", cfg == nil, tt.wantNil)
			}
			if cfg == nil {
				return
			}
			if tt.wantVerify && (cfg.InsecureSkipVerify || cfg.ServerName != "db.example.com" || cfg.RootCAs == nil) {
				t.Errorf("verify-full config does not verify host and chain: %+v", cfg)
			}
			if tt.mode == ModeVerifyCA && cfg.VerifyConnection == nil {
				t.Errorf("verify-ca config has no chain verification")
			}
		})
	}
}
