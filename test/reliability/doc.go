// Package reliability holds the operator's failure tests: the real
// DocuFlowStack reconciler, in managers of its own, against an embedded
// control plane and the simulated ACK, while managers crash and restart, leader
// election hands over, other writers fight over fields and the simulated AWS
// fails. It has tests only; `go test ./test/reliability/...` runs them.
package reliability
