package desired

import "testing"

// BenchmarkBuild renders a production stack whose every child has reported
// its values: the render a pass makes once the stack is up.
func BenchmarkBuild(b *testing.B) {
	stack := newStack("prod")
	obs := withNetworkUp(stack, observedFor(b, stack, observedAll()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(stack, obs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDependenciesOf reads the dependencies of every child of a
// rendered production stack, as a pass does for its gates and fingerprints.
func BenchmarkDependenciesOf(b *testing.B) {
	stack := newStack("prod")
	r := mustBuild(b, stack, observedFor(b, stack, observedAll()))
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range r.Objects {
			DependenciesOf(o)
		}
	}
}
