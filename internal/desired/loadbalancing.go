package desired

import (
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/app/contract"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
)

// Components of the load balancer family.
const (
	componentLoadBalancer  = "alb"
	componentTargetGroup   = "api"
	componentHTTPSListener = "https"
	componentHTTPListener  = "http"
)

// AnnotationIgnoreFieldDrift is ACK's list of spec paths whose drift never
// triggers an update. It only works with the elbv2 controller's
// IgnoreFieldDrift feature gate on, an install requirement of the operator.
const AnnotationIgnoreFieldDrift = "services.k8s.aws/ignore-field-drift"

// Load balancer settings.
const (
	defaultSSLPolicy          = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	defaultIdleTimeoutSeconds = 60
	// deregistrationDelaySeconds is shorter than AWS's 300 s default: the
	// API answers in well under a second and drains quickly.
	deregistrationDelaySeconds = 30
	healthCheckIntervalSeconds = 15
	healthCheckTimeoutSeconds  = 5
	healthyThreshold           = 2
	unhealthyThreshold         = 3
	healthyHTTPCodes           = "200-399"
	defaultHealthCheckPath     = contract.ReadinessPath
)

// elbMeta is the TypeMeta of an ELBv2 kind.
func elbMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: elbv2v1alpha1.GroupVersion.String(), Kind: kind}
}

// elbTags are the component's tags as ELBv2 tags.
func (b *builder) elbTags(component string) []*elbv2v1alpha1.Tag {
	tags := Tags(b.stack, component)
	out := make([]*elbv2v1alpha1.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, &elbv2v1alpha1.Tag{Key: ptrTo(t.Key), Value: ptrTo(t.Value)})
	}
	return out
}

// publicSubnetNames are the metadata names of the public subnets, by zone.
func (b *builder) publicSubnetNames() []string {
	out := make([]string, 0, len(b.zones))
	for _, z := range b.zones {
		out = append(out, b.name(publicSubnetComponent(z), KubernetesName))
	}
	return out
}

// attributeDeletionProtection is the load balancer attribute that makes AWS
// refuse to delete it.
const attributeDeletionProtection = "deletion_protection.enabled"

// loadBalancerAttributes are the load balancer's attributes, sorted by key.
func (b *builder) loadBalancerAttributes() []*elbv2v1alpha1.LoadBalancerAttribute {
	lb := b.stack.Spec.LoadBalancer
	attrs := [][2]string{}
	if al := lb.AccessLogs; al != nil {
		attrs = append(attrs,
			[2]string{"access_logs.s3.bucket", al.Bucket},
			[2]string{"access_logs.s3.enabled", "true"},
			[2]string{"access_logs.s3.prefix", al.Prefix},
		)
	} else {
		attrs = append(attrs, [2]string{"access_logs.s3.enabled", "false"})
	}
	attrs = append(attrs,
		[2]string{attributeDeletionProtection, strconv.FormatBool(b.s.DeletionProtection)},
		[2]string{"idle_timeout.timeout_seconds", strconv.Itoa(int(orDefault(lb.IdleTimeoutSeconds, defaultIdleTimeoutSeconds)))},
		// Security Hub ELB.4: drop headers that are not valid HTTP.
		[2]string{"routing.http.drop_invalid_header_fields.enabled", "true"},
		// Security Hub ELB.12: defensive or strictest desync mitigation.
		[2]string{"routing.http.desync_mitigation_mode", "defensive"},
	)
	out := make([]*elbv2v1alpha1.LoadBalancerAttribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, &elbv2v1alpha1.LoadBalancerAttribute{Key: ptrTo(a[0]), Value: ptrTo(a[1])})
	}
	return out
}

