package desired

import (
	"reflect"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	long := strings.Repeat("documents", 8) // 72 characters
	tests := []struct {
		name      string
		stack     string
		component string
		rule      NameRule
		want      string // exact result, when the test pins one
		prefix    string // otherwise the readable part the result starts with
	}{
		{name: "a short name is stack and component joined by a hyphen", stack: "prod", component: "vpc", rule: KubernetesName, want: "prod-vpc"},
		{name: "a load balancer name that fits 32 characters is kept", stack: "prod", component: "alb", rule: ELBName, want: "prod-alb"},
		{name: "a load balancer name longer than 32 characters is cut and hashed", stack: "customer-documents-production", component: "alb", rule: ELBName, prefix: "customer-documents-pro"},
		{name: "a cut never leaves a hyphen before the hash", stack: "customer-documents-abc", component: "target-group", rule: ELBName, prefix: "customer-documents-abc-"},
		{name: "an IAM role name longer than 64 characters is cut and hashed", stack: long, component: "task-execution", rule: IAMRoleName, prefix: long[:55]},
		{name: "an RDS identifier longer than 63 characters is cut and hashed", stack: long, component: "db", rule: RDSName, prefix: long[:54]},
		{name: "an RDS identifier never starts with a digit", stack: "42docs", component: "db", rule: RDSName, prefix: "d-42docs-db-"},
		{name: "an RDS identifier never holds a double hyphen", stack: "docs--prod", component: "db", rule: RDSName, prefix: "docs-prod-db-"},
		{name: "dots in a stack name become hyphens and add a hash", stack: "docs.prod", component: "vpc", rule: KubernetesName, prefix: "docs-prod-vpc-"},
		{name: "a load balancer name that would start with internal- gets a prefix and a hash", stack: "internal", component: "alb", rule: ELBName, prefix: "df-internal-alb-"},
		{name: "a long load balancer name that would start with internal- is cut and keeps the prefix", stack: "internal-documents-production", component: "alb", rule: ELBName, prefix: "df-internal-documents-"},
		{name: "a stack literally named df-internal keeps its plain name", stack: "df-internal", component: "alb", rule: ELBName, want: "df-internal-alb"},
		{name: "a Kubernetes name longer than 63 characters is cut and hashed", stack: long, component: "private-us-east-1a", rule: KubernetesName, prefix: long[:54]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Name(tt.stack, tt.component, tt.rule)
			if tt.want != "" && got != tt.want {
				t.Errorf("Name() = %q, want %q", got, tt.want)
			}
			if tt.prefix != "" && !strings.HasPrefix(got, tt.prefix) {
				t.Errorf("Name() = %q, want it to start with %q", got, tt.prefix)
			}
			if !ValidName(got, tt.rule) {
				t.Errorf("Name() = %q (%d characters) breaks rule %+v", got, len(got), tt.rule)
			}
			if strings.Contains(got, "--") && !strings.Contains(tt.stack+"-"+tt.component, "--") {
				t.Errorf("Name() = %q holds a double hyphen its input did not", got)
			}
			if again := Name(tt.stack, tt.component, tt.rule); again != got {
				t.Errorf("Name() is not deterministic: %q then %q", got, again)
			}
		})
	}
}

