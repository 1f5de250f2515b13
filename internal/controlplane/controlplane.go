package controlplane

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// KubernetesVersion is the control plane version the Makefile builds; keep it
// equal to ENVTEST_K8S_VERSION there.
const KubernetesVersion = "1.37.2"

// modulePath identifies the repository root while walking up from the working
// directory.
const modulePath = "module github.com/docuflow/docuflow-operator\n"

// RepoRoot returns the repository root: the nearest directory above the
// working directory whose go.mod declares this module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte(modulePath)) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the repository root: no go.mod of github.com/docuflow/docuflow-operator above the working directory")
		}
		dir = parent
	}
}

// AssetsDir returns the directory holding kube-apiserver and etcd:
// KUBEBUILDER_ASSETS when set (the Makefile sets it), else bin/k8s/<version>
// in the repository. It fails with the command that builds them.
func AssetsDir(root string) (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join(root, "bin", "k8s", KubernetesVersion)
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("the control plane binary %s is missing from %s: run 'make envtest' (it builds kube-apiserver and etcd from the Go module proxy, about 5 minutes the first time) or run the tests through 'make test'", bin, dir)
		}
	}
	return dir, nil
}

// ACKCRDsDir returns where the ACK CRDs come from: ACK_CRDS_DIR (the upstream
// CRDs) when set, else the CRDs generated from the mirrors in test/crds/ack.
func ACKCRDsDir(root string) string {
	if dir := os.Getenv("ACK_CRDS_DIR"); dir != "" {
		return dir
	}
	return filepath.Join(root, "test", "crds", "ack")
}

// CRDFiles lists the YAML files below dir that hold a CustomResourceDefinition,
// in a stable order. Upstream keeps one directory per controller, so the walk
// is recursive; other files (VERSIONS, READMEs) are skipped.
func CRDFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (!strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("kind: CustomResourceDefinition")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading CRDs under %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CustomResourceDefinition found under %s", dir)
	}
	return files, nil
}

// Environment returns an envtest environment with the DocuFlowStack CRD and
// the ACK CRDs, ready to Start.
func Environment() (*envtest.Environment, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	assets, err := AssetsDir(root)
	if err != nil {
		return nil, err
	}
	ackFiles, err := CRDFiles(ACKCRDsDir(root))
	if err != nil {
		return nil, err
	}
	return &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions: envtest.CRDInstallOptions{
			Paths:              append([]string{filepath.Join(root, "config", "crd", "bases")}, ackFiles...),
			ErrorIfPathMissing: true,
		},
		ErrorIfCRDPathMissing: true,
	}, nil
}

// Start starts an embedded control plane with every CRD installed.
func Start() (*envtest.Environment, *rest.Config, error) {
	env, err := Environment()
	if err != nil {
		return nil, nil, err
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, fmt.Errorf("starting the embedded control plane from %s: %w", env.BinaryAssetsDirectory, err)
	}
	return env, cfg, nil
}

// WriteKubeconfig writes, as dir/kubeconfig, the kubeconfig of a cluster
// admin named user, for processes and people outside this one.
func WriteKubeconfig(env *envtest.Environment, dir, user string) (string, error) {
	u, err := env.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", fmt.Errorf("creating the user %s for a kubeconfig: %w", user, err)
	}
	b, err := u.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("rendering the kubeconfig: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}
