// Package crd embeds the CustomResourceDefinitions that controller-gen writes
// to config/crd/bases, so that binaries such as the docuflow CLI can validate
// and default a stack exactly as the API server would, without a cluster.
package crd

import (
	"embed"
	"fmt"
)

// Bases holds every generated CustomResourceDefinition in bases/.
//
//go:embed bases/*.yaml
var Bases embed.FS

// DocuFlowStackFile is the path of the DocuFlowStack CustomResourceDefinition
// inside Bases.
const DocuFlowStackFile = "bases/platform.docuflow.io_docuflowstacks.yaml"

// DocuFlowStack returns the generated DocuFlowStack CustomResourceDefinition
// as YAML. It panics only if the file was not embedded, which the build would
// already have refused.
func DocuFlowStack() []byte {
	b, err := Bases.ReadFile(DocuFlowStackFile)
	if err != nil {
		panic(fmt.Sprintf("crd: %s is not embedded: %v", DocuFlowStackFile, err))
	}
	return b
}
