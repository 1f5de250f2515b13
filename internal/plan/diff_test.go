package plan

import (
	"reflect"
	"testing"
)

func TestDiffComparesTheSpecAndTheAnnotationsThatMeanSomethingToACK(t *testing.T) {
	tests := []struct {
		name        string
		live, after map[string]any
		want        []FieldChange
	}{
		{
			name:  "a changed value reads old → new",
			live:  obj(map[string]any{"dbInstanceClass": "db.t4g.medium", "multiAZ": true}),
			after: obj(map[string]any{"dbInstanceClass": "db.r6g.large", "multiAZ": true}),
			want:  []FieldChange{{Path: "dbInstanceClass", Old: "db.t4g.medium", New: "db.r6g.large"}},
		},
		{
			name:  "numbers from a Go type and from JSON compare by value",
			live:  obj(map[string]any{"allocatedStorage": int64(50)}),
			after: obj(map[string]any{"allocatedStorage": float64(50)}),
		},
		{
			name:  "a nested field is named by its path, an absent one is (none)",
			live:  obj(map[string]any{"deploymentConfiguration": map[string]any{"maximumPercent": int64(200)}}),
			after: obj(map[string]any{"deploymentConfiguration": map[string]any{"maximumPercent": int64(150), "minimumHealthyPercent": int64(100)}}),
			want: []FieldChange{
				{Path: "deploymentConfiguration.maximumPercent", Old: "200", New: "150"},
				{Path: "deploymentConfiguration.minimumHealthyPercent", New: "100", AbsentOld: true},
			},
		},
		{
			name:  "a new block reads field by field",
			live:  obj(map[string]any{}),
			after: obj(map[string]any{"matcher": map[string]any{"httpCode": "200-399"}}),
			want:  []FieldChange{{Path: "matcher.httpCode", New: "200-399", AbsentOld: true}},
		},
		{
			name:  "tags compare by key",
			live:  obj(map[string]any{"tags": []any{tag("team", "documents"), tag("cost-center", "4711")}}),
			after: obj(map[string]any{"tags": []any{tag("cost-center", "4711"), tag("team", "invoices"), tag("owner", "ops")}}),
			want: []FieldChange{
				{Path: "tags[owner]", New: "ops", AbsentOld: true},
				{Path: "tags[team]", Old: "documents", New: "invoices"},
			},
		},
		{
			name:  "a list of objects loses and gains elements, references by the name they refer to",
			live:  obj(map[string]any{"subnetRefs": []any{ref("a"), ref("b"), ref("c")}}),
			after: obj(map[string]any{"subnetRefs": []any{ref("b"), ref("a")}}),
			want:  []FieldChange{{Path: "subnetRefs[-]", Old: "c", AbsentNew: true}},
		},
		{
			name: "a security group rule reads as a rule",
			live: obj(map[string]any{"egressRules": []any{map[string]any{"ipProtocol": "tcp", "fromPort": int64(8080), "toPort": int64(8080),
				"userIDGroupPairs": []any{map[string]any{"groupRef": ref("prod-service-sg")}}}}}),
			after: obj(map[string]any{"egressRules": []any{map[string]any{"ipProtocol": "tcp", "fromPort": int64(443), "toPort": int64(443),
				"ipRanges": []any{map[string]any{"cidrIP": "0.0.0.0/0"}}}}}),
			want: []FieldChange{
				{Path: "egressRules[-]", Old: "tcp 8080 to prod-service-sg", AbsentNew: true},
				{Path: "egressRules[+]", New: "tcp 443 to 0.0.0.0/0", AbsentOld: true},
			},
		},
		{
			name:  "a route reads as a route",
			live:  obj(map[string]any{"routes": []any{map[string]any{"destinationCIDRBlock": "0.0.0.0/0", "natGatewayRef": ref("nat-b")}}}),
			after: obj(map[string]any{"routes": []any{map[string]any{"destinationCIDRBlock": "0.0.0.0/0", "natGatewayRef": ref("nat-a")}}}),
			want: []FieldChange{
				{Path: "routes[-]", Old: "0.0.0.0/0 via nat-b", AbsentNew: true},
				{Path: "routes[+]", New: "0.0.0.0/0 via nat-a", AbsentOld: true},
			},
		},
		{
			name:  "references inside other elements read by name",
			live:  obj(map[string]any{"loadBalancers": []any{map[string]any{"containerPort": int64(8080), "targetGroupRef": ref("prod-api")}}}),
			after: obj(map[string]any{"loadBalancers": []any{}}),
			want:  []FieldChange{{Path: "loadBalancers[-]", Old: `{"containerPort":8080,"targetGroupRef":"prod-api"}`, AbsentNew: true}},
		},
		{
			name:  "a policy document AWS reformatted is the same policy",
			live:  obj(map[string]any{"assumeRolePolicyDocument": `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}`}),
			after: obj(map[string]any{"assumeRolePolicyDocument": `{"Statement":[{"Effect":"Allow"}],"Version":"2012-10-17"}`}),
		},
		{
			name:  "a policy document that changes is compared inside",
			live:  obj(map[string]any{"policyDocument": `{"Statement":{"Effect":"Allow","Action":"s3:GetObject"}}`}),
			after: obj(map[string]any{"policyDocument": `{"Statement":{"Effect":"Allow","Action":"s3:*"}}`}),
			want:  []FieldChange{{Path: "policyDocument.Statement.Action", Old: "s3:GetObject", New: "s3:*"}},
		},
		{
			name:  "the operator's bookkeeping is no change, ACK's annotations are",
			live:  withAnnotations(obj(nil), map[string]any{"platform.docuflow.io/applied-hash": "a", "services.k8s.aws/read-only": "true", "services.k8s.aws/deletion-policy": "retain"}),
			after: withAnnotations(obj(nil), map[string]any{"platform.docuflow.io/applied-hash": "b", "services.k8s.aws/read-only": "false"}),
			want:  []FieldChange{{Path: "annotation services.k8s.aws/deletion-policy", Old: "retain", AbsentNew: true}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Diff(tc.live, tc.after); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Diff:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestALongValueIsCut(t *testing.T) {
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'x'
	}
	if got := scalar(string(long)); len([]rune(got)) != maxValue {
		t.Errorf("a 300-character value prints as %d characters, want %d", len([]rune(got)), maxValue)
	}
}

func obj(spec map[string]any) map[string]any {
	m := map[string]any{"metadata": map[string]any{"name": "x"}}
	if spec != nil {
		m["spec"] = spec
	}
	return m
}

func withAnnotations(m map[string]any, ann map[string]any) map[string]any {
	m["metadata"].(map[string]any)["annotations"] = ann
	return m
}

func tag(k, v string) any { return map[string]any{"key": k, "value": v} }

func ref(name string) any { return map[string]any{"from": map[string]any{"name": name}} }
