#!/usr/bin/env python3
"""The local AWS of the end-to-end suite: moto's server (moto 5.2.1) with the
few things it lacks for the calls the real ACK controllers make.

Run: python3 localaws.py --port PORT [--log FILE]

Every addition below stands in for AWS behaviour moto does not model. None of
them exists in the operator; the README lists each ("What the end-to-end suite
runs on") with the AWS behaviour it stands for.

1. RDS DescribeEngineDefaultParameters (moto raises NotImplementedError, the
   rds controller calls it for every DBParameterGroup): the engine defaults of
   the postgres families, listing the parameters a DocuFlow stack sets with the
   apply type and modifiability AWS documents for them.
2. CloudWatch over Smithy RPC v2 CBOR (the cloudwatch controller's SDK sends
   `smithy-protocol: rpc-v2-cbor` requests to
   /service/GraniteServiceVersion20100801/operation/<Op>; moto serves
   CloudWatch over its JSON 1.0 protocol but has no CBOR): a front that turns
   the CBOR request into the JSON one and the JSON answer into CBOR, using
   botocore's CloudWatch model for the timestamp and blob members.
3. ELBv2 DescribeLoadBalancers without EnablePrefixForIpv6SourceNat (AWS
   answers "off" unless it was switched on; the elbv2 controller late-initialises
   the field and never reports a load balancer synced while it is missing);
   EC2 DescribeSubnets without EnableDns64 (AWS answers false; the ec2
   controller otherwise sees the stated false as drift and calls
   ModifySubnetAttribute at every resync); and EC2 DeleteSubnet leaving the
   subnet's route table association behind (AWS removes it with the subnet;
   moto's then refuses the route table's deletion for ever).
4. RDS DescribeDBInstances without PerformanceInsightsEnabled and
   PerformanceInsightsRetentionPeriod (moto accepts and drops them; AWS
   answers with what was set, and the rds controller otherwise modifies the
   instance at every resync).
5. Application Auto Scaling RegisterScalableTarget without RoleARN (AWS fills
   in the service-linked role of the namespace; moto leaves it empty, and the
   applicationautoscaling controller late-initialises it and never reports
   the target synced while it is empty); and DescribeScalingPolicies with
   PolicyNames (moto ignores the filter and answers every policy of the
   resource, so the controller takes a new policy for an existing one it does
   not manage and marks it Terminal "already exists").
6. ECS deployments (moto runs no scheduler: a new service's deployment stays
   IN_PROGRESS with no task running, and UpdateService with a new task
   definition starts no new deployment): a stand-in scheduler completes every
   deployment at once (running = desired), and a new task definition starts a
   new PRIMARY deployment, as ECS does; the PRIMARY deployment's desired
   count follows the service's. moto also drops deploymentConfiguration,
   healthCheckGracePeriodSeconds, enableECSManagedTags and
   enableExecuteCommand; AWS answers them, and the ecs controller otherwise
   sees them as drift and calls UpdateService at every reconcile.
7. EC2 DeleteSecurityGroup of a group another group's rules name (AWS
   refuses with DependencyViolation "resource sg-... has a dependent object";
   moto deletes it, and the other group's rules then name a group that no
   longer exists, which nothing can revoke).
8. ELBv2 forward actions given by TargetGroupArn alone: AWS answers them with
   the equivalent ForwardConfig too (the one target group, weight 1,
   stickiness off); moto answers only what was sent. The elbv2 controller
   writes back what AWS answers.
9. RDS automated snapshots named by the minute (moto takes one when an
   instance is created, as rds:<instance>-<yyyy-mm-dd-hh-mm>, keeps it after
   the instance is deleted, and refuses to create an instance of the same
   name within that minute with DBSnapshotAlreadyExists; AWS keeps a deleted
   instance's automated backups apart, per instance resource ID): a taken
   name gets a numeric suffix.
10. POST /_docuflow/prepare?name=NAME: creates what an account holds before a
    stack is applied (an imported certificate, the alarm topic, the access-log
    bucket) and answers their ARNs and name, for `docuflow demo --ack=real`.
11. A request log: every AWS call is recorded (service, action, HTTP status)
    and served at GET /_docuflow/requests[?since=N], so tests can count the
    mutating calls the controllers make.
12. Crash windows on demand, for the restart tests (AWS has no such thing;
    they control when a controller dies relative to its AWS calls):
    POST /_docuflow/hold?action=A: the next successful request for action A
      is carried out, then its answer is held back; POST /_docuflow/held
      lists the held requests. A controller killed meanwhile has created
      something it never learns the ID of: ACK's crash window, on purpose.
    POST /_docuflow/pause: the calls that start a new resource (CREATES)
      wait before they reach moto; the calls a create makes after its first
      one (CreateRoute, AuthorizeSecurityGroupEgress, ModifyVpcAttribute,
      AttachInternetGateway, ...) go on, so every create under way can finish
      and be recorded. Answers once no mutating request has been carried out
      for two seconds.
    POST /_docuflow/resume: the requests that waited are refused (503,
      never carried out: their callers were killed), held answers are let
      go and a hold not yet used is dropped.
"""

