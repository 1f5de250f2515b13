package acktest

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// widgetCRD is a tiny upstream-style CRD: spec{name (required), port
// (integer), cpu (string), ratio (number), labels (map), subnetRefs, rules[]
// {fromPort}}, status{ackResourceMetadata, conditions, widgetID, createdAt}.
const widgetCRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.services.k8s.aws
spec:
  group: test.services.k8s.aws
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            required: [name]
            properties:
              name: {type: string}
              port: {type: integer, format: int64}
              cpu: {type: string}
              ratio: {type: number}
              labels:
                type: object
                additionalProperties: {type: string}
              subnetRefs:
                type: array
                items:
                  type: object
                  properties:
                    from:
                      type: object
                      properties:
                        name: {type: string}
                        namespace: {type: string}
              rules:
                type: array
                items:
                  type: object
                  properties:
                    fromPort: {type: integer, format: int64}
          status:
            type: object
            properties:
              ackResourceMetadata:
                type: object
                required: [ownerAccountID, region]
                properties:
                  arn: {type: string}
                  ownerAccountID: {type: string}
                  partition: {type: string}
                  region: {type: string}
              conditions:
                type: array
                items:
                  type: object
                  required: [status, type]
                  properties:
                    lastTransitionTime: {type: string, format: date-time}
                    message: {type: string}
                    reason: {type: string}
                    status: {type: string}
                    type: {type: string}
              widgetID: {type: string}
              createdAt: {type: string, format: date-time}
`

// testObject gives the tiny mirrors below what core.Object needs besides
// their spec and status.
type testObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
}

func (o *testObject) DeepCopyObject() runtime.Object { return o }

func (o *testObject) ACKStatus() *core.ResourceStatus { return &core.ResourceStatus{} }

type widgetRule struct {
	FromPort *int64 `json:"fromPort,omitempty"`
}

type widgetSpec struct {
	Name       *string                                    `json:"name,omitempty"`
	Port       *int64                                     `json:"port,omitempty"`
	CPU        *string                                    `json:"cpu,omitempty"`
	Ratio      *float64                                   `json:"ratio,omitempty"`
	Labels     map[string]*string                         `json:"labels,omitempty"`
	SubnetRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"subnetRefs,omitempty"`
	Rules      []*widgetRule                              `json:"rules,omitempty"`
}

type widgetStatus struct {
	core.ResourceStatus `json:",inline"`
	WidgetID            *string      `json:"widgetID,omitempty"`
	CreatedAt           *metav1.Time `json:"createdAt,omitempty"`
}

// Widget conforms to widgetCRD.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=widgets,scope=Namespaced
type Widget struct {
	testObject `json:",inline"`
	Spec       widgetSpec   `json:"spec,omitempty"`
	Status     widgetStatus `json:"status,omitempty"`
}

// WidgetMisspelled has spec.subnetRefz.
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=widgets,scope=Namespaced
type WidgetMisspelled struct {
	testObject `json:",inline"`
	Spec       struct {
		Name       *string                                    `json:"name,omitempty"`
		SubnetRefz []*ackv1alpha1.AWSResourceReferenceWrapper `json:"subnetRefz,omitempty"`
	} `json:"spec,omitempty"`
}

// WidgetIntForString has an integer cpu where upstream has a string.
// +kubebuilder:resource:path=widgets,scope=Namespaced
type WidgetIntForString struct {
	testObject `json:",inline"`
	Spec       struct {
		Name *string `json:"name,omitempty"`
		CPU  *int64  `json:"cpu,omitempty"`
	} `json:"spec,omitempty"`
}

// WidgetFloatForInteger has a float port and rules[].fromPort where upstream
// has integers.
// +kubebuilder:resource:path=widgets,scope=Namespaced
type WidgetFloatForInteger struct {
	testObject `json:",inline"`
	Spec       struct {
		Name  *string  `json:"name,omitempty"`
		Port  *float64 `json:"port,omitempty"`
		Rules []struct {
			FromPort float64 `json:"fromPort"`
		} `json:"rules,omitempty"`
	} `json:"spec,omitempty"`
}

