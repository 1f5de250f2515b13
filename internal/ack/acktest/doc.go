// Package acktest holds test tools that hold the typed ACK mirrors to the
// upstream CRD schemas: LoadCRDs reads CRD files, Populate fills every spec
// field of a mirror, and CheckAgainstCRD compares a mirror's JSON field tree,
// group, kind and plural with a CRD. It is imported only by tests.
package acktest
