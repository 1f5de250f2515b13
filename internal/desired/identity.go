package desired

import (
	"encoding/json"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
)

// Components of the identity and logs family.
const (
	componentAppLogs       = "app"
	componentTaskExecution = "task-execution"
	componentTask          = "task"
)

// roleMaxSessionSeconds is IAM's default maximum session of a role, stated
// so that the spec matches what IAM answers.
const roleMaxSessionSeconds = 3600

// policyVersion is the IAM policy language version.
const policyVersion = "2012-10-17"

// policyDocument is an IAM policy; encoding/json writes its fields in
// declaration order and map keys sorted, so the JSON is deterministic.
type policyDocument struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

// statement is one IAM policy statement.
type statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal *principal                   `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// principal is the service a trust policy lets assume the role.
type principal struct {
	Service string `json:"Service"`
}

// policyJSON encodes a policy; the types above cannot fail to encode.
func policyJSON(p policyDocument) string {
	out, err := json.Marshal(p)
	if err != nil {
		panic("encoding an IAM policy: " + err.Error())
	}
	return string(out)
}

// assumeRolePolicy lets the AWS service assume the role, restricted to
// requests on behalf of the given account and, when sourceARN is set, from
// resources matching it: the confused deputy protection AWS recommends
// (aws:SourceAccount and aws:SourceArn).
func assumeRolePolicy(service, account, sourceARN string) string {
	st := statement{
		Effect:    "Allow",
		Principal: &principal{Service: service},
		Action:    []string{"sts:AssumeRole"},
	}
	if account != "" {
		st.Condition = map[string]map[string]string{"StringEquals": {"aws:SourceAccount": account}}
		if sourceARN != "" {
			st.Condition["ArnLike"] = map[string]string{"aws:SourceArn": sourceARN}
		}
	}
	return policyJSON(policyDocument{Version: policyVersion, Statement: []statement{st}})
}

// ecsSourceARN matches the ECS tasks of the stack's region and account, the
// aws:SourceArn ECS sends when it assumes a task or execution role.
func (b *builder) ecsSourceARN(account string) string {
	if account == "" {
		return ""
	}
	return "arn:" + arnPartition(b.obs.AppLogGroupARN) + ":ecs:" + b.s.Region + ":" + account + ":*"
}

// rolePath is the IAM path of the stack's roles: /docuflow/ for a stack with
// scoped AWS names, so an account's IAM policies (the ACK IAM controller's
// own, a permissions boundary's) can be limited to role/docuflow/*; "/" for
// a legacy stack, whose roles exist already (IAM cannot move a role).
func (b *builder) rolePath() *string {
	if b.scope == AWSNamesLegacy {
		return ptrTo("/")
	}
	return ptrTo(RolePath)
}

// RolePath is the IAM path of every role of a stack with scoped AWS names.
const RolePath = "/docuflow/"

// permissionsBoundary is the installation's permissions boundary, nil for none.
func (b *builder) permissionsBoundary() *string {
	if b.obs.Platform.IAMPermissionsBoundary == "" {
		return nil
	}
	return ptrTo(b.obs.Platform.IAMPermissionsBoundary)
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// logGroupARNBase returns a log group's ARN without the ":*" CloudWatch Logs
// appends in some APIs, so ":log-stream:*" can be added for stream actions.
func logGroupARNBase(arn string) string {
	return strings.TrimSuffix(arn, ":*")
}

// iamMeta is the TypeMeta of an IAM Role.
func iamMeta() metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: iamv1alpha1.GroupVersion.String(), Kind: "Role"}
}

// logsMeta is the TypeMeta of a CloudWatch Logs LogGroup.
func logsMeta() metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: cloudwatchlogsv1alpha1.GroupVersion.String(), Kind: "LogGroup"}
}

// iamTags are the component's tags as IAM tags.
func (b *builder) iamTags(component string) []*iamv1alpha1.Tag {
	tags := Tags(b.stack, component)
	out := make([]*iamv1alpha1.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, &iamv1alpha1.Tag{Key: ptrTo(t.Key), Value: ptrTo(t.Value)})
	}
	return out
}

// logTags are the component's tags as a LogGroup's tag map.
func (b *builder) logTags(component string) map[string]*string {
	tags := Tags(b.stack, component)
	out := make(map[string]*string, len(tags))
	for _, t := range tags {
		out[t.Key] = ptrTo(t.Value)
	}
	return out
}

// logGroupName is the CloudWatch Logs name of one of the stack's log groups.
// It includes the namespace: log group names are unique per account and
// region, and two namespaces may hold stacks of the same name.
func (b *builder) logGroupName(component string) string {
	return "/docuflow/" + b.awsPath(component)
}

// identity renders the application's log group, the task execution role ECS
// uses to pull the image, write logs and read the database secret, and the
// task role the application runs as.
func (b *builder) identity() {
	appLogs := b.name(componentAppLogs, KubernetesName)
	b.emit(&cloudwatchlogsv1alpha1.LogGroup{
		TypeMeta:   logsMeta(),
		ObjectMeta: objectMeta(b.stack, FamilyService, componentAppLogs),
		Spec: cloudwatchlogsv1alpha1.LogGroupSpec{
			Name:          ptrTo(b.logGroupName(componentAppLogs)),
			RetentionDays: ptrTo(int64(b.s.LogRetentionDays)),
			Tags:          b.logTags(componentAppLogs),
		},
	})

	execName := b.name(componentTaskExecution, KubernetesName)
	var missing []string
	if b.obs.AppLogGroupARN == "" {
		missing = append(missing, "LogGroup "+appLogs+" ARN")
	}
	if b.obs.DBSecretARN == "" {
		missing = append(missing, "DBInstance "+b.name(componentDB, KubernetesName)+" master user secret ARN")
	}
	if len(missing) > 0 {
		// The role's policies are scoped to exactly these ARNs; the task
		// definition needs both as well, so nothing runs earlier anyway.
		b.wait(FamilyService, "Role", execName, missing...)
	} else {
		role := b.taskExecutionRole()
		b.uses(role, Key{"LogGroup", appLogs}, Key{"DBInstance", b.name(componentDB, KubernetesName)})
		b.emit(role)
	}

	// The task role waits, like the execution role, for the account its
	// trust policy names and the database secret the app reads through it;
	// the task definition needs both anyway.
	var taskMissing []string
	if b.obs.AppLogGroupARN == "" {
		taskMissing = append(taskMissing, "LogGroup "+appLogs+" ARN")
	}
	if b.obs.DBSecretARN == "" {
		taskMissing = append(taskMissing, "DBInstance "+b.name(componentDB, KubernetesName)+" master user secret ARN")
	}
	if len(taskMissing) > 0 {
		b.wait(FamilyService, "Role", b.name(componentTask, KubernetesName), taskMissing...)
		return
	}
	account := arnAccount(b.obs.AppLogGroupARN)
	// The app reads the database password through this role each time it
	// opens a connection, so a rotation of the RDS-managed secret costs no
	// outage; that one secret is all the role may read.
	readSecret := policyJSON(policyDocument{Version: policyVersion, Statement: []statement{{
		Sid:      "ReadDatabaseSecret",
		Effect:   "Allow",
		Action:   []string{"secretsmanager:GetSecretValue"},
		Resource: []string{b.obs.DBSecretARN},
	}}})
	b.emit(&iamv1alpha1.Role{
		TypeMeta:   iamMeta(),
		ObjectMeta: objectMeta(b.stack, FamilyService, componentTask),
		Spec: iamv1alpha1.RoleSpec{
			Name:                     ptrTo(b.awsName(componentTask, IAMRoleName)),
			Path:                     b.rolePath(),
			PermissionsBoundary:      b.permissionsBoundary(),
			MaxSessionDuration:       ptrTo(int64(roleMaxSessionSeconds)),
			Description:              ptrTo("The DocuFlow API of stack " + b.stack.Namespace + "/" + b.stack.Name + " runs as this role; it may read the database secret only."),
			AssumeRolePolicyDocument: ptrTo(assumeRolePolicy("ecs-tasks.amazonaws.com", account, b.ecsSourceARN(account))),
			InlinePolicies:           map[string]*string{"read-database-secret": ptrTo(readSecret)},
			Tags:                     b.iamTags(componentTask),
		},
	})
}

// taskExecutionRole is the role ECS uses to start the task. It has inline
// policies only (a role cannot combine managed-policy ARNs with policy refs,
// and AmazonECSTaskExecutionRolePolicy grants logs and ECR on every
// resource) and no wildcard actions.
func (b *builder) taskExecutionRole() *iamv1alpha1.Role {
	group := logGroupARNBase(b.obs.AppLogGroupARN)
	statements := []statement{
		{
			Sid:      "WriteApplicationLogs",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{group, group + ":log-stream:*"},
		},
		{
			Sid:      "ReadDatabaseSecret",
			Effect:   "Allow",
			Action:   []string{"secretsmanager:GetSecretValue"},
			Resource: []string{b.obs.DBSecretARN},
		},
	}
	if repo := ecrRepositoryARN(b.stack.Spec.Service.Image, arnPartition(b.obs.AppLogGroupARN)); repo != "" {
		statements = append(statements,
			statement{
				// GetAuthorizationToken is account-wide: AWS only accepts
				// Resource "*" for it.
				Sid:      "AuthenticateToECR",
				Effect:   "Allow",
				Action:   []string{"ecr:GetAuthorizationToken"},
				Resource: []string{"*"},
			},
			statement{
				Sid:      "PullImage",
				Effect:   "Allow",
				Action:   []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
				Resource: []string{repo},
			},
		)
	}
	return &iamv1alpha1.Role{
		TypeMeta:   iamMeta(),
		ObjectMeta: objectMeta(b.stack, FamilyService, componentTaskExecution),
		Spec: iamv1alpha1.RoleSpec{
			Name:                     ptrTo(b.awsName(componentTaskExecution, IAMRoleName)),
			Path:                     b.rolePath(),
			PermissionsBoundary:      b.permissionsBoundary(),
			MaxSessionDuration:       ptrTo(int64(roleMaxSessionSeconds)),
			Description:              ptrTo("ECS starts the DocuFlow tasks of stack " + b.stack.Namespace + "/" + b.stack.Name + " with this role."),
			AssumeRolePolicyDocument: ptrTo(assumeRolePolicy("ecs-tasks.amazonaws.com", arnAccount(b.obs.AppLogGroupARN), b.ecsSourceARN(arnAccount(b.obs.AppLogGroupARN)))),
			InlinePolicies: map[string]*string{
				"task-execution": ptrTo(policyJSON(policyDocument{Version: policyVersion, Statement: statements})),
			},
			Tags: b.iamTags(componentTaskExecution),
		},
	}
}

// arnPartition returns the partition field of an ARN, "aws" when unknown.
func arnPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[1] == "" {
		return "aws"
	}
	return parts[1]
}

// ecrRepositoryARN returns the ARN of the private ECR repository an image
// lives in, or "" for any other registry (public.ecr.aws, Docker Hub, …),
// which ECS pulls from without IAM permissions.
// A private ECR image looks like
// <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest].
func ecrRepositoryARN(image, partition string) string {
	account, region, path := ecrImage(image)
	if account == "" {
		return ""
	}
	return "arn:" + partition + ":ecr:" + region + ":" + account + ":repository/" + path
}

// ecrRegion returns the region of a private ECR image, or "" for an image
// from anywhere else.
func ecrRegion(image string) string {
	_, region, _ := ecrImage(image)
	return region
}

// ecrImage splits a private ECR image into its account, region and
// repository path, or returns empty strings for an image from anywhere else.
func ecrImage(image string) (account, region, path string) {
	host, path, ok := strings.Cut(image, "/")
	if !ok {
		return "", "", ""
	}
	labels := strings.Split(host, ".")
	if len(labels) < 6 || labels[1] != "dkr" || labels[2] != "ecr" || !strings.HasPrefix(strings.Join(labels[4:], "."), "amazonaws.com") {
		return "", "", ""
	}
	account, region = labels[0], labels[3]
	if len(account) != 12 {
		return "", "", ""
	}
	if i := strings.Index(path, "@"); i >= 0 {
		path = path[:i]
	}
	if i := strings.LastIndex(path, ":"); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return "", "", ""
	}
	return account, region, path
}