// WidgetExtraStatus reads a status field upstream does not have.
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=widgets,scope=Namespaced
type WidgetExtraStatus struct {
	testObject `json:",inline"`
	Spec       widgetSpec `json:"spec,omitempty"`
	Status     struct {
		core.ResourceStatus `json:",inline"`
		WidgetID            *string `json:"widgetID,omitempty"`
		State               *string `json:"state,omitempty"`
	} `json:"status,omitempty"`
}

// WidgetShapes has a slice for a map, a map for an object and lacks required
// fields; its plain string for a date-time is allowed.
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=widgets,scope=Namespaced
type WidgetShapes struct {
	testObject `json:",inline"`
	Spec       struct {
		Labels []*string         `json:"labels,omitempty"`
		Rules  []map[string]*int `json:"rules,omitempty"`
	} `json:"spec,omitempty"`
	Status struct {
		ACKResourceMetadata *struct {
			OwnerAccountID *string `json:"ownerAccountID,omitempty"`
		} `json:"ackResourceMetadata,omitempty"`
		CreatedAt *string `json:"createdAt,omitempty"`
	} `json:"status,omitempty"`
}

// WidgetWrongPlural names a plural upstream does not use.
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=widgetz,scope=Cluster
type WidgetWrongPlural struct {
	testObject `json:",inline"`
	Spec       widgetSpec   `json:"spec,omitempty"`
	Status     widgetStatus `json:"status,omitempty"`
}

// WidgetNoMarkers has no kubebuilder markers.
type WidgetNoMarkers struct {
	testObject `json:",inline"`
	Spec       widgetSpec   `json:"spec,omitempty"`
	Status     widgetStatus `json:"status,omitempty"`
}

func loadWidgetCRD(t *testing.T) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "nested"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-a-crd\n"
	if err := os.WriteFile(filepath.Join(dir, "nested", "widgets.yaml"), []byte(other+"---"+widgetCRD), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("not yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	crds, err := LoadCRDs(dir)
	if err != nil {
		t.Fatalf("LoadCRDs: %v", err)
	}
	gk := schema.GroupKind{Group: "test.services.k8s.aws", Kind: "Widget"}
	if len(crds) != 1 || crds[gk] == nil {
		t.Fatalf("LoadCRDs = %v, want only %s", crds, gk)
	}
	return crds[gk]
}

func withGVK[T core.Object](obj T, kind string) T {
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{Group: "test.services.k8s.aws", Version: "v1alpha1", Kind: kind})
	return obj
}