// loadBalancing renders the internet-facing Application Load Balancer in the
// public subnets, the IP target group ECS registers the tasks in, and the
// listeners: HTTPS forwarding to the target group plus HTTP redirecting to
// HTTPS, or with insecureHTTPOnly a single HTTP listener forwarding.
func (b *builder) loadBalancing() {
	lbName := b.name(componentLoadBalancer, KubernetesName)
	tgName := b.name(componentTargetGroup, KubernetesName)

	b.emit(&elbv2v1alpha1.LoadBalancer{
		TypeMeta:   elbMeta("LoadBalancer"),
		ObjectMeta: objectMeta(b.stack, FamilyLoadBalancer, componentLoadBalancer),
		Spec: elbv2v1alpha1.LoadBalancerSpec{
			Name:              ptrTo(b.awsName(componentLoadBalancer, ELBName)),
			Type:              ptrTo("application"),
			Scheme:            ptrTo("internet-facing"),
			IPAddressType:     ptrTo("ipv4"),
			SubnetRefs:        refs(b.publicSubnetNames()...),
			SecurityGroupRefs: refs(b.name(componentLoadBalancerSG, KubernetesName)),
			Attributes:        b.loadBalancerAttributes(),
			Tags:              b.elbTags(componentLoadBalancer),
		},
	})

	tgMeta := objectMeta(b.stack, FamilyLoadBalancer, componentTargetGroup)
	// The ELBv2 controller reads the registered targets into spec.targets and
	// deregisters every target missing from the desired list, that is every
	// task ECS registered. Targets are never rendered, and their drift is
	// ignored, which only works with the controller's IgnoreFieldDrift gate:
	// without it (as the gate probe finds) an existing target group is held
	// read-only and a new one is not created.
	tgMeta.Annotations[AnnotationIgnoreFieldDrift] = "spec.targets"
	tgExists := b.obs.TargetGroupARN != ""
	if !b.s.InsecureHTTPOnly {
		// Port 80 only redirects to HTTPS; it needs no target group, so it
		// is rendered whatever the target group's state, after the HTTPS
		// listener. Host, path and query are spelt as AWS answers them when
		// they are left out, so that ACK's write-back changes nothing.
		defer b.emit(b.listener(lbName, portHTTP, "HTTP", []*elbv2v1alpha1.Action{{
			Type: ptrTo("redirect"),
			RedirectConfig: &elbv2v1alpha1.RedirectActionConfig{
				Protocol:   ptrTo("HTTPS"),
				Port:       ptrTo(strconv.Itoa(portHTTPS)),
				Host:       ptrTo("#{host}"),
				Path:       ptrTo("/#{path}"),
				Query:      ptrTo("#{query}"),
				StatusCode: ptrTo("HTTP_301"),
			},
		}}))
	}
	switch b.obs.ELBv2IgnoreFieldDrift {
	case GateOn:
	case GateOff:
		if !tgExists {
			b.wait(FamilyLoadBalancer, "TargetGroup", tgName, "the elbv2 controller's IgnoreFieldDrift feature gate (without it the controller deregisters every task ECS registers)")
			b.waitListeners()
			return
		}
		tgMeta.Annotations[AnnotationReadOnly] = "true"
	default:
		if !tgExists {
			b.wait(FamilyLoadBalancer, "TargetGroup", tgName, "the elbv2 controller's answer to the IgnoreFieldDrift gate probe")
			b.waitListeners()
			return
		}
		tgMeta.Annotations[AnnotationReadOnly] = "true"
	}
	// The attributes come once the target group's ARN is in its status:
	// the elbv2 controller (v1.6.1 target_group/sdk.go sdkCreate) answers a
	// create with attributes by a requeue that drops what it read, and its
	// attribute update returns the stored object, so a target group created
	// with attributes shows no ARN until the next resync (10 hours by
	// default) and its listeners and service would wait that long.
	var attributes []*elbv2v1alpha1.TargetGroupAttribute
	if tgExists {
		attributes = []*elbv2v1alpha1.TargetGroupAttribute{
			{Key: ptrTo("deregistration_delay.timeout_seconds"), Value: ptrTo(strconv.Itoa(deregistrationDelaySeconds))},
			{Key: ptrTo("load_balancing.algorithm.type"), Value: ptrTo("round_robin")},
		}
	}
	b.emit(&elbv2v1alpha1.TargetGroup{
		TypeMeta:   elbMeta("TargetGroup"),
		ObjectMeta: tgMeta,
		Spec: elbv2v1alpha1.TargetGroupSpec{
			Name:                       ptrTo(b.awsName(componentTargetGroup, ELBName)),
			TargetType:                 ptrTo("ip"),
			Protocol:                   ptrTo("HTTP"),
			ProtocolVersion:            ptrTo("HTTP1"),
			Port:                       ptrTo(int64(b.s.ContainerPort)),
			VPCRef:                     ref(b.name(componentVPC, KubernetesName)),
			IPAddressType:              ptrTo("ipv4"),
			HealthCheckEnabled:         ptrTo(true),
			HealthCheckPath:            ptrTo(orDefault(b.stack.Spec.Service.HealthCheckPath, defaultHealthCheckPath)),
			HealthCheckPort:            ptrTo("traffic-port"),
			HealthCheckProtocol:        ptrTo("HTTP"),
			HealthCheckIntervalSeconds: ptrTo(int64(healthCheckIntervalSeconds)),
			HealthCheckTimeoutSeconds:  ptrTo(int64(healthCheckTimeoutSeconds)),
			HealthyThresholdCount:      ptrTo(int64(healthyThreshold)),
			UnhealthyThresholdCount:    ptrTo(int64(unhealthyThreshold)),
			Matcher:                    &elbv2v1alpha1.Matcher{HTTPCode: ptrTo(healthyHTTPCodes)},
			Attributes:                 attributes,
			Tags:                       b.elbTags(componentTargetGroup),
		},
	})
	if !tgExists {
		b.waitListeners()
		return
	}
	forward := b.forwardAction()
	if b.s.InsecureHTTPOnly {
		http := b.listener(lbName, portHTTP, "HTTP", forward)
		b.uses(http, Key{"TargetGroup", tgName})
		b.emit(http)
		return
	}
	https := b.listener(lbName, portHTTPS, "HTTPS", forward)
	b.uses(https, Key{"TargetGroup", tgName})
	https.Spec.SSLPolicy = ptrTo(orDefault(b.stack.Spec.LoadBalancer.SSLPolicy, defaultSSLPolicy))
	if arn := b.stack.Spec.LoadBalancer.CertificateARN; arn != nil {
		https.Spec.Certificates = []*elbv2v1alpha1.Certificate{{CertificateARN: ptrTo(*arn)}}
	}
	b.emit(https)
}

