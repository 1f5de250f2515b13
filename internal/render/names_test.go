package render

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/docuflow/docuflow-operator/config/crd"
	cloudwatchv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatch/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/validate"
)

// maxAlarmName is CloudWatch's limit on alarm names.
const maxAlarmName = 255

// TestTheLongestNameTheCRDAdmitsGivesAlarmNamesCloudWatchAccepts holds the
// CRD's limit on metadata.name to the alarm names the builders make: with
// the longest namespace Kubernetes allows, a name at the limit gives alarm
// names of at most 255 characters, and one character more would not.
func TestTheLongestNameTheCRDAdmitsGivesAlarmNamesCloudWatchAccepts(t *testing.T) {
	var def apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(crd.DocuFlowStack(), &def); err != nil {
		t.Fatal(err)
	}
	limit := 0
	re := regexp.MustCompile(`size\(self\.metadata\.name\) <= ([0-9]+)`)
	for _, r := range def.Spec.Versions[0].Schema.OpenAPIV3Schema.XValidations {
		if m := re.FindStringSubmatch(r.Rule); m != nil {
			limit, _ = strconv.Atoi(m[1])
		}
	}
	if limit == 0 {
		t.Fatal("the CRD has no rule bounding metadata.name")
	}

	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "config", "samples", "platform_v1alpha1_docuflowstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	longest := func(nameLen int) int {
		stack, err := validate.DocuFlowStack(data)
		if err != nil {
			t.Fatal(err)
		}
		stack.Name = strings.Repeat("a", nameLen)
		stack.Namespace = strings.Repeat("n", 63)
		objs, err := Stack(context.Background(), stack)
		if err != nil {
			t.Fatal(err)
		}
		n, alarms := 0, 0
		for _, o := range objs {
			if a, ok := o.(*cloudwatchv1alpha1.MetricAlarm); ok {
				alarms++
				n = max(n, len(*a.Spec.Name))
			}
		}
		if alarms == 0 {
			t.Fatal("the sample renders no alarms")
		}
		return n
	}
	if got := longest(limit); got > maxAlarmName {
		t.Errorf("a %d-character name gives a %d-character alarm name; CloudWatch allows %d", limit, got, maxAlarmName)
	}
	if got := longest(limit + 1); got <= maxAlarmName {
		t.Errorf("the limit of %d characters is tighter than it needs to be: %d characters give alarm names of at most %d", limit, limit+1, got)
	}
}
