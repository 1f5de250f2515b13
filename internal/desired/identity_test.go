package desired

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
)

// parsePolicy decodes an IAM policy document.
func parsePolicy(t *testing.T, doc *string) policyDocument {
	t.Helper()
	if doc == nil {
		t.Fatal("policy document is nil")
	}
	var p policyDocument
	if err := json.Unmarshal([]byte(*doc), &p); err != nil {
		t.Fatalf("decoding policy %s: %v", *doc, err)
	}
	return p
}

func TestRolePoliciesAreLeastPrivilege(t *testing.T) {
	for _, c := range stacksUnderTest() {
		t.Run("with "+c.name+" no role has a wildcard action or an unscoped resource beyond ECR authentication", func(t *testing.T) {
			for _, role := range ofKind[*iamv1alpha1.Role](mustBuild(t, c.stack, observedAll()).Objects) {
				trust := parsePolicy(t, role.Spec.AssumeRolePolicyDocument)
				if len(trust.Statement) != 1 || trust.Statement[0].Principal == nil || !reflect.DeepEqual(trust.Statement[0].Action, []string{"sts:AssumeRole"}) {
					t.Errorf("role %s trust policy = %+v, want one service allowed to assume it", role.Name, trust)
				}
				if len(role.Spec.Policies) != 0 || len(role.Spec.PolicyRefs) != 0 {
					t.Errorf("role %s attaches managed policies, want inline policies only", role.Name)
				}
				for name, doc := range role.Spec.InlinePolicies {
					for _, st := range parsePolicy(t, doc).Statement {
						for _, a := range st.Action {
							if strings.Contains(a, "*") {
								t.Errorf("role %s policy %s allows wildcard action %q", role.Name, name, a)
							}
						}
						for _, r := range st.Resource {
							if r == "*" && !reflect.DeepEqual(st.Action, []string{"ecr:GetAuthorizationToken"}) {
								t.Errorf("role %s policy %s allows %v on every resource", role.Name, name, st.Action)
							}
						}
					}
				}
			}
		})
	}
}

func TestTaskExecutionRole(t *testing.T) {
	obs := observedAll()
	tests := []struct {
		name      string
		stack     *platformv1alpha1.DocuFlowStack
		obs       Observed
		wantWait  string
		wantSids  []string
		wantImage string
	}{
		{
			name:     "the role waits for the log group and the database secret",
			stack:    newStack("prod"),
			obs:      Observed{VPCID: obs.VPCID},
			wantWait: "LogGroup prod-app ARN and DBInstance prod-db master user secret ARN",
		},
		{
			name:     "the role waits for the database secret once the log group is known",
			stack:    newStack("prod"),
			obs:      Observed{AppLogGroupARN: obs.AppLogGroupARN},
			wantWait: "DBInstance prod-db master user secret ARN",
		},
		{
			name:      "an image in private ECR gets pull rights on its repository only",
			stack:     newStack("prod"),
			obs:       obs,
			wantSids:  []string{"WriteApplicationLogs", "ReadDatabaseSecret", "AuthenticateToECR", "PullImage"},
			wantImage: "arn:aws:ecr:us-east-1:123456789012:repository/docuflow/api",
		},
		{
			name:     "a public image needs no ECR rights",
			stack:    newStack("prod", withImage("public.ecr.aws/docuflow/api:1.4.2")),
			obs:      obs,
			wantSids: []string{"WriteApplicationLogs", "ReadDatabaseSecret"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustBuild(t, tt.stack, tt.obs)
			roles := byName[*iamv1alpha1.Role](r.Objects)
			role := roles["prod-task-execution"]
			if tt.wantWait != "" {
				if role != nil {
					t.Fatalf("the task execution role is rendered before its inputs are known")
				}
				want := Wait{Family: FamilyService, Kind: "Role", Name: "prod-task-execution", WaitsFor: tt.wantWait}
				found := false
				for _, w := range r.Waiting {
					found = found || w == want
				}
				if !found {
					t.Errorf("waiting = %v, want it to hold %v", r.Waiting, want)
				}
				return
			}
			if role == nil {
				t.Fatal("the task execution role is not rendered")
			}
			if p := parsePolicy(t, role.Spec.AssumeRolePolicyDocument); p.Statement[0].Principal.Service != "ecs-tasks.amazonaws.com" {
				t.Errorf("the task execution role trusts %s, want ecs-tasks.amazonaws.com", p.Statement[0].Principal.Service)
			}
			p := parsePolicy(t, role.Spec.InlinePolicies["task-execution"])
			var sids []string
			for _, st := range p.Statement {
				sids = append(sids, st.Sid)
				switch st.Sid {
				case "ReadDatabaseSecret":
					if !reflect.DeepEqual(st.Resource, []string{tt.obs.DBSecretARN}) {
						t.Errorf("secret access is on %v, want exactly %s", st.Resource, tt.obs.DBSecretARN)
					}
				case "WriteApplicationLogs":
					base := strings.TrimSuffix(tt.obs.AppLogGroupARN, ":*")
					if !reflect.DeepEqual(st.Resource, []string{base, base + ":log-stream:*"}) {
						t.Errorf("log access is on %v, want the application log group only", st.Resource)
					}
				case "PullImage":
					if !reflect.DeepEqual(st.Resource, []string{tt.wantImage}) {
						t.Errorf("image pulls are allowed on %v, want %s", st.Resource, tt.wantImage)
					}
				}
			}
			if !reflect.DeepEqual(sids, tt.wantSids) {
				t.Errorf("statements = %v, want %v", sids, tt.wantSids)
			}
			task := roles["prod-task"]
			if task == nil || len(task.Spec.InlinePolicies) != 1 || task.Spec.InlinePolicies["read-database-secret"] == nil {
				t.Fatalf("the task role is missing or has other permissions than reading the database secret")
			}
			for _, st := range parsePolicy(t, task.Spec.InlinePolicies["read-database-secret"]).Statement {
				if !reflect.DeepEqual(st.Action, []string{"secretsmanager:GetSecretValue"}) || !reflect.DeepEqual(st.Resource, []string{tt.obs.DBSecretARN}) {
					t.Errorf("the task role may %v on %v, want GetSecretValue on the database secret only", st.Action, st.Resource)
				}
			}
		})
	}
}

