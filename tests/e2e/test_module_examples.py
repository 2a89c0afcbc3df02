"""Every module's EXAMPLES, run as written against a sandbox of their own.

Each module's EXAMPLES block (read from the source, not imported) becomes the task list of
one play, run with ansible-playbook from the build tree. The examples name the resources
provision.yml creates with its defaults (canary-cluster, canary-canary-app-service,
canary-alb, ...), a service called `checkout` for the CodeDeploy modules, an ECR image, or an
ACM certificate; the fixtures below create exactly those first, so that nothing in an example
is rewritten. The only
thing the play wrapper adds is module_defaults that make ecs_deployment poll every second
and count time in sandbox minutes (a 15-minute bake lasts 15 s there).

The modules run in an order where each one's examples find what they need: elb_listener
last, since its third example deletes the test listener every release uses.
"""

import ast
import datetime
import json
import os
import subprocess

import pytest
import yaml
from release_helpers import TREE, VENV_BIN, playbook

from canary_sandbox.ecr import push_image
from canary_sandbox.stack import make_ecs_stack, put_5xx_alarm

# Its own sandbox and stack (the examples_stack fixture), in the release lane of make e2e.

MODULES = os.path.join(TREE, "plugins", "modules")
ORDER = [
    "codedeploy_deployment_config",
    "codedeploy_deployment_config_info",
    "codedeploy_application",
    "codedeploy_application_info",
    "codedeploy_deployment_group",
    "codedeploy_deployment_group_info",
    "ecs_cluster",
    "ecs_service",
    "ecs_deployment",
    "ecs_deployment_info",
    "release_record",
    "release_record_info",
    "ecs_fleet_release",
    "ecs_fleet_start",
    "ecs_fleet_info",
    "ecs_resource_tags",
    "cloudwatch_alarm_tags",
    "cloudwatch_math_alarm",
    "iam_service_role",
    "iam_service_role_info",
    "elb_listener",
]
ECR_REPOSITORY = "app"  # ecs_deployment's example releases 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v3
DIGESTS = {}  # tag -> digest of the images pushed to ECR_REPOSITORY


