package contract_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/docuflow/docuflow-operator/app/contract"
)

func TestEveryVariableIsNamespacedAndListedOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range contract.AllEnv() {
		if !strings.HasPrefix(name, "DOCUFLOW_") {
			t.Errorf("%s is not in the DOCUFLOW_ namespace", name)
		}
		if seen[name] {
			t.Errorf("%s is listed twice", name)
		}
		seen[name] = true
	}
}

func TestSecretsNeverAppearAsPlainEnvironment(t *testing.T) {
	for name, key := range contract.SecretEnv() {
		if slices.Contains(contract.PlainEnv(), name) || slices.Contains(contract.OptionalEnv(), name) {
			t.Errorf("%s comes from the secret but is also listed as plain environment", name)
		}
		if key != contract.SecretKeyUsername && key != contract.SecretKeyPassword {
			t.Errorf("%s maps to unknown secret key %q", name, key)
		}
	}
	if got := contract.SecretEnv()[contract.EnvDBPassword]; got != contract.SecretKeyPassword {
		t.Errorf("password comes from secret key %q, want %q", got, contract.SecretKeyPassword)
	}
}

func TestHealthCheckRunsTheBinaryWithoutAShell(t *testing.T) {
	want := []string{"CMD", contract.BinaryPath, contract.HealthCheckSubcommand}
	if got := contract.HealthCheckCommand(); !slices.Equal(got, want) {
		t.Errorf("HealthCheckCommand() = %q, want %q", got, want)
	}
}

func TestTheSecurityNamesAreOptionalWithSafeDefaults(t *testing.T) {
	// Optional, not plain: the operator's task definition lists every plain
	// name, and an unset issuer must mean "refuse", not "configured empty".
	for _, name := range []string{contract.EnvAuthIssuer, contract.EnvAuthAudience, contract.EnvAuthAdminGroup, contract.EnvMetricsPort, contract.EnvDBSecretARN} {
		if !slices.Contains(contract.OptionalEnv(), name) {
			t.Errorf("%s is not in OptionalEnv", name)
		}
		if slices.Contains(contract.PlainEnv(), name) {
			t.Errorf("%s is both plain and optional", name)
		}
		if _, secret := contract.SecretEnv()[name]; secret {
			t.Errorf("%s comes from the secret but is not secret", name)
		}
		if !slices.Contains(contract.AllEnv(), name) {
			t.Errorf("%s is not in AllEnv", name)
		}
	}
	if contract.DefaultMetricsPort == contract.DefaultListenPort {
		t.Error("metrics would share the port the load balancer forwards to")
	}
	if want := len(contract.PlainEnv()) + len(contract.SecretEnv()) + len(contract.OptionalEnv()); len(contract.AllEnv()) != want {
		t.Errorf("AllEnv has %d names, want the %d plain, secret and optional ones", len(contract.AllEnv()), want)
	}
}
