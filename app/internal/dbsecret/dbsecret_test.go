package dbsecret_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/docuflow/docuflow-operator/app/internal/dbsecret"
	"github.com/docuflow/docuflow-operator/app/internal/mototest"
)

func TestCredentialsAreCachedAndRefetchedWhenRefused(t *testing.T) {
	moto := mototest.Start(t)
	ctx := context.Background()
	// Not the SDK's default region: the source must take it from the ARN.
	t.Setenv("AWS_REGION", "us-east-1")
	sm := moto.SecretsManager("eu-west-2")
	arn := moto.CreateJSON(ctx, t, sm, "rds!db-test", mototest.Credentials("app", "first"))
	if !strings.Contains(arn, ":eu-west-2:") {
		t.Fatalf("ARN %s is not in eu-west-2", arn)
	}
	src, err := dbsecret.New(ctx, arn, nil)
	if err != nil {
		t.Fatal(err)
	}
	get := func() dbsecret.Credentials {
		t.Helper()
		c, err := src.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := get(); c != (dbsecret.Credentials{User: "app", Password: "first"}) {
		t.Fatalf("Get = %+v", c)
	}
	moto.PutJSON(ctx, t, sm, arn, mototest.Credentials("app", "second"))
	if c := get(); c.Password != "first" || src.Fetches() != 1 {
		t.Errorf("within the TTL: %q after %d fetches, want the cached first password", c.Password, src.Fetches())
	}
	src.Rejected("some older password")
	if c := get(); c.Password != "first" {
		t.Errorf("after refusing a password that is not cached: %q, want still the cached one", c.Password)
	}
	src.Rejected("first")
	if c := get(); c.Password != "second" || src.Fetches() != 2 {
		t.Errorf("after the cached password was refused: %q after %d fetches, want second after 2", c.Password, src.Fetches())
	}
}

func TestASecretWithoutCredentialsIsAnErrorThatDoesNotQuoteIt(t *testing.T) {
	moto := mototest.Start(t)
	ctx := context.Background()
	sm := moto.SecretsManager("us-east-1")
	for i, value := range []string{`{"username":"app"}`, `not json hunter2`, `{"username":"app","password":42}`} {
		arn := moto.CreateJSON(ctx, t, sm, fmt.Sprintf("bad-%d", i), value)
		src, err := dbsecret.New(ctx, arn, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Get(ctx)
		if err == nil {
			t.Errorf("%s: Get succeeded", value)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error quotes the secret: %v", err)
		}
	}
}
