// Package realack runs the upstream ACK controllers, built from source into
// bin/ack, against a cluster and a local AWS (moto's server with the test
// shims of test/e2e/localaws): the environment of the end-to-end suite in
// test/e2e and of `make demo ACK=real`. Every process it starts runs in its
// own process group and dies with the process that started it.
package realack