func TestCheckAgainstCRD(t *testing.T) {
	crd := loadWidgetCRD(t)
	tests := []struct {
		name string
		obj  core.Object
		want []string
	}{
		{
			name: "a conformant mirror reports nothing",
			obj:  withGVK(&Widget{}, "Widget"),
		},
		{
			name: "a misspelled spec field is not in the schema",
			obj:  withGVK(&WidgetMisspelled{}, "Widget"),
			want: []string{"spec.subnetRefz: not in upstream schema"},
		},
		{
			name: "an integer where upstream has a string is a type mismatch",
			obj:  withGVK(&WidgetIntForString{}, "Widget"),
			want: []string{"spec.cpu: type mismatch: Go int64 is integer, upstream string"},
		},
		{
			name: "a float where upstream has an integer is a type mismatch, also inside lists",
			obj:  withGVK(&WidgetFloatForInteger{}, "Widget"),
			want: []string{
				"spec.port: type mismatch: Go float64 is number, upstream integer/int64",
				"spec.rules[].fromPort: type mismatch: Go float64 is number, upstream integer/int64",
			},
		},
		{
			name: "a status field upstream lacks is reported",
			obj:  withGVK(&WidgetExtraStatus{}, "Widget"),
			want: []string{"status.state: not in upstream schema"},
		},
		{
			name: "wrong shapes and missing required fields are reported, a string may hold a date-time",
			obj:  withGVK(&WidgetShapes{}, "Widget"),
			want: []string{
				"spec.labels: type mismatch: Go []*string is array, upstream map",
				"spec.name: required by upstream schema but not declared",
				"spec.rules[]: type mismatch: Go map[string]*int is a map, upstream an object with fixed properties",
				"status.ackResourceMetadata.region: required by upstream schema but not declared",
			},
		},
		{
			name: "a wrong group and kind are reported",
			obj: func() core.Object {
				w := &Widget{}
				w.SetGroupVersionKind(schema.GroupVersionKind{Group: "tests.services.k8s.aws", Version: "v1alpha1", Kind: "Gadget"})
				return w
			}(),
			want: []string{
				`group: CRD has "test.services.k8s.aws", mirror has "tests.services.k8s.aws"`,
				`names.kind: CRD has "Widget", mirror has "Gadget"`,
			},
		},
		{
			name: "a version the CRD does not serve is reported",
			obj: func() core.Object {
				w := &Widget{}
				w.SetGroupVersionKind(schema.GroupVersionKind{Group: "test.services.k8s.aws", Version: "v1beta1", Kind: "Widget"})
				return w
			}(),
			want: []string{`versions: CRD serves no version "v1beta1"`},
		},
		{
			name: "a wrong plural and scope in the markers are reported",
			obj:  withGVK(&WidgetWrongPlural{}, "Widget"),
			want: []string{
				`names.plural: CRD has "widgets", +kubebuilder:resource:path has "widgetz"`,
				`scope: CRD has "Namespaced", +kubebuilder:resource:scope has "Cluster"`,
			},
		},
		{
			name: "missing markers are reported",
			obj:  withGVK(&WidgetNoMarkers{}, "Widget"),
			want: []string{
				"names.plural: WidgetNoMarkers has no +kubebuilder:resource:path marker",
				"subresources.status: WidgetNoMarkers has a Status but no +kubebuilder:subresource:status marker",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckAgainstCRD(tt.obj, crd)
			if !slices.Equal(got, tt.want) {
				t.Errorf("CheckAgainstCRD() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestCheckAgainstCRDWithoutStatusSubresource(t *testing.T) {
	crd := loadWidgetCRD(t)
	crd.Spec.Versions[0].Subresources = nil
	got := CheckAgainstCRD(withGVK(&Widget{}, "Widget"), crd)
	want := []string{"subresources.status: CRD version v1alpha1 has no status subresource"}
	if !slices.Equal(got, want) {
		t.Errorf("CheckAgainstCRD() = %q, want %q", got, want)
	}
}

func TestLoadCRDsRejectsDuplicates(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.yaml", "b.yml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(widgetCRD), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := LoadCRDs(dir); err == nil {
		t.Error("LoadCRDs() with the same CRD twice succeeded, want an error")
	}
}

func TestPopulate(t *testing.T) {
	tests := []struct {
		name string
		obj  any
	}{
		{name: "a tiny mirror with maps, refs, floats and nested lists", obj: &Widget{}},
		{name: "a plain struct without Spec", obj: &widgetSpec{}},
	}
	for _, k := range ack.Kinds() {
		tests = append(tests, struct {
			name string
			obj  any
		}{name: reflect.TypeOf(k).Elem().Name(), obj: k.DeepCopyObject()})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if zero := ZeroFields(tt.obj); len(zero) == 0 {
				t.Fatalf("ZeroFields() of an empty object is empty")
			}
			Populate(tt.obj)
			if zero := ZeroFields(tt.obj); len(zero) != 0 {
				t.Errorf("after Populate, zero fields: %v", zero)
			}
		})
	}
}

func TestPopulateValues(t *testing.T) {
	w := &Widget{}
	Populate(w)
	if got := *w.Spec.Port; got != 1 {
		t.Errorf("integer = %d, want 1", got)
	}
	if got := *w.Spec.Ratio; got != 1.5 {
		t.Errorf("float = %v, want 1.5", got)
	}
	if got := *w.Spec.CPU; got != "x-cpu" {
		t.Errorf("string = %q, want %q", got, "x-cpu")
	}
	if len(w.Spec.Labels) != 1 || len(w.Spec.Rules) != 1 || *w.Spec.SubnetRefs[0].From.Name == "" {
		t.Errorf("maps and slices not filled with one element: %+v", w.Spec)
	}
	if w.Status.WidgetID != nil || w.Name != "" {
		t.Errorf("Populate touched status or metadata: %+v", w)
	}
}
