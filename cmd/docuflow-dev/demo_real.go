package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/realack"
)

// realDemo is the AWS side of `docuflow-dev demo --ack=real`: the local AWS and
// the eight upstream ACK controllers.
type realDemo struct {
	logDir      string
	aws         *realack.LocalAWS
	controllers *realack.ControllerSet
}

// startRealACK starts the local AWS and the controllers against the demo's
// cluster.
func startRealACK(ctx context.Context, root, kubeconfig, crds string, say func(string, ...any)) (*realDemo, error) {
	r := &realDemo{logDir: filepath.Join(root, ".demo", "logs")}
	if err := os.MkdirAll(r.logDir, 0o755); err != nil {
		return nil, err
	}
	var err error
	say("Starting the local AWS (moto's server with the test shims of test/e2e/localaws).")
	if r.aws, err = realack.StartLocalAWS(ctx, root, r.logDir); err != nil {
		return nil, err
	}
	say("Starting the eight upstream ACK controllers from bin/ack (IgnoreFieldDrift on for the elbv2 and rds controllers).")
	r.controllers, err = realack.StartControllers(ctx, realack.Options{
		BinDir: filepath.Join(root, "bin", "ack"), LogDir: r.logDir, Kubeconfig: kubeconfig,
		CRDsDir: cmp.Or(crds, filepath.Join(root, "..", "shared", "ack", "crds")),
	}, r.aws)
	if err != nil {
		r.aws.Stop(time.Second)
		return nil, err
	}
	return r, nil
}

// prepare creates in the local AWS what the stack refers to and an account
// would already hold: the certificate, the alarm topic and the log bucket.
func (r *realDemo) prepare(stack *platformv1alpha1.DocuFlowStack) error {
	acct, err := r.aws.PrepareAccount(stack.Name)
	if err != nil {
		return err
	}
	stack.Spec.LoadBalancer.CertificateARN = &acct.CertificateARN
	stack.Spec.Observability.AlarmTopicARN = &acct.TopicARN
	if stack.Spec.LoadBalancer.AccessLogs != nil {
		stack.Spec.LoadBalancer.AccessLogs.Bucket = acct.Bucket
	}
	fmt.Fprintf(os.Stderr, "local AWS account prepared: certificate %s, topic %s, bucket %s\n", acct.CertificateARN, acct.TopicARN, acct.Bucket)
	return nil
}

// stop ends the controllers and the local AWS.
func (r *realDemo) stop() {
	r.controllers.Stop()
	r.aws.Stop(2 * time.Second)
}
