package reliability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/controllers"
)

// withIdentity makes the operator's client act as the given user, so that
// the API server holds it to that user's RBAC rather than the test's admin.
func withIdentity(user string) operatorOption {
	return func(_ *ctrl.Options, c *rest.Config, _ *controllers.DocuFlowStackReconciler) {
		c.Impersonate = rest.ImpersonationConfig{UserName: user}
	}
}

// TestTheShippedRoleIsEnoughAndNoMore: the operator runs under exactly the
// ClusterRole generated from its RBAC markers (config/rbac/role.yaml, the one
// dist/install.yaml ships) and still creates a stack to Ready and deletes it
// with every child. The role holds no verb the code does not use (security
// review L8); a verb dropped too many shows here as a Forbidden error.
func TestTheShippedRoleIsEnoughAndNoMore(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal(raw, role); err != nil {
		t.Fatal(err)
	}
	role.Name = "docuflow-rbac-test-" + role.Name
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if v == "update" && (len(r.Resources) != 1 || r.Resources[0] != "docuflowstacks/finalizers") {
				t.Errorf("the role grants update on %v, which the operator never calls", r.Resources)
			}
		}
	}
	const user = "system:serviceaccount:docuflow-system:docuflow-operator-controller-manager"
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if err := k8s.Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, role) })
	if err := k8s.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, binding) })

	ns := newNamespace(t)
	startOperator(t, "least-privileged", ns, withIdentity(user))
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key, 90*time.Second)
	if err := k8s.Delete(ctx, getStack(t, key)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "the stack gone", func() error {
		err := k8s.Get(ctx, key, &platformv1alpha1.DocuFlowStack{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("the stack still exists (%w)", err)
	})
	if left := children(t, key); len(left) != 0 {
		t.Errorf("%d children left after the stack went: %v", len(left), keys(left))
	}
}