func TestNameKeepsCutNamesApart(t *testing.T) {
	a := Name("customer-documents-production-eu", "alb", ELBName)
	b := Name("customer-documents-production-us", "alb", ELBName)
	if a == b {
		t.Errorf("two stacks whose names differ after the cut got the same name %q", a)
	}
	if c, d := Name("docs.prod", "vpc", KubernetesName), Name("docs-prod", "vpc", KubernetesName); c == d {
		t.Errorf("names that clean to the same text got the same name %q", c)
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name  string
		input string
		rule  NameRule
		want  bool
	}{
		{name: "a lowercase hyphenated name is valid", input: "prod-db", rule: RDSName, want: true},
		{name: "an empty name is invalid", input: "", rule: KubernetesName},
		{name: "a name ending with a hyphen is invalid", input: "prod-", rule: KubernetesName},
		{name: "a name starting with a hyphen is invalid", input: "-prod", rule: KubernetesName},
		{name: "an RDS name starting with a digit is invalid", input: "1prod", rule: RDSName},
		{name: "an RDS name with a double hyphen is invalid", input: "prod--db", rule: RDSName},
		{name: "a 33 character load balancer name is invalid", input: strings.Repeat("a", 33), rule: ELBName},
		{name: "uppercase letters are invalid", input: "Prod", rule: KubernetesName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidName(tt.input, tt.rule); got != tt.want {
				t.Errorf("ValidName(%q) = %v, want %v", tt.input, got, tt.want)
			}
		})
	}
}

func TestTags(t *testing.T) {
	tests := []struct {
		name      string
		stack     func() (string, map[string]string)
		component string
		want      []Tag
	}{
		{
			name: "spec tags and the identifying tags are merged and sorted by key",
			stack: func() (string, map[string]string) {
				return "prod", map[string]string{"owner": "docs-team", "cost-center": "cc-42"}
			},
			component: "vpc",
			want: []Tag{
				{Key: "cost-center", Value: "cc-42"},
				{Key: TagComponent, Value: "vpc"},
				{Key: TagNamespace, Value: "team-docs"},
				{Key: TagStack, Value: "prod"},
				{Key: "owner", Value: "docs-team"},
			},
		},
		{
			name:      "a stack without spec tags gets only the identifying tags",
			stack:     func() (string, map[string]string) { return "dev", nil },
			component: "db",
			want: []Tag{
				{Key: TagComponent, Value: "db"},
				{Key: TagNamespace, Value: "team-docs"},
				{Key: TagStack, Value: "dev"},
			},
		},
		{
			name:      "an identifying key in spec tags loses to the identifying value",
			stack:     func() (string, map[string]string) { return "prod", map[string]string{TagStack: "spoofed"} },
			component: "vpc",
			want: []Tag{
				{Key: TagComponent, Value: "vpc"},
				{Key: TagNamespace, Value: "team-docs"},
				{Key: TagStack, Value: "prod"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, tags := tt.stack()
			stack := newStack(name)
			stack.Spec.Tags = tags
			if got := Tags(stack, tt.component); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Tags() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	tests := []struct {
		name  string
		stack string
	}{
		{name: "a short stack name is the stack label as is", stack: "prod"},
		{name: "a stack name longer than a label value is cut and hashed", stack: strings.Repeat("documents-", 10) + "prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Labels(newStack(tt.stack))
			if got[LabelManagedBy] != ManagedByValue || got[LabelPartOf] != PartOfValue {
				t.Errorf("Labels() = %v, want managed-by %q and part-of %q", got, ManagedByValue, PartOfValue)
			}
			v := got[LabelStack]
			if len(v) > 63 {
				t.Errorf("stack label %q is %d characters, more than 63", v, len(v))
			}
			if len(tt.stack) <= 63 && v != tt.stack {
				t.Errorf("stack label = %q, want %q", v, tt.stack)
			}
		})
	}
}

func TestLabelsCarryTheStacksShard(t *testing.T) {
	tests := []struct {
		name      string
		opts      []stackOption
		wantShard string
		wantLabel bool
	}{
		{name: "a stack of the default shard gives its children no shard label", wantLabel: false},
		{name: "a labelled stack gives its children its shard", opts: []stackOption{withShard("team-b")}, wantShard: "team-b", wantLabel: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Labels(newStack("prod", tt.opts...))[LabelShard]
			if ok != tt.wantLabel || got != tt.wantShard {
				t.Errorf("shard label = %q (set: %t), want %q (set: %t)", got, ok, tt.wantShard, tt.wantLabel)
			}
		})
	}
}
