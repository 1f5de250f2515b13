package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// region is the region of every stack in the suite.
const region = "us-east-1"

// awsClients are aws-sdk-go-v2 clients of the local AWS: what the suite reads
// back to check that AWS holds what the README promises, and what it uses to
// change AWS behind ACK's back.
type awsClients struct {
	acm    *acm.Client
	aas    *applicationautoscaling.Client
	cw     *cloudwatch.Client
	logs   *cloudwatchlogs.Client
	ec2    *ec2.Client
	ecs    *ecs.Client
	elb    *elbv2.Client
	iam    *iam.Client
	rds    *rds.Client
	s3     *s3.Client
	sns    *sns.Client
	region string
}

func newAWSClients(_ context.Context, endpoint string) (*awsClients, error) {
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("docuflow-e2e", "docuflow-e2e", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	return &awsClients{
		acm:    acm.NewFromConfig(cfg),
		aas:    applicationautoscaling.NewFromConfig(cfg),
		cw:     cloudwatch.NewFromConfig(cfg),
		logs:   cloudwatchlogs.NewFromConfig(cfg),
		ec2:    ec2.NewFromConfig(cfg),
		ecs:    ecs.NewFromConfig(cfg),
		elb:    elbv2.NewFromConfig(cfg),
		iam:    iam.NewFromConfig(cfg),
		rds:    rds.NewFromConfig(cfg),
		s3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		sns:    sns.NewFromConfig(cfg),
		region: region,
	}, nil
}

// accountPrerequisites are what an account holds before a stack is applied:
// the certificate, the alarm topic and the access-log bucket the stack names.
type accountPrerequisites struct {
	certificateARN string
	topicARN       string
	bucket         string
}

// prepareAccount creates the prerequisites of one stack in the local AWS.
func prepareAccount(ctx context.Context, c *awsClients, name string) (accountPrerequisites, error) {
	var p accountPrerequisites
	certPEM, keyPEM, err := selfSignedCertificate(name + ".docuflow.example")
	if err != nil {
		return p, err
	}
	cert, err := c.acm.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM})
	if err != nil {
		return p, fmt.Errorf("importing the certificate: %w", err)
	}
	p.certificateARN = aws.ToString(cert.CertificateArn)
	topic, err := c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name + "-alarms")})
	if err != nil {
		return p, fmt.Errorf("creating the alarm topic: %w", err)
	}
	p.topicARN = aws.ToString(topic.TopicArn)
	p.bucket = name + "-alb-logs"
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(p.bucket)}); err != nil {
		return p, fmt.Errorf("creating the access-log bucket: %w", err)
	}
	return p, nil
}

// selfSignedCertificate returns a PEM certificate and key for host.
func selfSignedCertificate(host string) ([]byte, []byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), nil
}

// rule is one security group rule, flattened for comparison.
type rule struct {
	group    string // the group's name
	egress   bool
	protocol string
	from, to int32
	peer     string // a CIDR, or the peer group's name
}

func (r rule) String() string {
	dir := "in"
	if r.egress {
		dir = "out"
	}
	return fmt.Sprintf("%s %s %s %d-%d %s", r.group, dir, r.protocol, r.from, r.to, r.peer)
}

// securityGroupRules returns every rule of every security group in the VPC
// but its default group, with groups named rather than by ID.
func securityGroupRules(ctx context.Context, c *awsClients, vpcID string) ([]rule, error) {
	groups, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	var ids []string
	for _, g := range groups.SecurityGroups {
		names[aws.ToString(g.GroupId)] = aws.ToString(g.GroupName)
		ids = append(ids, aws.ToString(g.GroupId))
	}
	var out []rule
	for _, id := range ids {
		rules, err := c.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{
			Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{id}}},
		})
		if err != nil {
			return nil, err
		}
		for _, r := range rules.SecurityGroupRules {
			peer := aws.ToString(r.CidrIpv4)
			if r.ReferencedGroupInfo != nil {
				peer = names[aws.ToString(r.ReferencedGroupInfo.GroupId)]
			}
			if pl := aws.ToString(r.PrefixListId); pl != "" {
				peer = pl
			}
			out = append(out, rule{group: names[id], egress: aws.ToBool(r.IsEgress), protocol: aws.ToString(r.IpProtocol),
				from: aws.ToInt32(r.FromPort), to: aws.ToInt32(r.ToPort), peer: peer})
		}
	}
	return out, nil
}