def examples_of(module):
    """The EXAMPLES tasks of a module, parsed from its source."""
    with open(os.path.join(MODULES, module + ".py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "EXAMPLES" for target in node.targets):
            tasks = yaml.safe_load(node.value.value)
            assert isinstance(tasks, list) and tasks, f"{module}: EXAMPLES is not a list of tasks"
            return tasks
    raise AssertionError(f"{module} has no EXAMPLES")


def test_every_module_has_its_examples_run():
    found = sorted(name[:-3] for name in os.listdir(MODULES) if name.endswith(".py") and not name.startswith("_"))
    assert sorted(ORDER) == found, "add the new module to ORDER (and whatever its examples need to the fixtures)"


@pytest.fixture(scope="module")
def examples_stack(own_sandbox_env):
    """provision.yml's default stack, plus what the `checkout` examples and the ECR example name."""
    sandbox = own_sandbox_env
    playbook(sandbox, "provision.yml")
    aws = sandbox.clients
    checkout = make_ecs_stack(aws, "checkout", cidr="10.60.0.0/16", cluster="prod", service="checkout", role_name="codedeploy-ecs")
    put_5xx_alarm(aws("cloudwatch"), "checkout-canary-5xx", TreatMissingData="notBreaching")
    for tag in ("v3", "v4"):
        DIGESTS[tag] = push_image(aws, ECR_REPOSITORY, tag)
    return sandbox, checkout


def _run_examples(sandbox, module, tmp_path):
    play = [
        {
            "name": f"EXAMPLES of canary.ecs.{module}",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "module_defaults": {"canary.ecs.ecs_deployment": {"poll_interval": 1}, "canary.ecs.ecs_fleet_release": {"poll_interval": 1}},
            "tasks": examples_of(module),
        }
    ]
    path = tmp_path / f"{module}.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(sandbox.env, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
    process = subprocess.run(
        [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", str(path)],
        cwd=TREE,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    output = process.stdout + process.stderr
    assert process.returncode == 0, f"the EXAMPLES of {module} fail as written:\n{output[-6000:]}"
    return output


def _ensure_application(aws):
    codedeploy = aws("codedeploy")
    if "checkout-app" not in codedeploy.list_applications()["applications"]:
        codedeploy.create_application(applicationName="checkout-app", computePlatform="ECS")


def _ensure_checkout_group(aws, checkout):
    """The group codedeploy_deployment_group's examples create and then delete, for the info examples."""
    _ensure_application(aws)
    if "checkout-canary" not in aws("codedeploy").list_deployment_groups(applicationName="checkout-app")["deploymentGroups"]:
        aws("codedeploy").create_deployment_group(
            **checkout.deployment_group_args(
                "checkout-app", "checkout-canary", alarmConfiguration={"enabled": True, "alarms": [{"name": "checkout-canary-5xx"}]}
            )
        )


def _import_certificate(aws, domain):
    """A self-signed certificate for `domain` in ACM (imported certificates are ISSUED at once)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    aws("acm").import_certificate(
        Certificate=certificate.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


# What each module's examples need beyond the fixture, and what they leave, read back.
def _prepare(module, aws, checkout):
    if module in ("codedeploy_application_info", "codedeploy_deployment_group_info"):
        _ensure_checkout_group(aws, checkout)
    if module == "codedeploy_deployment_group":
        _ensure_application(aws)
    if module in ("ecs_fleet_release", "ecs_fleet_start"):
        _ensure_checkout_group(aws, checkout)
    if module == "elb_listener":
        _import_certificate(aws, "app.example.com")  # the HTTPS example looks it up by domain name


def _check(module, aws):
    """The state the examples leave, read back from the sandbox."""
    if module == "codedeploy_deployment_config":
        names = aws("codedeploy").list_deployment_configs()["deploymentConfigsList"]
        assert "Canary10Percent15Minutes" in names and "Linear20PercentEvery5Minutes" not in names
    elif module == "codedeploy_application":
        assert "checkout-app" not in aws("codedeploy").list_applications()["applications"]
    elif module == "codedeploy_deployment_group":
        assert aws("codedeploy").list_deployment_groups(applicationName="checkout-app")["deploymentGroups"] == []
    elif module == "ecs_deployment":
        service = aws("ecs").describe_services(cluster="canary-cluster", services=["canary-canary-app-service"])["services"][0]
        image = aws("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]["containerDefinitions"][0]["image"]
        # v3 from ECR was released (pinned to its digest); v4 was started and then stopped with a rollback
        assert image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@" + DIGESTS["v3"], image
    elif module in ("ecs_fleet_release", "ecs_fleet_start"):
        # the fleet released v4 to both services (then ecs_fleet_start started v3 and v5 without waiting)
        tag = "v4" if module == "ecs_fleet_release" else None
        for cluster, service in (("canary-cluster", "canary-canary-app-service"), ("prod", "checkout")):
            found = aws("codedeploy").list_deployments(
                applicationName="canary-canary-app" if cluster == "canary-cluster" else "checkout-app",
                deploymentGroupName="canary-canary-app-dg" if cluster == "canary-cluster" else "checkout-canary",
            )["deployments"]
            assert found, (cluster, service)
            if tag:
                arn = aws("ecs").describe_services(cluster=cluster, services=[service])["services"][0]["taskDefinition"]
                image = aws("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0]["image"]
                assert image.endswith(":v4") or image.endswith("@" + DIGESTS["v4"]), image
    elif module == "release_record":
        # v4 released with its record, whose durable copy is in CloudWatch Logs
        events = aws("logs").get_log_events(logGroupName="/canary-ecs/releases", logStreamName="canary-canary-app-service", startFromHead=True)["events"]
        records = [json.loads(event["message"]) for event in events]
        assert records and records[-1]["release"]["image_tag"] == "v4" and records[-1]["change"]["change_ref"] == "CHG-1234", records
    elif module == "ecs_cluster":
        cluster = aws("ecs").describe_clusters(clusters=["checkout"], include=["TAGS"])["clusters"][0]
        assert cluster["status"] == "ACTIVE" and {"key": "canary-ecs:stack", "value": "checkout"} in cluster["tags"], cluster
    elif module == "ecs_service":
        services = aws("ecs").describe_services(cluster="checkout", services=["checkout"])["services"]
        assert [s["status"] for s in services] in ([], ["INACTIVE"]), "the last example deletes the service"
        orders = aws("ecs").describe_services(cluster="checkout", services=["orders"])["services"][0]
        assert orders["deploymentConfiguration"]["strategy"] == "CANARY" and orders["deploymentController"] == {"type": "ECS"}, orders
    elif module == "cloudwatch_alarm_tags":
        alarms = aws("cloudwatch").describe_alarms(AlarmNames=["canary-Canary-5XX-Error-Alarm-blue"])["MetricAlarms"]
        assert alarms == [], "the last example deletes the alarm its stack owns"
    elif module == "cloudwatch_math_alarm":
        alarms = aws("cloudwatch").describe_alarms(AlarmNames=["checkout-5XX-Rate-Above-Baseline-green"])["MetricAlarms"]
        assert alarms == [], "the last example deletes the alarm the first one made"
    elif module in ("iam_service_role", "iam_service_role_info"):
        names = [role["RoleName"] for role in aws("iam").list_roles()["Roles"]]
        assert not {"checkout-execution", "checkout-codedeploy"} & set(names), names
    elif module == "elb_listener":
        elbv2 = aws("elbv2")
        load_balancer = elbv2.describe_load_balancers(Names=["canary-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
        ports = sorted(item["Port"] for item in elbv2.describe_listeners(LoadBalancerArn=load_balancer)["Listeners"])
        assert ports == [80, 443]


@pytest.mark.parametrize("module", ORDER)
def test_module_examples_run_as_written(examples_stack, module, tmp_path):
    sandbox, checkout = examples_stack
    _prepare(module, sandbox.clients, checkout)
    started = datetime.datetime.now()
    _run_examples(sandbox, module, tmp_path)
    _check(module, sandbox.clients)
    print(f"{module}: {len(examples_of(module))} example tasks in {(datetime.datetime.now() - started).total_seconds():.0f}s")
