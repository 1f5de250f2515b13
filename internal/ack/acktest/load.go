package acktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// LoadCRDs reads every CustomResourceDefinition in the *.yaml and *.yml files
// under dir, recursively, and returns them by group and kind. Documents of
// other kinds are skipped; a CRD of another apiVersion than
// apiextensions.k8s.io/v1, or a group and kind defined twice, is an error.
func LoadCRDs(dir string) (map[schema.GroupKind]*apiextensionsv1.CustomResourceDefinition, error) {
	crds := map[schema.GroupKind]*apiextensionsv1.CustomResourceDefinition{}
	from := map[schema.GroupKind]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return fmt.Errorf("decoding %s: %w", path, err)
			}
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if len(raw) == 0 || string(raw) == "null" {
				continue
			}
			if err := json.Unmarshal(raw, &head); err != nil {
				return fmt.Errorf("decoding %s: %w", path, err)
			}
			if head.Kind != "CustomResourceDefinition" {
				continue
			}
			if head.APIVersion != apiextensionsv1.SchemeGroupVersion.String() {
				return fmt.Errorf("%s: CRD has apiVersion %q, want %s", path, head.APIVersion, apiextensionsv1.SchemeGroupVersion)
			}
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := json.Unmarshal(raw, crd); err != nil {
				return fmt.Errorf("decoding CRD in %s: %w", path, err)
			}
			gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
			if prev, ok := from[gk]; ok {
				return fmt.Errorf("%s is defined in both %s and %s", gk, prev, path)
			}
			crds[gk], from[gk] = crd, path
		}
	})
	if err != nil {
		return nil, err
	}
	return crds, nil
}
