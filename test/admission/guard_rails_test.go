package admission

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// teamDocs labels a namespace with the example guard rail, team-docs.
var teamDocs = map[string]string{guardRailLabel: "team-docs"}

// waitForRail waits until the example binding guards namespace ns: a probe
// asking for too many tasks is refused. Until then every stack would pass.
func waitForRail(t *testing.T, ns string) {
	t.Helper()
	eventually(t, "the binding to take effect", func() error {
		probe := sample(t, ns)
		probe.SetName("probe")
		set(probe.Object, "spec.autoscaling.maxTasks", int64(1000))
		return refusedNaming(k8s.Create(context.Background(), probe), "spec.autoscaling.maxTasks", "above")
	})
}

func TestTheExampleGuardRailAcceptsTheProductionSample(t *testing.T) {
	ns := namespace(t, teamDocs)
	waitForRail(t, ns)
	if err := k8s.Create(context.Background(), sample(t, ns)); err != nil {
		t.Fatalf("rejected: %v", err)
	}
}

func TestGuardRailsRefuseWhatTheirNamespaceMayNotAskFor(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(o map[string]any)
		field  string
		says   string
	}{
		{"a region outside the allowed ones", func(o map[string]any) {
			set(o, "spec.region", "eu-central-1")
			set(o, "spec.network.availabilityZones", []any{"eu-central-1a", "eu-central-1b"})
			set(o, "spec.loadBalancer.certificateARN", "arn:aws:acm:eu-central-1:123456789012:certificate/0a1b2c3d")
			set(o, "spec.observability.alarmTopicARN", "arn:aws:sns:eu-central-1:123456789012:docuflow-alarms")
		}, "spec.region", "eu-central-1 is not a region this namespace may use"},
		{"an image from another registry", func(o map[string]any) {
			set(o, "spec.service.image", "docker.io/attacker/miner:1")
		}, "spec.service.image", "is not from a registry this namespace may use"},
		{"an image from a repository that only shares the allowed prefix's start", func(o map[string]any) {
			set(o, "spec.service.image", "public.ecr.aws/docuflow-evil/api:1.4.2")
		}, "spec.service.image", "is not from a registry this namespace may use"},
		{"another team's private ECR repository", func(o map[string]any) {
			set(o, "spec.service.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/team-billing/api:2.0.0")
		}, "spec.service.image", "is not from a registry this namespace may use"},
		{"an instance class outside the allowed ones", func(o map[string]any) {
			set(o, "spec.database.instanceClass", "db.x2iedn.32xlarge")
		}, "spec.database.instanceClass", "db.x2iedn.32xlarge is not an instance class this namespace may use"},
		{"more task cpu than allowed", func(o map[string]any) {
			set(o, "spec.service.cpu", int64(16384))
			set(o, "spec.service.memory", int64(32768))
		}, "spec.service.cpu", "16384 is above this namespace's limit of 2048"},
		{"more task memory than allowed", func(o map[string]any) {
			set(o, "spec.service.cpu", int64(2048))
			set(o, "spec.service.memory", int64(16384))
		}, "spec.service.memory", "16384 MiB is above this namespace's limit of 8192"},
		{"more tasks than allowed", func(o map[string]any) {
			set(o, "spec.autoscaling.maxTasks", int64(1000))
		}, "spec.autoscaling.maxTasks", "1000 is above this namespace's limit of 20"},
		{"a storage cap above the allowed one", func(o map[string]any) {
			set(o, "spec.database.maxStorageGiB", int64(65536))
		}, "spec.database.maxStorageGiB", "65536 GiB is above this namespace's limit of 500"},
		{"storage whose default cap is above the allowed one", func(o map[string]any) {
			set(o, "spec.database.storageGiB", int64(300))
			delete(o["spec"].(map[string]any)["database"].(map[string]any), "maxStorageGiB")
		}, "spec.database.maxStorageGiB", "600 GiB (twice storageGiB, the default) is above"},
		{"a certificate of another account", func(o map[string]any) {
			set(o, "spec.loadBalancer.certificateARN", "arn:aws:acm:us-east-1:999999999999:certificate/0a1b2c3d")
		}, "spec.loadBalancer.certificateARN", "must belong to account 123456789012"},
		{"an alarm topic of another account", func(o map[string]any) {
			set(o, "spec.observability.alarmTopicARN", "arn:aws:sns:us-east-1:999999999999:their-pager")
		}, "spec.observability.alarmTopicARN", "must belong to account 123456789012"},
		{"an access-log bucket that is not the team's", func(o map[string]any) {
			set(o, "spec.loadBalancer.accessLogs.bucket", "someone-elses-bucket")
		}, "spec.loadBalancer.accessLogs.bucket", "someone-elses-bucket is not a bucket this namespace may use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := namespace(t, teamDocs)
			eventually(t, "the refusal", func() error {
				obj := sample(t, ns)
				tt.mutate(obj.Object)
				return refusedNaming(k8s.Create(context.Background(), obj), tt.field, tt.says)
			})
		})
	}
}

