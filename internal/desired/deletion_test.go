package desired

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

func TestPrepareForDeletionSwitchesOffWhatMakesAWSRefuse(t *testing.T) {
	annotated := func(obj core.Object, kv ...string) core.Object {
		ann := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			ann[kv[i]] = kv[i+1]
		}
		obj.SetAnnotations(ann)
		return obj
	}
	protectedDB := func() *rdsv1alpha1.DBInstance {
		return &rdsv1alpha1.DBInstance{Spec: rdsv1alpha1.DBInstanceSpec{DeletionProtection: ptrTo(true)}}
	}
	lb := func(protected string) *elbv2v1alpha1.LoadBalancer {
		return &elbv2v1alpha1.LoadBalancer{Spec: elbv2v1alpha1.LoadBalancerSpec{Attributes: []*elbv2v1alpha1.LoadBalancerAttribute{
			{Key: ptrTo("deletion_protection.enabled"), Value: ptrTo(protected)},
			{Key: ptrTo("idle_timeout.timeout_seconds"), Value: ptrTo("60")},
		}}}
	}
	probe := annotated(&ec2v1alpha1.SecurityGroup{}, AnnotationProbe, ProbeRDS, AnnotationReadOnly, "true")
	tests := []struct {
		name   string
		obj    core.Object
		policy platformv1alpha1.DeletionPolicy
		retain bool
		want   *DeletionStep
	}{
		{"a plain child needs nothing", &ec2v1alpha1.Subnet{}, platformv1alpha1.DeletionPolicySnapshot, false, nil},
		{"a retained child gets ACK's retain annotation", &ec2v1alpha1.VPC{}, platformv1alpha1.DeletionPolicyRetain, true,
			&DeletionStep{Annotations: map[string]string{AnnotationDeletionPolicy: "retain"}, Note: "marking it retained"}},
		{"a retained child that has it needs nothing", annotated(&ec2v1alpha1.VPC{}, AnnotationDeletionPolicy, "retain"), platformv1alpha1.DeletionPolicyRetain, true, nil},
		{"a read-only service has its hold lifted", annotated(&ecsv1alpha1.Service{}, AnnotationReadOnly, "true"), platformv1alpha1.DeletionPolicySnapshot, false,
			&DeletionStep{Annotations: map[string]string{AnnotationReadOnly: "false"}, Note: "lifting ACK's read-only hold"}},
		{"a gate probe stays read-only: it was never created", probe, platformv1alpha1.DeletionPolicySnapshot, false, nil},
		{"a protected database under Snapshot: protection off", protectedDB(), platformv1alpha1.DeletionPolicySnapshot, false,
			&DeletionStep{Annotations: map[string]string{}, Spec: map[string]any{"deletionProtection": false}, Note: "switching off deletion protection"}},
		{"a protected database under Delete: protection off, no final snapshot, no backups", protectedDB(), platformv1alpha1.DeletionPolicyDelete, false,
			&DeletionStep{Annotations: map[string]string{AnnotationSkipFinalSnapshot: "true", AnnotationDeleteAutomatedBackups: "true"}, Spec: map[string]any{"deletionProtection": false}, Note: "switching off deletion protection"}},
		{"an unprotected database under Delete: only the annotations", annotated(&rdsv1alpha1.DBInstance{}, AnnotationSkipFinalSnapshot, "false"), platformv1alpha1.DeletionPolicyDelete, false,
			&DeletionStep{Annotations: map[string]string{AnnotationSkipFinalSnapshot: "true", AnnotationDeleteAutomatedBackups: "true"}, Note: "setting the final snapshot annotations"}},
		{"a protected load balancer: the attribute off, the others kept", lb("true"), platformv1alpha1.DeletionPolicySnapshot, false,
			&DeletionStep{Annotations: map[string]string{}, Spec: map[string]any{"attributes": []any{
				map[string]any{"key": "deletion_protection.enabled", "value": "false"},
				map[string]any{"key": "idle_timeout.timeout_seconds", "value": "60"},
			}}, Note: "switching off deletion protection"}},
		{"an unprotected load balancer needs nothing", lb("false"), platformv1alpha1.DeletionPolicySnapshot, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.obj.GetAnnotations() == nil {
				tt.obj.SetAnnotations(map[string]string{})
			}
			tt.obj.SetCreationTimestamp(metav1.Now())
			got := PrepareForDeletion(tt.obj, tt.policy, tt.retain)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PrepareForDeletion = %+v, want %+v", got, tt.want)
			}
		})
	}
}
