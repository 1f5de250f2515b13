// Package validatetest holds the fixtures that the envtest validation test of
// api/v1alpha1 and the offline validator's test in internal/validate share: the
// production sample, the minimal development stack, dotted-path editing, the
// expected schema defaults and one table of bad inputs. The offline validator
// exists to give the same answers as the API server, so both tests run the same
// table and must agree on every field path and message fragment.
package validatetest