func TestFlowLogRoleIsScopedToItsLogGroup(t *testing.T) {
	obs := observedAll()
	role := byName[*iamv1alpha1.Role](mustBuild(t, newStack("prod"), obs).Objects)["prod-vpc-flow-logs"]
	if role == nil {
		t.Fatal("the flow-log role is not rendered")
	}
	trust := parsePolicy(t, role.Spec.AssumeRolePolicyDocument).Statement[0]
	if trust.Principal.Service != "vpc-flow-logs.amazonaws.com" || trust.Condition["StringEquals"]["aws:SourceAccount"] != "123456789012" {
		t.Errorf("flow-log trust = %+v, want vpc-flow-logs.amazonaws.com for account 123456789012", trust)
	}
	base := strings.TrimSuffix(obs.FlowLogGroupARN, ":*")
	for _, st := range parsePolicy(t, role.Spec.InlinePolicies["flow-log-delivery"]).Statement {
		if !reflect.DeepEqual(st.Resource, []string{base, base + ":log-stream:*"}) {
			t.Errorf("flow-log delivery is allowed on %v, want the flow-log group only", st.Resource)
		}
	}
}

func TestLogGroupRetention(t *testing.T) {
	tests := []struct {
		name      string
		stack     *platformv1alpha1.DocuFlowStack
		want      map[string]int64
		wantNames map[string]string
	}{
		{
			name:  "a production stack keeps application logs a year and flow logs as configured",
			stack: newStack("prod"),
			want:  map[string]int64{"prod-app": 365, "prod-vpc-flow-logs": 90},
			wantNames: map[string]string{
				"prod-app":           "/docuflow/team-docs/prod/app",
				"prod-vpc-flow-logs": "/docuflow/team-docs/prod/vpc-flow-logs",
			},
		},
		{
			name:      "a development stack keeps application logs a month and has no flow logs",
			stack:     newStack("dev", withDevelopment()),
			want:      map[string]int64{"dev-app": 30},
			wantNames: map[string]string{"dev-app": "/docuflow/team-docs/dev/app"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, names := map[string]int64{}, map[string]string{}
			for _, lg := range ofKind[*cloudwatchlogsv1alpha1.LogGroup](mustBuild(t, tt.stack, observedAll()).Objects) {
				got[lg.Name] = *lg.Spec.RetentionDays
				names[lg.Name] = *lg.Spec.Name
			}
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(names, tt.wantNames) {
				t.Errorf("log groups = %v %v, want %v %v", got, names, tt.want, tt.wantNames)
			}
		})
	}
}

func TestECRRepositoryARN(t *testing.T) {
	tests := []struct {
		name  string
		image string
		want  string
	}{
		{name: "a tagged private ECR image names its repository", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/docuflow/api:1.4.2", want: "arn:aws:ecr:eu-west-1:123456789012:repository/docuflow/api"},
		{name: "a private ECR image pinned by digest names its repository", image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:0123abcd", want: "arn:aws:ecr:us-east-1:123456789012:repository/api"},
		{name: "a public ECR image needs no repository", image: "public.ecr.aws/docuflow/api:1.4.2"},
		{name: "a Docker Hub image needs no repository", image: "docuflow/api:1.4.2"},
		{name: "an image without a registry needs no repository", image: "api:1.4.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ecrRepositoryARN(tt.image, "aws"); got != tt.want {
				t.Errorf("ecrRepositoryARN(%q) = %q, want %q", tt.image, got, tt.want)
			}
		})
	}
}