import argparse
import base64
import io
import json
import re
import struct
import sys
import threading
import time
from urllib.parse import unquote_plus

import botocore.loaders
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

# --------------------------------------------------------------------------
# 1. RDS engine defaults
# --------------------------------------------------------------------------

# The parameters a DocuFlow stack overrides, plus a few common ones, with the
# values RDS documents for the postgres families. ApplyType decides whether the
# rds controller expects a reboot (static) or applies at once (dynamic).
_POSTGRES_DEFAULTS = [
    ("rds.force_ssl", "1", "dynamic", "boolean"),
    ("log_min_duration_statement", None, "dynamic", "integer"),
    ("log_connections", None, "dynamic", "boolean"),
    ("log_statement", None, "dynamic", "string"),
    ("max_connections", None, "static", "integer"),
    ("shared_buffers", None, "static", "integer"),
    ("work_mem", None, "dynamic", "integer"),
]


def _engine_default_parameters(self):
    from moto.core.responses import ActionResult

    family = self._get_param("DBParameterGroupFamily") or ""
    params = []
    if family.startswith("postgres"):
        for name, value, apply_type, data_type in _POSTGRES_DEFAULTS:
            p = {
                "ParameterName": name,
                "Description": name,
                "Source": "engine-default",
                "ApplyType": apply_type,
                "DataType": data_type,
                "IsModifiable": True,
                "ApplyMethod": "pending-reboot",
            }
            if value is not None:
                p["ParameterValue"] = value
            params.append(p)
    return ActionResult({"EngineDefaults": {"DBParameterGroupFamily": family, "Parameters": params}})


def patch_rds():
    from moto.rds.responses import RDSResponse

    RDSResponse.describe_engine_default_parameters = _engine_default_parameters


# --------------------------------------------------------------------------
# 3. ELBv2 EnablePrefixForIpv6SourceNat
# --------------------------------------------------------------------------


def patch_elbv2():
    from moto.ec2.models.subnets import Subnet
    from moto.elbv2.models import FakeLoadBalancer

    if not hasattr(FakeLoadBalancer, "enable_prefix_for_ipv6_source_nat"):
        FakeLoadBalancer.enable_prefix_for_ipv6_source_nat = "off"
    if not hasattr(Subnet, "enable_dns64"):
        Subnet.enable_dns64 = False

    from moto.ec2.models.subnets import SubnetBackend

    delete_subnet = SubnetBackend.delete_subnet

    def delete_subnet_and_associations(self, subnet_id):
        subnet = delete_subnet(self, subnet_id)
        for table in getattr(self, "route_tables", {}).values():
            for association, target in list(table._associations.items()):
                if target == subnet_id:
                    del table._associations[association]
        return subnet

    SubnetBackend.delete_subnet = delete_subnet_and_associations

    # 8. AWS describes a forward to one target group with its ForwardConfig.
    from moto.elbv2.models import FakeAction

    action_init = FakeAction.__init__

    def action_with_forward_config(self, data):
        if data.get("Type") == "forward" and data.get("TargetGroupArn") and "ForwardConfig" not in data:
            data = dict(data)
            data["ForwardConfig"] = {
                "TargetGroups": [{"TargetGroupArn": data["TargetGroupArn"], "Weight": 1}],
                "TargetGroupStickinessConfig": {"Enabled": False},
            }
        action_init(self, data)

    FakeAction.__init__ = action_with_forward_config


# --------------------------------------------------------------------------
# 7. EC2 security groups other groups' rules name
# --------------------------------------------------------------------------