func TestGuardRailsAcceptStacksWithinThem(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(o map[string]any)
	}{
		{"the largest allowed sizes", func(o map[string]any) {
			set(o, "spec.service.cpu", int64(2048))
			set(o, "spec.service.memory", int64(8192))
			set(o, "spec.autoscaling.maxTasks", int64(20))
			set(o, "spec.database.instanceClass", "db.m7g.large")
			set(o, "spec.database.storageGiB", int64(250))
			delete(o["spec"].(map[string]any)["database"].(map[string]any), "maxStorageGiB")
		}},
		{"the profile's instance class, unset", func(o map[string]any) {
			delete(o["spec"].(map[string]any)["database"].(map[string]any), "instanceClass")
		}},
		{"an image from the team's private ECR repository, in the other allowed region", func(o map[string]any) {
			set(o, "spec.region", "eu-west-1")
			set(o, "spec.network.availabilityZones", []any{"eu-west-1a", "eu-west-1b"})
			set(o, "spec.loadBalancer.certificateARN", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d")
			set(o, "spec.observability.alarmTopicARN", "arn:aws:sns:eu-west-1:123456789012:docuflow-alarms")
			set(o, "spec.service.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/team-docs/api:2.0.0")
		}},
		{"no certificate, topic or access logs (development)", func(o map[string]any) {
			set(o, "spec.profile", "development")
			set(o, "spec.loadBalancer", map[string]any{"insecureHTTPOnly": true})
			delete(o["spec"].(map[string]any)["observability"].(map[string]any), "alarmTopicARN")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := namespace(t, teamDocs)
			waitForRail(t, ns)
			obj := sample(t, ns)
			tt.mutate(obj.Object)
			if err := k8s.Create(context.Background(), obj); err != nil {
				t.Fatalf("rejected: %v", err)
			}
		})
	}
}

// TestATightenedGuardRailDoesNotLockAnExistingStack labels the namespace of
// an existing stack with a guard rail it breaks (digests only): unrelated
// edits, and the operator's metadata writes, still pass; changing the image
// must now follow the rail.
func TestATightenedGuardRailDoesNotLockAnExistingStack(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, nil)
	obj := sample(t, ns)
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	nsObj := &unstructured.Unstructured{}
	nsObj.SetAPIVersion("v1")
	nsObj.SetKind("Namespace")
	if err := k8s.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
		t.Fatal(err)
	}
	nsObj.SetLabels(map[string]string{guardRailLabel: "digests-only"})
	if err := k8s.Update(ctx, nsObj); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new image to be refused", func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		edit := obj.DeepCopy()
		set(edit.Object, "spec.service.image", "public.ecr.aws/docuflow/api:1.5.0")
		return refusedNaming(k8s.Update(ctx, edit), "spec.service.image", "must be pinned by digest")
	})
	set(obj.Object, "spec.autoscaling.maxTasks", int64(30))
	obj.SetFinalizers([]string{"platform.docuflow.io/finalizer"})
	if err := k8s.Update(ctx, obj); err != nil {
		t.Fatalf("an edit that leaves the image alone was refused: %v", err)
	}
	set(obj.Object, "spec.service.image", "public.ecr.aws/docuflow/api@sha256:"+strings.Repeat("ab", 32))
	if err := k8s.Update(ctx, obj); err != nil {
		t.Fatalf("pinning the image by digest was refused: %v", err)
	}
}

// TestANamespaceBoundToAMissingGuardRailGetsNoStack: the example binding's
// parameterNotFoundAction Deny fails closed when the platform team labels a
// namespace before writing its guard rail.
func TestANamespaceBoundToAMissingGuardRailGetsNoStack(t *testing.T) {
	ns := namespace(t, map[string]string{guardRailLabel: "missing"})
	eventually(t, "the refusal", func() error {
		err := k8s.Create(context.Background(), sample(t, ns))
		if err == nil {
			return errors.New("accepted; want a refusal for the missing guard rail")
		}
		if !strings.Contains(err.Error(), "no params found") {
			return fmt.Errorf("want a refusal for the missing guard rail: %w", err)
		}
		return nil
	})
}
