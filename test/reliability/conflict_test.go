package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// intruder is another writer, with a field manager of its own.
const intruder = "intruder"

// specJSON returns the stack's spec as JSON.
func specJSON(t *testing.T, key client.ObjectKey) string {
	t.Helper()
	b, err := json.Marshal(getStack(t, key).Spec)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// forgeStatus merge-patches the stack's status as another writer would: a
// wrong URL and a Ready condition of its own, and observedGeneration 0 when
// withGeneration is set.
func forgeStatus(t *testing.T, key client.ObjectKey, withGeneration bool) {
	t.Helper()
	gen := ""
	if withGeneration {
		gen = `"observedGeneration":0,`
	}
	patch := fmt.Sprintf(`{"status":{"url":"http://intruder.example",%s"conditions":[{"type":"Ready","status":"False","reason":"Intruder","message":"Forged by another writer.","lastTransitionTime":%q}]}}`,
		gen, time.Now().UTC().Format(time.RFC3339))
	if err := k8s.Status().Patch(context.Background(), getStack(t, key), client.RawPatch(types.MergePatchType, []byte(patch)), client.FieldOwner(intruder)); err != nil {
		t.Fatalf("forging the stack's status: %v", err)
	}
}

// tamperWithChildren makes the database public and moves the target group's
// health check, both fields the operator owns.
func tamperWithChildren(t *testing.T, key client.ObjectKey) (db, tg client.ObjectKey) {
	t.Helper()
	for k, o := range children(t, key) {
		if _, probe := desired.IsProbe(o); probe {
			continue
		}
		var patch string
		switch {
		case strings.HasPrefix(k, "DBInstance/"):
			patch, db = `{"spec":{"publiclyAccessible":true}}`, client.ObjectKeyFromObject(o)
		case strings.HasPrefix(k, "TargetGroup/"):
			patch, tg = `{"spec":{"healthCheckPath":"/intruder"}}`, client.ObjectKeyFromObject(o)
		default:
			continue
		}
		if err := k8s.Patch(context.Background(), o, client.RawPatch(types.MergePatchType, []byte(patch)), client.FieldOwner(intruder)); err != nil {
			t.Fatalf("tampering with %s: %v", k, err)
		}
	}
	if db.Name == "" || tg.Name == "" {
		t.Fatal("the stack has no DBInstance or no TargetGroup to tamper with")
	}
	return db, tg
}

// waitRestored waits until the operator has put the tampered fields back and
// the stack reports itself Ready at its generation with its own status.
func waitRestored(t *testing.T, key, db, tg client.ObjectKey) {
	t.Helper()
	eventually(t, 60*time.Second, "children and status restored", func() error {
		d := &rdsv1alpha1.DBInstance{}
		if err := k8s.Get(context.Background(), db, d); err != nil {
			return err
		}
		if d.Spec.PubliclyAccessible == nil || *d.Spec.PubliclyAccessible {
			return fmt.Errorf("DBInstance publiclyAccessible is %v", d.Spec.PubliclyAccessible)
		}
		g := &elbv2v1alpha1.TargetGroup{}
		if err := k8s.Get(context.Background(), tg, g); err != nil {
			return err
		}
		if g.Spec.HealthCheckPath == nil || *g.Spec.HealthCheckPath != "/readyz" {
			return fmt.Errorf("TargetGroup healthCheckPath is %v", g.Spec.HealthCheckPath)
		}
		stack := getStack(t, key)
		if err := readyErr(stack); err != nil {
			return err
		}
		if c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionReady); c.Reason == "Intruder" {
			return fmt.Errorf("Ready is still the forged one: %+v", c)
		}
		if !strings.HasPrefix(stack.Status.URL, "https://") {
			return fmt.Errorf("url %q", stack.Status.URL)
		}
		return nil
	})
}

func TestAnotherWriterDuringConvergenceIsUndoneAndTheSpecLeftAlone(t *testing.T) {
	resetSimAfter(t)
	ns := newNamespace(t)
	sim.SetDelay("DBInstance", 3*time.Second)
	sim.SetDelay("LoadBalancer", 6*time.Second)
	startOperator(t, "operator", ns)
	key := createStack(t, sampleStack(t, ns))
	before := specJSON(t, key)

	eventually(t, 30*time.Second, "the database, target group and load balancer created", func() error {
		var db, tg, lb bool
		for k, o := range children(t, key) {
			db = db || strings.HasPrefix(k, "DBInstance/")
			tg = tg || strings.HasPrefix(k, "TargetGroup/")
			if strings.HasPrefix(k, "LoadBalancer/") {
				if synced(o) {
					return fmt.Errorf("%s synced before the other writer came", k)
				}
				lb = true
			}
		}
		if !db || !tg || !lb {
			return fmt.Errorf("DBInstance created %v, TargetGroup created %v, LoadBalancer created %v", db, tg, lb)
		}
		return nil
	})
	db, tg := tamperWithChildren(t, key)
	// observedGeneration is left alone here: see the test below.
	forgeStatus(t, key, false)

	waitRestored(t, key, db, tg)
	if after := specJSON(t, key); after != before {
		t.Errorf("the operator changed the stack's spec:\nbefore %s\nafter  %s", before, after)
	}
}

func TestAStatusForgedOnAReadyStackIsCorrected(t *testing.T) {
	// A field another writer changes and the operator's next status does not
	// (here observedGeneration, forged to 0) must still be written back, or
	// kstatus reads the stack as InProgress for ever.
	resetSimAfter(t)
	ns := newNamespace(t)
	startOperator(t, "operator", ns)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key, 60*time.Second)

	// The child edit makes the operator reconcile; the forged status has to
	// be noticed on that pass.
	db, tg := tamperWithChildren(t, key)
	forgeStatus(t, key, true)
	waitRestored(t, key, db, tg)
}