def patch_security_groups():
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models.security_groups import SecurityGroupBackend

    delete = SecurityGroupBackend._delete_security_group

    def delete_unless_named(self, vpc_id, group_id):
        for groups in self.groups.values():
            for other in groups.values():
                if other.id == group_id:
                    continue
                for rule in list(other.ingress_rules) + list(other.egress_rules):
                    if (rule.source_group or {}).get("GroupId") == group_id:
                        raise DependencyViolationError("resource %s has a dependent object" % group_id)
        return delete(self, vpc_id, group_id)

    SecurityGroupBackend._delete_security_group = delete_unless_named


# --------------------------------------------------------------------------
# 4. RDS Performance Insights
# --------------------------------------------------------------------------


def _flag(v):
    return v if isinstance(v, bool) else str(v).lower() == "true"


def patch_rds_automated_snapshots():
    # 9. Automated snapshots of an instance created again within a minute.
    from moto.rds.models import DBInstance

    def save_automated_backup(self):
        self.add_event("DB_INSTANCE_BACKUP_START")
        base = "rds:%s-%s" % (self.db_instance_identifier, time.strftime("%Y-%m-%d-%H-%M", time.gmtime()))
        snapshot_id, n = base, 1
        while snapshot_id in self.backend.database_snapshots:
            n += 1
            snapshot_id = "%s-%d" % (base, n)
        self.backend.create_auto_snapshot(self.db_instance_identifier, snapshot_id)
        self.add_event("DB_INSTANCE_BACKUP_FINISH")

    DBInstance.save_automated_backup = save_automated_backup


def patch_rds_performance_insights():
    from moto.rds.models import DBInstance, RDSBackend

    init = DBInstance.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.performance_insights_enabled = _flag(kwargs.get("enable_performance_insights", False))
        period = kwargs.get("performance_insights_retention_period")
        self.performance_insights_retention_period = int(period) if self.performance_insights_enabled and period else None

    DBInstance.__init__ = __init__
    modify = RDSBackend.modify_db_instance

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        database = modify(self, db_instance_identifier, db_kwargs)
        if db_kwargs.get("enable_performance_insights") is not None:
            database.performance_insights_enabled = _flag(db_kwargs.get("enable_performance_insights"))
        if db_kwargs.get("performance_insights_retention_period") is not None:
            database.performance_insights_retention_period = int(db_kwargs.get("performance_insights_retention_period"))
        return database

    RDSBackend.modify_db_instance = modify_db_instance


# --------------------------------------------------------------------------
# 5. Application Auto Scaling service-linked role
# --------------------------------------------------------------------------

_SERVICE_LINKED_ROLES = {
    "ecs": "aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
}


def patch_application_autoscaling():
    from moto.applicationautoscaling.models import FakeScalableTarget

    init = FakeScalableTarget.__init__

    def __init__(self, backend, service_namespace, resource_id, scalable_dimension, min_capacity, max_capacity, role_arn, suspended_state):
        if not role_arn and service_namespace in _SERVICE_LINKED_ROLES:
            role_arn = "arn:aws:iam::%s:role/%s" % (backend.account_id, _SERVICE_LINKED_ROLES[service_namespace])
        init(self, backend, service_namespace, resource_id, scalable_dimension, min_capacity, max_capacity, role_arn, suspended_state)

    FakeScalableTarget.__init__ = __init__

    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    describe = ApplicationAutoScalingResponse.describe_scaling_policies

    def describe_scaling_policies(self):
        names = self._get_param("PolicyNames") or []
        body = describe(self)
        if not names:
            return body
        answer = json.loads(body)
        answer["ScalingPolicies"] = [p for p in answer.get("ScalingPolicies", []) if p.get("PolicyName") in names]
        return json.dumps(answer)

    ApplicationAutoScalingResponse.describe_scaling_policies = describe_scaling_policies


# --------------------------------------------------------------------------
# 6. ECS deployments
# --------------------------------------------------------------------------


def _complete(service):
    for d in service.deployments:
        if d.get("status") == "PRIMARY":
            d["desiredCount"] = service.desired_count
            d["runningCount"] = service.desired_count
            d["pendingCount"] = 0
            d["rolloutState"] = "COMPLETED"
            d["rolloutStateReason"] = "ECS deployment %s completed." % d.get("id")
    service.running_count = service.desired_count
    service.pending_count = 0


