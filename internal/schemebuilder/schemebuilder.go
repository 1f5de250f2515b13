// Package schemebuilder registers API types with a runtime.Scheme. It replaces
// controller-runtime's deprecated pkg/scheme.Builder with the same two calls,
// Register and AddToScheme, on top of apimachinery.
package schemebuilder

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Builder collects the kinds of one group/version and adds them to schemes.
type Builder struct {
	// GroupVersion is the group and version the kinds belong to.
	GroupVersion schema.GroupVersion
	objects      []runtime.Object
}

// Register adds kinds to the builder; call it from init functions.
func (b *Builder) Register(objects ...runtime.Object) {
	b.objects = append(b.objects, objects...)
}

// AddToScheme adds every registered kind, and the group/version's meta types,
// to s.
func (b *Builder) AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(b.GroupVersion, b.objects...)
	metav1.AddToGroupVersion(s, b.GroupVersion)
	return nil
}