// forwardAction forwards to the target group, spelt as AWS answers it: the
// ARN literally (the elbv2 controller rebuilds the actions from AWS's answer
// without references, and a reference would differ from it at every read)
// and the forwardConfig AWS adds to every forward action.
func (b *builder) forwardAction() []*elbv2v1alpha1.Action {
	arn := b.obs.TargetGroupARN
	return []*elbv2v1alpha1.Action{{
		Type:           ptrTo("forward"),
		TargetGroupARN: ptrTo(arn),
		ForwardConfig: &elbv2v1alpha1.ForwardActionConfig{
			TargetGroups:                []*elbv2v1alpha1.TargetGroupTuple{{TargetGroupARN: ptrTo(arn), Weight: ptrTo(int64(1))}},
			TargetGroupStickinessConfig: &elbv2v1alpha1.TargetGroupStickinessConfig{Enabled: ptrTo(false)},
		},
	}}
}

// waitListeners records the forwarding listener as waiting for the target
// group.
func (b *builder) waitListeners() {
	l := b.forwardingListener()
	b.wait(FamilyLoadBalancer, l.Kind, l.Name, "TargetGroup "+b.name(componentTargetGroup, KubernetesName)+" ARN")
}

// listener renders one listener of the load balancer.
func (b *builder) listener(lbName string, port int64, protocol string, actions []*elbv2v1alpha1.Action) *elbv2v1alpha1.Listener {
	component := componentHTTPListener
	if port == portHTTPS {
		component = componentHTTPSListener
	}
	return &elbv2v1alpha1.Listener{
		TypeMeta:   elbMeta("Listener"),
		ObjectMeta: objectMeta(b.stack, FamilyLoadBalancer, component),
		Spec: elbv2v1alpha1.ListenerSpec{
			LoadBalancerRef: ref(lbName),
			Port:            ptrTo(port),
			Protocol:        ptrTo(protocol),
			DefaultActions:  actions,
			Tags:            b.elbTags(component),
		},
	}
}