def patch_ecs():
    import random

    from moto.core.utils import utcnow
    from moto.ecs.models import EC2ContainerServiceBackend

    create = EC2ContainerServiceBackend.create_service

    def create_service(self, *args, **kwargs):
        service = create(self, *args, **kwargs)
        _complete(service)
        return service

    update = EC2ContainerServiceBackend.update_service

    def update_service(self, service_properties):
        cluster = service_properties.get("cluster", "default")
        name = str(service_properties.get("service", "")).split("/")[-1]
        before = self._get_service(cluster, name).task_definition
        service = update(self, service_properties)
        if service.deployments and service.task_definition != before:
            deployment = dict(service.deployments[0])
            deployment_id = "ecs-svc/%d" % random.randint(0, 32**12)
            now = utcnow()
            deployment.update(id=deployment_id, createdAt=now, updatedAt=now, taskDefinition=service.task_definition, status="PRIMARY")
            service.deployments = [deployment]
        _complete(service)
        return service

    EC2ContainerServiceBackend.create_service = create_service
    EC2ContainerServiceBackend.update_service = update_service

    from moto.ecs.responses import EC2ContainerServiceResponse

    kept = {
        "deploymentConfiguration": "deployment_configuration",
        "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
        "enableECSManagedTags": "enable_ecs_managed_tags",
        "enableExecuteCommand": "enable_execute_command",
    }

    def keeping(method, name_param):
        def wrapped(self):
            result = method(self)
            cluster = self._get_param("cluster", "default")
            service = self.ecs_backend._get_service(cluster, str(self._get_param(name_param)).split("/")[-1])
            for param, attr in kept.items():
                value = self._get_param(param)
                if value is not None:
                    setattr(service, attr, value)
            return result

        return wrapped

    EC2ContainerServiceResponse.create_service = keeping(EC2ContainerServiceResponse.create_service, "serviceName")
    EC2ContainerServiceResponse.update_service = keeping(EC2ContainerServiceResponse.update_service, "service")


# --------------------------------------------------------------------------
# 2. CBOR (RFC 8949), the subset Smithy RPC v2 uses
# --------------------------------------------------------------------------


class Tag:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value


_BREAK = object()


def cbor_decode(data):
    value, pos = _decode(data, 0)
    if pos != len(data):
        raise ValueError("trailing bytes after CBOR item")
    return value


def _length(data, pos, info):
    if info < 24:
        return info, pos
    if info == 24:
        return data[pos], pos + 1
    if info == 25:
        return struct.unpack(">H", data[pos:pos + 2])[0], pos + 2
    if info == 26:
        return struct.unpack(">I", data[pos:pos + 4])[0], pos + 4
    if info == 27:
        return struct.unpack(">Q", data[pos:pos + 8])[0], pos + 8
    if info == 31:
        return None, pos
    raise ValueError("bad CBOR additional information %d" % info)


def _decode(data, pos):
    head = data[pos]
    pos += 1
    major, info = head >> 5, head & 0x1F
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info in (22, 23):
            return None, pos
        if info == 25:
            return _half(data[pos:pos + 2]), pos + 2
        if info == 26:
            return struct.unpack(">f", data[pos:pos + 4])[0], pos + 4
        if info == 27:
            return struct.unpack(">d", data[pos:pos + 8])[0], pos + 8
        if info == 31:
            return _BREAK, pos
        raise ValueError("unsupported CBOR simple value %d" % info)
    n, pos = _length(data, pos, info)
    if major == 0:
        return n, pos
    if major == 1:
        return -1 - n, pos
    if major in (2, 3):
        if n is None:
            chunks = []
            while True:
                item, pos = _decode(data, pos)
                if item is _BREAK:
                    break
                chunks.append(item)
            return (b"" if major == 2 else "").join(chunks), pos
        raw = bytes(data[pos:pos + n])
        return (raw if major == 2 else raw.decode("utf-8")), pos + n
    if major == 4:
        out = []
        while n is None or len(out) < n:
            item, pos = _decode(data, pos)
            if item is _BREAK:
                break
            out.append(item)
        return out, pos
    if major == 5:
        out = {}
        count = 0
        while n is None or count < n:
            key, pos = _decode(data, pos)
            if key is _BREAK:
                break
            out[key], pos = _decode(data, pos)
            count += 1
        return out, pos
    if major == 6:
        inner, pos = _decode(data, pos)
        return Tag(n, inner), pos
    raise ValueError("unsupported CBOR major type %d" % major)


def _half(b):
    h = struct.unpack(">H", b)[0]
    sign = -1.0 if h & 0x8000 else 1.0
    exp, frac = (h >> 10) & 0x1F, h & 0x3FF
    if exp == 0:
        return sign * frac * 2.0 ** -24
    if exp == 31:
        return sign * float("inf") if frac == 0 else float("nan")
    return sign * (1 + frac / 1024.0) * 2.0 ** (exp - 15)


def _head(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 0x100:
        return bytes([(major << 5) | 24, n])
    if n < 0x10000:
        return bytes([(major << 5) | 25]) + struct.pack(">H", n)
    if n < 0x100000000:
        return bytes([(major << 5) | 26]) + struct.pack(">I", n)
    return bytes([(major << 5) | 27]) + struct.pack(">Q", n)


def cbor_encode(v):
    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, Tag):
        return _head(6, v.tag) + cbor_encode(v.value)
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        raw = v.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(v, (bytes, bytearray)):
        return _head(2, len(v)) + bytes(v)
    if isinstance(v, (list, tuple)):
        return _head(4, len(v)) + b"".join(cbor_encode(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(cbor_encode(k) + cbor_encode(x) for k, x in v.items())
    raise TypeError("cannot encode %r as CBOR" % type(v))


# The CloudWatch model, for the members whose JSON and CBOR forms differ.
_models = {}


def _model(service):
    if service not in _models:
        _models[service] = botocore.loaders.create_loader().load_service_model(service, "service-2")
    return _models[service]


def cbor_to_json_value(v):
    if isinstance(v, Tag):
        # Tag 1: epoch-based date/time; awsJson writes epoch seconds.
        return cbor_to_json_value(v.value)
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode("ascii")
    if isinstance(v, list):
        return [cbor_to_json_value(x) for x in v]
    if isinstance(v, dict):
        return {k: cbor_to_json_value(x) for k, x in v.items()}
    return v


def json_to_cbor_value(v, shape_name, model):
    if v is None or shape_name is None:
        return v
    shape = model["shapes"][shape_name]
    t = shape["type"]
    if t == "structure":
        members = shape.get("members", {})
        return {k: json_to_cbor_value(x, members.get(k, {}).get("shape"), model) for k, x in v.items()}
    if t == "list":
        return [json_to_cbor_value(x, shape["member"]["shape"], model) for x in v]
    if t == "map":
        return {k: json_to_cbor_value(x, shape["value"]["shape"], model) for k, x in v.items()}
    if t == "timestamp":
        return Tag(1, float(v))
    if t == "blob":
        return base64.b64decode(v)
    if t in ("double", "float"):
        return float(v)
    if t in ("integer", "long"):
        return int(v)
    return v


_CBOR_PATH = re.compile(r"^/service/([A-Za-z0-9_]+)/operation/([A-Za-z0-9_]+)$")


class CBORFront:
    """Serves Smithy RPC v2 CBOR requests of services moto serves over JSON."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        m = _CBOR_PATH.match(environ.get("PATH_INFO", ""))
        if not m or "rpc-v2-cbor" not in environ.get("HTTP_SMITHY_PROTOCOL", ""):
            return self.app(environ, start_response)
        target, op = m.group(1), m.group(2)
        body = _read_body(environ)
        request = cbor_to_json_value(cbor_decode(body)) if body else {}
        raw = json.dumps(request).encode("utf-8")
        environ["PATH_INFO"] = "/"
        environ["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        environ["HTTP_X_AMZ_TARGET"] = target + "." + op
        environ["CONTENT_LENGTH"] = str(len(raw))
        environ["wsgi.input"] = io.BytesIO(raw)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = self.app(environ, capture)
        try:
            answer = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status = captured.get("status", "500 Internal Server Error")
        value = json.loads(answer) if answer.strip() else {}
        if status.startswith("2"):
            model = _model("cloudwatch")
            output = model["operations"].get(op, {}).get("output", {}).get("shape")
            value = json_to_cbor_value(value, output, model)
        out = cbor_encode(value)
        headers = [(k, v) for k, v in captured.get("headers", []) if k.lower() not in ("content-type", "content-length")]
        headers += [("Content-Type", "application/cbor"), ("Content-Length", str(len(out))), ("smithy-protocol", "rpc-v2-cbor")]
        start_response(status, headers)
        return [out]


# --------------------------------------------------------------------------
# 12. Crash windows on demand
# --------------------------------------------------------------------------


# The calls that start a new resource of a kind the operator renders.
CREATES = frozenset([
    "CreateVpc", "CreateSubnet", "CreateSecurityGroup", "CreateRouteTable", "CreateInternetGateway",
    "AllocateAddress", "CreateNatGateway", "CreateVpcEndpoint", "CreateFlowLogs",
    "CreateDBSubnetGroup", "CreateDBParameterGroup", "CreateDBInstance",
    "CreateRole", "CreateLogGroup", "CreateCluster", "RegisterTaskDefinition", "CreateService",
    "CreateLoadBalancer", "CreateTargetGroup", "CreateListener",
    "RegisterScalableTarget", "PutScalingPolicy", "PutMetricAlarm",
])


class Gate:
    """Pauses the calls that start a resource and holds chosen answers
    (shim 12)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.paused = False
        self.generation = 0  # bumped by resume: what waited across it is refused
        self.inflight = 0  # mutating requests moto is carrying out
        self.hold_action = ""
        self.held = []
        self.last_done = 0.0  # when a mutating request was last carried out

    def enter(self, action):
        """Waits while paused if action starts a resource; False when the
        request waited across a resume and must be refused."""
        with self.cond:
            generation = self.generation
            while self.paused and action in CREATES:
                self.cond.wait()
            if generation != self.generation:
                return False
            self.inflight += 1
            return True

    def leave(self, entry):
        """Marks a mutating request carried out; holds its answer when asked."""
        with self.cond:
            self.inflight -= 1
            self.last_done = time.time()
            self.cond.notify_all()
            if not self.hold_action or entry["action"] != self.hold_action or not 200 <= entry.get("status", 0) < 300:
                return
            self.hold_action = ""
            self.held.append(entry)
            generation = self.generation
            while generation == self.generation:
                self.cond.wait()

    def hold(self, action):
        with self.cond:
            self.hold_action = action

    def pause(self, timeout=60, quiet=2.0):
        """Pauses; returns once no mutating request has been carried out for
        quiet seconds (the creates under way made their last calls). False
        when that did not happen within timeout (the caller resumes)."""
        with self.cond:
            self.paused = True
            deadline = time.time() + timeout
            while time.time() < deadline:
                if self.inflight == 0 and time.time() - self.last_done >= quiet:
                    return True
                self.cond.wait(timeout=0.2)
            return False

    def resume(self):
        with self.cond:
            self.paused = False
            self.generation += 1
            self.hold_action = ""
            self.held = []
            self.cond.notify_all()

    def held_entries(self):
        with self.cond:
            return list(self.held)


# --------------------------------------------------------------------------
# 11. Request log
# --------------------------------------------------------------------------


def _read_body(environ):
    try:
        n = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        n = 0
    body = environ["wsgi.input"].read(n) if n > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")


class RequestLog:
    """Records every AWS call: sequence, time, service, action, status."""

    def __init__(self, app, path=None):
        self.app = app
        self.lock = threading.Lock()
        self.entries = []
        self.file = open(path, "a", buffering=1) if path else None
        self.gate = Gate()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_docuflow/requests":
            return self.serve(environ, start_response)
        if path == "/_docuflow/prepare":
            return self.prepare(environ, start_response)
        if path.startswith("/_docuflow/"):
            return self.control(path, environ, start_response)
        service, action, params = self.identify(environ)
        mutating = not action.startswith(("Describe", "List", "Get", "GET ", "HEAD "))
        if mutating and not self.gate.enter(action):
            self.record(service, action, params, 503)
            body = b"refused: the local AWS was paused when this request came (shim 12)"
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        status_holder = {}

        def record_status(status, headers, exc_info=None):
            status_holder["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            result = self.app(environ, record_status)
        except BaseException:
            if mutating:
                self.gate.leave({"action": ""})
            raise
        code = int(status_holder.get("status", "0 ").split(" ", 1)[0] or 0)
        entry = self.record(service, action, params, code)
        if mutating:
            self.gate.leave(entry)
        return result

    def record(self, service, action, params, code):
        with self.lock:
            entry = {"seq": len(self.entries) + 1, "time": time.time(), "service": service, "action": action, "status": code}
            if params and not action.startswith(("Describe", "List", "Get")):
                entry["params"] = params
            self.entries.append(entry)
            if self.file:
                self.file.write(json.dumps(entry) + "\n")
        return entry

    def control(self, path, environ, start_response):
        """The crash-window controls of shim 12."""
        query = {}
        for part in environ.get("QUERY_STRING", "").split("&"):
            k, _, v = part.partition("=")
            if k:
                query[k] = unquote_plus(v)
        answer, code = None, "200 OK"
        if path == "/_docuflow/hold" and query.get("action"):
            self.gate.hold(query["action"])
            answer = {"holding": query["action"]}
        elif path == "/_docuflow/held":
            answer = self.gate.held_entries()
        elif path == "/_docuflow/pause":
            if self.gate.pause():
                answer = {"paused": True}
            else:
                answer, code = {"paused": False, "error": "mutating requests still being carried out after 60s of pause"}, "504 Gateway Timeout"
        elif path == "/_docuflow/resume":
            self.gate.resume()
            answer = {"paused": False}
        else:
            answer, code = {"error": "unknown control " + path}, "404 Not Found"
        body = json.dumps(answer).encode("utf-8")
        start_response(code, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def identify(self, environ):
        """Returns the service, the action and the request's top-level
        scalar parameters (to check, say, that no ModifyDBInstance asked for
        a smaller volume)."""
        m = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = m.group(1) if m else ""
        cbor = _CBOR_PATH.match(environ.get("PATH_INFO", ""))
        if cbor:
            return service, cbor.group(2), {}
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            params = {}
            try:
                doc = json.loads(_read_body(environ) or b"{}")
                params = {k: v for k, v in doc.items() if isinstance(v, (str, int, float, bool))}
            except ValueError:
                pass
            return service, target.rsplit(".", 1)[-1], params
        query = environ.get("QUERY_STRING", "")
        body = b""
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            body = _read_body(environ)
        params = {}
        for part in (query + "&" + body.decode("utf-8", "replace")).split("&"):
            k, _, v = part.partition("=")
            if k:
                params[unquote_plus(k)] = unquote_plus(v)
        action = params.pop("Action", "") or environ.get("REQUEST_METHOD", "") + " " + environ.get("PATH_INFO", "")
        params.pop("Version", None)
        return service, action, params

    def prepare(self, environ, start_response):
        name = ""
        for part in environ.get("QUERY_STRING", "").split("&"):
            if part.startswith("name="):
                name = unquote_plus(part[len("name="):])
        port = environ.get("SERVER_PORT")
        answer = prepare_account(name, "http://127.0.0.1:%s" % port)
        body = json.dumps(answer).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def serve(self, environ, start_response):
        since = 0
        for part in environ.get("QUERY_STRING", "").split("&"):
            if part.startswith("since="):
                since = int(part[len("since="):] or 0)
        with self.lock:
            body = json.dumps([e for e in self.entries if e["seq"] > since]).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def prepare_account(name, endpoint):
    """Creates a certificate, a topic and a bucket through the server itself."""
    import datetime

    import boto3
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    host = name + ".docuflow.example"
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="docuflow", aws_secret_access_key="docuflow")
    acm = boto3.client("acm", **kw)
    arn = acm.import_certificate(
        Certificate=cert.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()),
    )["CertificateArn"]
    topic = boto3.client("sns", **kw).create_topic(Name=name + "-alarms")["TopicArn"]
    bucket = name + "-alb-logs"
    boto3.client("s3", **kw).create_bucket(Bucket=bucket)
    return {"certificateARN": arn, "topicARN": topic, "bucket": bucket}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", help="also append every request to this file, one JSON object per line")
    args = parser.parse_args(argv)
    patch_rds()
    patch_elbv2()
    patch_security_groups()
    patch_rds_performance_insights()
    patch_rds_automated_snapshots()
    patch_application_autoscaling()
    patch_ecs()
    app = DomainDispatcherApplication(create_backend_app)
    app = RequestLog(CBORFront(app), args.log)
    print("local AWS (moto with DocuFlow's test shims) on http://%s:%d" % (args.host, args.port), flush=True)
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    sys.exit(main())
