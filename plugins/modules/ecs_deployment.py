#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: canary.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_deployment
short_description: Release an image to an Amazon ECS service through a CodeDeploy blue/green (canary) deployment
version_added: 0.1.0
description:
  - Releases one image (or a full task definition) to one ECS service that uses the C(CODE_DEPLOY)
    deployment controller. It registers the next task definition revision (the live one with the image
    replaced), builds the AppSpec, starts the CodeDeploy deployment and follows it through the traffic
    shift and bake until it succeeds or is rolled back.
  - Before anything is created it checks that the service uses C(CODE_DEPLOY) and belongs to the
    deployment group, that the container and its port exist, that the group's CloudWatch alarms exist and
    none is already in C(ALARM), and, for ECR images, that the image exists. Each failure says what to fix.
  - Idempotent. The same image already live with nothing in flight gives C(changed=false) and no new
    revision. A deployment of the same revision already in flight (a re-run after an interrupted play) is
    attached to and followed, never started twice. A deployment of anything else in flight fails the task,
    naming it.
  - A release that is rolled back (an alarm fired, or it was stopped) fails the task with a message naming
    the alarm and the traffic share it fired at, unless O(fail_on_rollback=false).
  - With O(state=stopped) it stops the service's in-flight deployment (with rollback by default) and is a
    no-op when none is in flight. With O(state=continued) it approves a deployment that waits for approval
    (or ends the original task set's termination wait early).
  - The action plugin of the same name polls the deployment in short module runs and prints a progress
    line (phase, traffic share on the new version, alarm states, elapsed and remaining time) whenever
    something changes, so a 15-minute bake is not silent.
author:
  - canary.ecs contributors (@canary-ecs)
options:
  cluster:
    description:
      - Name or ARN of the ECS cluster of the service.
    type: str
    required: true
  service:
    description:
      - Name or ARN of the ECS service to release to. It must use the C(CODE_DEPLOY) deployment controller.
    type: str
    required: true
  state:
    description:
      - V(deployed) releases O(image), O(image_tag) or O(task_definition), or follows O(deployment_id).
      - V(stopped) stops the in-flight deployment of the service (or O(deployment_id)); a no-op when none is in flight.
      - V(continued) continues the deployment of the service that waits (see O(wait_type)); a no-op when none waits.
    type: str
    default: deployed
    choices: ['deployed', 'stopped', 'continued']
  backend:
    description:
      - Who runs the release. V(codedeploy) - a CodeDeploy blue/green deployment of the service's deployment group (the
        CODE_DEPLOY deployment controller). V(ecs) - ECS's own blue/green, linear or canary deployment (a service with
        the ECS controller and the BLUE_GREEN, LINEAR or CANARY strategy); the service's strategy shifts the traffic.
        V(auto) picks V(ecs) for such a service, else V(codedeploy) (one DescribeServices).
      - "What differs with V(ecs), option by option: O(application_name), O(deployment_group_name) and
        O(deployment_config_name) are CodeDeploy's and refused (the service's own strategy, alarms, bake time and
        approval hook apply); O(deployment_id) is a service deployment ARN; O(state=stopped) always rolls back
        (StopServiceDeployment ROLLBACK; O(rollback=false) is refused); O(state=continued) approves the release waiting at
        its PAUSE hook (ContinueServiceDeployment), and O(wait_type=termination_wait) is refused (ECS cannot end its bake
        time early); O(judge) is refused and O(fast_fail_minutes) does not apply (both read CodeDeploy's task sets);
        O(look=glance) reads the service deployment alone (one call)."
      - The result's RV(deployment_config_name) then names the strategy (V(ECS CANARY 10% for 15 min)), and
        RV(application_name) and RV(deployment_group_name) are null.
    type: str
    default: auto
    choices: ['auto', 'codedeploy', 'ecs']
    version_added: 0.3.0
  container:
    description:
      - Name of the container whose image is released.
      - Defaults to the container behind the service's load balancer.
    type: str
  image:
    description:
      - Full image reference to release, for example V(123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v2) or V(nginx@sha256:...).
      - Mutually exclusive with O(image_tag) and O(task_definition).
    type: str
  image_tag:
    description:
      - Tag to release, on the container's current image repository with this tag.
      - Mutually exclusive with O(image) and O(task_definition).
    type: str
  environment:
    description:
      - Environment variables to set (or change) in the released container, on top of the live ones.
    type: dict
  secret_environment:
    description:
      - Environment variables to set (or change) like O(environment), whose values are sensitive; never printed,
        returned or logged (Ansible replaces them with V(********) wherever they would appear).
      - A name may not be in both O(environment) and O(secret_environment).
      - Values kept in the task definition are readable by whoever may describe it; for real secrets prefer the
        container's C(secrets) (Secrets Manager or SSM Parameter Store references), which every release carries
        into the new revision as they are.
    type: dict
  task_definition:
    description:
      - A complete task definition to release instead of deriving it from the live one, in the shape of
        the ECS C(RegisterTaskDefinition) API (camelCase keys such as C(containerDefinitions)).
      - Its C(family) defaults to the live task definition's.
    type: dict
  application_name:
    description:
      - CodeDeploy application of the deployment group. Found from the service when not given.
    type: str
  deployment_group_name:
    description:
      - CodeDeploy deployment group that deploys the service. Found from the service when not given
        (the group whose ECS services include it); needs O(application_name).
    type: str
  deployment_config_name:
    description:
      - Deployment config for this release only, for example V(CodeDeployDefault.ECSCanary10Percent15Minutes).
      - Defaults to the deployment group's.
    type: str
  description:
    description:
      - Description of the CodeDeploy deployment. Defaults to one naming the released version.
    type: str
  deployment_id:
    description:
      - With O(state=deployed), follow this deployment of the service instead of starting one (report on it,
        and wait for it when O(wait=true)).
      - With O(state=stopped) or O(state=continued), act on this deployment instead of the service's in-flight one.
    type: str
  look:
    description:
      - What one look at a followed deployment (O(deployment_id), O(wait=false)) reads.
      - C(full) reads the deployment, its ECS target and its alarms (three or four API calls) and runs the
        release's checks (O(fast_fail_minutes), O(judge)).
      - C(glance) reads only the ECS target (one API call, for the phase, task sets and traffic share) while it is in progress,
        and returns a partial RV(observation) with C(glance=true) to update a full one with; once the target is
        anything but in progress, it is a full look. The action plugin glances between the changes the plan makes
        due (see O(poll_interval)); a caller of the module can too.
    type: str
    choices: [full, glance]
    default: full
    version_added: 0.3.0
  rollback:
    description:
      - With O(state=stopped), roll the traffic back to the original task set.
    type: bool
    default: true
  wait_type:
    description:
      - With O(state=continued), which wait to end. V(ready_wait) approves a deployment that waits for
        approval before shifting traffic; V(termination_wait) ends the wait before the original task set is terminated.
    type: str
    default: ready_wait
    choices: ['ready_wait', 'termination_wait']
  wait:
    description:
      - Wait until the deployment (and its rollback, if any) ends.
      - With V(false) the module returns once the deployment is started, attached to, stopped or continued.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait. The deployment goes on after a timeout; running the task again attaches to it.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between two looks at the deployment while waiting and nothing is due by the plan (creating,
        installing, waiting for approval). Each look is four API calls when the action plugin prints progress (the
        module run of each look reads the deployment group's alarms too), three when the module waits by itself
        (under C(async)).
      - Once traffic shifts, looks are paced by the deployment config's plan - a look just after each step's end
        and the termination wait's end, and at most four poll intervals apart between them (so a stop CodeDeploy
        makes on its own, an alarm's, is seen that much later at most); every O(poll_interval) during the canary
        step when O(judge.enabled).
    type: int
    default: 15
  judge:
    description:
      - Compare the canary with the baseline running beside it while part of the traffic is on the new version,
        and stop the deployment with rollback as soon as the canary is worse. Each look reads every judged metric of
        both sides since the traffic shift began in one GetMetricData call (with one DescribeTargetGroups and one
        GetDeploymentConfig).
      - "Metrics judged: the target groups' 5xx rate (critical: its failure alone rolls back; Fisher's exact test, or a
        z test with O(judge.error_margin)), their per-minute latency percentile (Mann-Whitney U), and each metric of
        O(judge.metrics) (Mann-Whitney U on its per-minute values)."
      - "The canary's score is the share of judged metrics that passed (Kayenta's): under O(judge.marginal_score)
        it is rolled back at once; under O(judge.pass_score) it is marginal, and a canary still marginal at the end
        of its step is rolled back. A metric with too little data yet is left out of the score."
      - At the last looks of the canary step (the looks within two looks of its end, a look being O(poll_interval)
        plus the few seconds it takes, or the longest gap between two looks seen in the run when that is more;
        or, when the end came between two looks, the first looks after it, which judge the step's own window), a
        verdict still short of data follows O(judge.not_enough_data).
      - The verdict, with every metric's numbers, the test and its p value, is in each look's C(judge) of
        RV(observation), in the progress lines, and in RV(outcome.judge) when the judge stopped the release.
      - Every look tests again on more data, which grows a minute at a time, so a canary step of N minutes makes at
        most N different tests and each tests at (1 - confidence) / N; over the step the chance of rolling back a
        canary as good as its baseline stays below 1 - confidence per metric. Reading the step's length is one
        GetDeploymentConfig call per judged look.
      - CodeDeploy cannot lengthen a time-based canary step, so the judge cannot extend the bake; choose the
        deployment config's interval for the traffic you have (docs/releasing.md, "The judge", says how long).
    type: dict
    version_added: 0.3.0
    suboptions:
      enabled:
        description: Judge the canary.
        type: bool
        default: false
      confidence:
        description: How sure the judge must be that the canary is worse before it rolls back, at least 0.5 and below 1.
        type: float
        default: 0.95
      error_margin:
        description:
          - How much higher the canary's 5xx rate may be than the baseline's before it counts as worse,
            0 or more and below 1 (0.01 is one percentage point). 0 uses Fisher's exact test, above 0 a z test.
        type: float
        default: 0.0
      min_requests:
        description:
          - Requests each side needs before the error rate can pass; fewer give "not enough data".
          - A canary whose few requests already show it worse at the asked confidence (Fisher's exact test, which
            holds at any sample size) fails without waiting for them; with O(judge.error_margin) the z test waits.
        type: int
        default: 50
      latency:
        description: Judge the target groups' per-minute latency (C(TargetResponseTime)) too.
        type: bool
        default: true
      latency_statistic:
        description:
          - The per-minute latency percentile compared, such as C(p50), C(p90) or C(p99).
          - The median is the default because it does not depend on how many requests a side gets; a high percentile
            of the side with more traffic lies higher even for the same version (p99 of 900 requests against p99 of
            100), so with C(p99) give a O(judge.latency_margin), or use it only where both sides get alike traffic.
        type: str
        default: p50
      latency_margin:
        description:
          - How much slower the canary may be before it counts as worse, as a fraction of the baseline's latency,
            0 or more and below 1 (0.1 is 10% slower).
        type: float
        default: 0.0
      min_periods:
        description:
          - Minutes with data each side needs before latency or a metric of O(judge.metrics) gets a verdict, 3 or more.
            At the default confidence a clear difference needs 6.
        type: int
        default: 6
      metrics:
        description:
          - Business metrics to judge besides errors and latency, from CloudWatch, such as a conversion rate the
            application publishes per version. Each needs dimensions that select the canary's data points and
            the baseline's. The baseline's must already be in CloudWatch when the release starts (one ListMetrics
            per metric), or the release is refused before anything is registered.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: The metric's name in verdicts and messages (letters, digits, C(_), C(.), C(-)); not C(error_rate) or C(latency).
            type: str
            required: true
          namespace:
            description: The CloudWatch namespace.
            type: str
            required: true
          metric_name:
            description: The CloudWatch metric name.
            type: str
            required: true
          canary_dimensions:
            description: "Dimensions (name to value) of the canary's data points, for example C({Version: v2})."
            type: dict
            required: true
          baseline_dimensions:
            description: Dimensions (name to value) of the baseline's data points.
            type: dict
            required: true
          statistic:
            description: The per-minute statistic compared (C(Average), C(Sum), C(Minimum), C(Maximum), C(SampleCount) or C(pNN)).
            type: str
            default: Average
          worse_when:
            description: Whether the canary is worse when its values are C(higher) (errors, latency) or C(lower) (conversions).
            type: str
            choices: [higher, lower]
            default: higher
          margin:
            description: How much worse the canary may be, as a fraction of the baseline's values, 0 or more and below 1.
            type: float
            default: 0.0
          critical:
            description: Roll back when this metric alone fails, whatever the score.
            type: bool
            default: false
      pass_score:
        description: The score (0-100) a canary needs to pass; under it the canary is marginal (Kayenta's default, 95).
        type: float
        default: 95.0
      marginal_score:
        description: Under this score (0-100, at most O(judge.pass_score)) the canary is rolled back at once (Kayenta's default, 75).
        type: float
        default: 75.0
      not_enough_data:
        description:
          - What happens when the canary step is about to end and the judge has too little data to tell.
          - C(rollback) (the safe default) stops the release with rollback; C(proceed) lets the deployment go on,
            with the verdict saying why.
        type: str
        choices: [rollback, proceed]
        default: rollback
  fast_fail_minutes:
    description:
      - Stop the deployment with rollback when its replacement tasks are not all running this many minutes after
        CodeDeploy began installing them (its C(Install) event), instead of CodeDeploy's own hour. V(0) turns it off.
      - While tasks are missing, each look past the first minute of C(Install) reads the service's stopped tasks
        (C(ecs:ListTasks) and C(ecs:DescribeTasks)) to name why, such as a container's exit code,
        C(CannotPullContainerError) or failed ELB health checks; the reasons are in C(startup) of RV(observation), the
        progress lines and RV(outcome.startup).
      - Allow for the image pull, the container's start and the target group's health checks (its healthy threshold
        times its interval); the service's health check grace period counts too.
      - Acts only while the action plugin or the module is following the deployment; with O(wait=false) nothing watches.
    type: float
    default: 10
    version_added: 0.3.0
  fail_on_rollback:
    description:
      - Fail the task when the release is rolled back (an alarm fired, the judge stopped it, or it was stopped).
    type: bool
    default: true
  pin_digest:
    description:
      - For an image in a private ECR repository named by tag, resolve the tag to its digest (C(ecr:DescribeImages), which
        the preflight reads anyway) and name the image by digest in the new revision (C(repository@sha256:...)), so that
        a tag pushed again later cannot change what the service runs. The tag stays in RV(version) and in the record;
        RV(image_digest) is the digest.
      - Releasing the same tag again releases nothing when it still names the live digest, and releases the new image
        when the tag was pushed again.
      - Images outside ECR (Docker Hub, ECR Public) are released as named.
    type: bool
    default: true
    version_added: 0.3.0
  image_scan:
    description:
      - The image gate on ECR's scan findings (C(ecr:DescribeImageScanFindings)), checked before anything is registered,
        in check mode too. Off unless O(image_scan.severity) is set; needs an image in a private ECR repository.
    type: dict
    version_added: 0.3.0
    suboptions:
      severity:
        description:
          - Findings of this severity or a worse one refuse the release, naming their count by severity
            (V(HIGH) refuses an image with C(HIGH) or C(CRITICAL) findings).
        type: str
        choices: [CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL]
      unscanned:
        description:
          - What an image without a finished scan gets. V(refuse) (the safe default) refuses it; V(wait) waits for a scan
            in progress up to O(image_scan.wait_minutes) (an image never scanned is refused); V(allow) releases it, the
            result saying it was not scanned.
        type: str
        choices: [refuse, wait, allow]
        default: refuse
      wait_minutes:
        description:
          - How long V(wait) waits for a scan in progress (above 0, at most 1440).
        type: float
        default: 10
  record:
    description:
      - Keep an audit record of the release (see M(canary.ecs.release_record)). Each run (a start, an attach, an
        approval with O(state=continued), a stop) adds to the deployment's record what it did, who did it (the caller's
        ARN from STS) and what it saw. The module writes it as the run starts (or attaches to, stops or continues) the
        release, in the same process, so an interrupted play still leaves who started what; the action plugin writes
        the end of a followed run (through M(canary.ecs.release_record)), also when the release failed or was rolled
        back. The record is in RV(release_record).
      - The settings are checked before anything is released; a record that cannot then be written is a warning
        (the release happened), with the reason in RV(release_record_error).
      - Not in check mode (nothing is released).
      - Secret values are not recorded. O(secret_environment) is recorded by name only, and any secret value in a message is masked.
    type: dict
    version_added: 0.3.0
    suboptions:
      directory:
        description:
          - Directory of the record files (C(<deployment id>.json)) and their HTML reports (created when missing).
          - At least one of O(record.directory), O(record.log_group) and O(record.s3_bucket).
        type: path
      change_ref:
        description:
          - The change this release belongs to (a ticket, a change request), recorded as the reason for it.
        type: str
      report:
        description:
          - Write the HTML report (C(<deployment id>.html)) beside the record file.
        type: bool
        default: true
      log_group:
        description:
          - CloudWatch Logs group each write of the record is appended to (the durable copy).
        type: str
      log_stream:
        description:
          - Stream of O(record.log_group). Defaults to the service's name.
        type: str
      s3_bucket:
        description:
          - S3 bucket that holds a copy of each release's record, one object per release
            (C(<s3_prefix><service>/<deployment id>.json)), replaced by each write; version the bucket to keep every write.
        type: str
      s3_prefix:
        description:
          - Key prefix of the records in O(record.s3_bucket).
        type: str
        default: release-records/
      metrics:
        description:
          - Once the release ended, add the per-minute requests and 5xx errors of both versions to the record.
        type: bool
        default: true
notes:
  - Supports check mode. It runs every preflight check (read-only calls), then reports the revision and
    deployment it would create; nothing is registered or started.
  - The upstream C(community.aws.ecs_service) module ignores task definition changes on C(CODE_DEPLOY)
    services; this module is how such a service gets a new version.
  - Needs C(ecs:DescribeServices), C(ecs:DescribeTaskDefinition), C(ecs:RegisterTaskDefinition), C(ecs:TagResource),
    C(iam:PassRole) (for the task and execution roles), C(codedeploy:ListApplications), C(codedeploy:BatchGetApplications),
    C(codedeploy:ListDeploymentGroups), C(codedeploy:BatchGetDeploymentGroups), C(codedeploy:GetDeploymentGroup),
    C(codedeploy:GetDeploymentConfig), C(codedeploy:ListDeployments), C(codedeploy:BatchGetDeployments),
    C(codedeploy:GetDeployment), C(codedeploy:CreateDeployment), C(codedeploy:BatchGetDeploymentTargets),
    C(codedeploy:StopDeployment), C(codedeploy:ContinueDeployment), C(cloudwatch:DescribeAlarms), for fast fail
    C(ecs:ListTasks) and C(ecs:DescribeTasks), for ECR images C(ecr:DescribeImages), and with O(image_scan)
    C(ecr:DescribeImageScanFindings).
seealso:
  - module: canary.ecs.ecs_deployment_info
  - module: canary.ecs.codedeploy_deployment_group
  - name: AppSpec for an Amazon ECS deployment
    description: The AppSpec file this module builds.
    link: https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Release v2 of the app's image as a canary and wait for the bake
  canary.ecs.ecs_deployment:
    cluster: canary-cluster
    service: canary-canary-app-service
    image_tag: v2
  register: release

- name: Release a full image reference with one environment variable changed, for this release a linear config
  canary.ecs.ecs_deployment:
    cluster: canary-cluster
    service: canary-canary-app-service
    container: app
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v3
    environment:
      FEATURE_FLAGS: checkout-v2
    deployment_config_name: CodeDeployDefault.ECSLinear10PercentEvery1Minutes
    wait_timeout: 1800

- name: Keep going when the release is rolled back, and look at why
  canary.ecs.ecs_deployment:
    cluster: canary-cluster
    service: canary-canary-app-service
    image_tag: v3
    fail_on_rollback: false
  register: release

- name: Show which alarm stopped it
  ansible.builtin.debug:
    msg: "{{ release.outcome.alarm }} fired at {{ release.outcome.alarm_traffic_share }}% traffic"
  when: release.outcome.rolled_back | default(false)  # no outcome when nothing was released

- name: Start a release and return at once
  canary.ecs.ecs_deployment:
    cluster: canary-cluster
    service: canary-canary-app-service
    image_tag: v4
    wait: false

- name: Stop the in-flight release and roll back (a no-op when nothing is in flight)
  canary.ecs.ecs_deployment:
    cluster: canary-cluster
    service: canary-canary-app-service
    state: stopped
    rollback: true

- name: Approve a release that waits for approval
  canary.ecs.ecs_deployment:
    cluster: canary-cluster
    service: canary-canary-app-service
    state: continued
"""

RETURN = r"""
deployment_id:
  description: The CodeDeploy deployment started, attached to, stopped or continued.
  returned: when a deployment was involved
  type: str
  sample: d-ABCDEF123
status:
  description:
    - CodeDeploy status of the deployment when the module returned (C(Succeeded), C(Failed), C(Stopped), C(InProgress), ...).
    - V(Live) when the release was already live and nothing was done.
  returned: state=deployed
  type: str
  sample: Succeeded
phase:
  description: Where the deployment is, in words (starting, installing replacement, canary, draining original, succeeded, rolled back, ...).
  returned: when a deployment was followed
  type: str
  sample: succeeded
attached:
  description: Whether the module attached to a deployment already in flight instead of starting one.
  returned: when a deployment was followed
  type: bool
  sample: false
application_name:
  description: CodeDeploy application of the deployment group.
  returned: state=deployed
  type: str
  sample: canary-app
deployment_group_name:
  description: CodeDeploy deployment group used.
  returned: state=deployed
  type: str
  sample: canary-app-dg
deployment_config_name:
  description: Deployment config of the release.
  returned: when a release is started or would be
  type: str
  sample: CodeDeployDefault.ECSCanary10Percent15Minutes
container:
  description: The container whose image was released.
  returned: when a release is started, attached to or already live
  type: str
  sample: app
image:
  description: The image released.
  returned: when a release is started, attached to or already live
  type: str
  sample: canary-app:v2
version:
  description: The released image's tag (or short digest).
  returned: when a release is started, attached to or already live
  type: str
  sample: v2
task_definition_arn:
  description: The task definition revision the deployment releases (registered by this run unless attached or already live).
  returned: when a deployment was followed or the release is live
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/canary-app:7
previous_task_definition_arn:
  description: The task definition that was live before the release.
  returned: when a release is started, attached to or already live
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/canary-app:6
live_task_definition_arn:
  description: The task definition serving production when the module returned (the new one after success, the previous one after a rollback).
  returned: when the release ended or was already live
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/canary-app:7
task_definition:
  description: The task definition that would be registered.
  returned: in check mode, when a release would start
  type: dict
appspec:
  description: The AppSpec of the deployment (in check mode, with a placeholder for the revision's ARN).
  returned: when a release is started or would be
  type: dict
  sample:
    version: 0.0
    Resources:
      - TargetService:
          Type: AWS::ECS::Service
          Properties:
            TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/canary-app:7
            LoadBalancerInfo: {"ContainerName": "app", "ContainerPort": 80}
alarm_names:
  description:
    - The CloudWatch alarms that stop this release, watched while it runs. They are the deployment group's alarms
      except those that read only the live version's target group (see RV(alarms_left_out)); an attached or followed
      deployment reports the alarms it was started with.
  returned: when a deployment was followed
  type: list
  elements: str
  sample: ["canary-Canary-5XX-Error-Alarm-green"]
alarms_left_out:
  description:
    - The deployment group's alarms this release does not stop on, because they read only the target group of the
      version live now (the baseline). CreateDeployment's C(overrideAlarmConfiguration) leaves them out, so a failing
      live version can be repaired by releasing a better one. Alarms that read no target group, or the canary's,
      always stop a release; a comparison alarm (metric math) is kept when its queries whose id starts with
      C(canary) read the target group the release goes to.
  returned: when a release was started
  type: list
  elements: str
  sample: ["canary-Canary-5XX-Error-Alarm-blue"]
  version_added: 0.3.0
plan:
  description: The traffic plan of the deployment config and the group's termination wait.
  returned: when a release is started or would be
  type: dict
  contains:
    type:
      description: TimeBasedCanary, TimeBasedLinear or AllAtOnce.
      type: str
    steps:
      description: Traffic share after each step and the minutes before the next one.
      type: list
      elements: dict
    shift_minutes:
      description: Minutes from the first shift to 100%.
      type: float
    termination_wait_minutes:
      description: Minutes the original task set is kept after the full shift.
      type: float
    wait_for_approval:
      description: Whether the group waits for approval before shifting traffic.
      type: bool
    minute_seconds:
      description: Real seconds per CodeDeploy minute used for the time-left estimates (60 against AWS).
      type: float
progress:
  description: The last progress report.
  returned: when a deployment was followed
  type: dict
  contains:
    phase:
      description: Where the deployment is, in words.
      type: str
    status:
      description: CodeDeploy status.
      type: str
    traffic_share:
      description: Percent of production traffic on the new task set.
      type: float
    alarms:
      description: State of each alarm (OK, ALARM, INSUFFICIENT_DATA).
      type: dict
    elapsed_seconds:
      description: Seconds since the deployment was created.
      type: float
    remaining_seconds:
      description: Estimated seconds until the deployment ends, when it can be told.
      type: float
timeline:
  description: What was seen while following the deployment, in order, with times.
  returned: when a deployment was followed
  type: list
  elements: dict
  contains:
    kind:
      description: status, traffic, alarm, rollback, judge or startup (the replacement's tasks stopping, fast fail).
      type: str
    at:
      description: When (ISO 8601, UTC).
      type: str
    message:
      description: What happened.
      type: str
    traffic_share:
      description: Traffic on the new version (traffic events, and alarm events going to ALARM).
      type: float
    alarm:
      description: Alarm name (alarm events).
      type: str
    alarm_state:
      description: The alarm's new state (alarm events).
      type: str
    between_looks:
      description:
        - True on a traffic event of a step of the plan that began and ended between two looks (a short step, a slow
          controller); its time is the plan's, counted from the start of CodeDeploy's AllowTraffic event. For a
          deployment stopped or rolled back, only the steps due before its AllowTraffic event ended.
      type: bool
  sample: [{"kind": "traffic", "at": "2026-11-26T06:00:03.12Z", "message": "10% of production traffic on the replacement task set", "traffic_share": 10.0}]
outcome:
  description: How the release ended.
  returned: when the deployment ended
  type: dict
  contains:
    succeeded:
      description: Whether all traffic moved to the new version.
      type: bool
    rolled_back:
      description: Whether traffic went back to the original task set.
      type: bool
    alarm:
      description: The alarm that fired, if one did.
      type: str
    alarm_traffic_share:
      description: Percent of traffic on the new version when the alarm fired.
      type: float
    alarm_at:
      description: When the alarm fired (ISO 8601, UTC).
      type: str
    judge:
      description:
        - The verdict that stopped the release when O(judge.enabled), with C(verdict) (fail), C(score), C(failed) (the
          metrics that failed), C(metrics) (each metric's verdict with its C(canary) and C(baseline) numbers, C(test),
          C(p_value), C(margin), C(critical)), C(policy) when O(judge.not_enough_data) decided it, C(confidence),
          C(traffic_share), C(at) and the target groups.
        - Also the failed verdict of a release that succeeded because CodeDeploy finished before the judge's stop
          reached it (looks far apart, a short termination wait); the task fails then, with the new version live.
        - Also the open verdict (C(not enough data), C(marginal)) a release went through with, with its C(policy).
      type: dict
      version_added: 0.3.0
    startup:
      description:
        - What stopped the release when its replacement tasks did not all run within O(fast_fail_minutes), with
          C(running_count), C(desired_count), C(stopped_count), C(reasons) (each C(reason) with its C(count)),
          C(waited_seconds), C(limit_seconds), C(limit_minutes), C(traffic_share) and C(at).
      type: dict
      version_added: 0.3.0
    message:
      description: The outcome in a sentence.
      type: str
target_groups:
  description: The target groups of the new version (C(new), the replacement task set's) and of the original (C(old)), as seen while following.
  returned: when the module followed the deployment to its end
  type: dict
  sample: {"new": "canary-tg-green", "old": "canary-tg-blue"}
  version_added: 0.3.0
observation:
  description:
    - The last raw look at the deployment (status, task sets with weights, lifecycle events, alarm states; times as epoch seconds).
    - With O(judge.enabled), C(judge) holds the look's verdict during the canary step (pass, marginal, fail or not enough data, with every metric's numbers).
    - While the replacement's tasks are not all running during C(Install), C(startup) holds their counts and why tasks stopped (O(fast_fail_minutes)).
    - After a glance (O(look=glance)), only the target's part (C(glance) true, C(status), C(target_status), C(task_sets),
      C(lifecycle_events), C(traffic_share), C(observed_at), C(deployment_id)).
  returned: when a deployment was followed
  type: dict
stopped:
  description: Deployments stopped.
  returned: state=stopped
  type: list
  elements: str
  sample: ["d-ABCDEF123"]
continued:
  description: Deployments continued.
  returned: state=continued
  type: list
  elements: str
  sample: ["d-ABCDEF123"]
image_digest:
  description: The released image's digest, for an image in a private ECR repository (see O(pin_digest)).
  returned: when the image is in ECR
  type: str
  sample: sha256:4f5e0c1d2b3a49586f7e8d9c0b1a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a
  version_added: 0.3.0
image_scan:
  description: What the image gate found in the image's ECR scan (status, counts by severity, waited_seconds), when O(image_scan.severity) is set.
  returned: when O(image_scan.severity) is set and the release was not refused
  type: dict
  sample: {"status": "COMPLETE", "counts": {"MEDIUM": 2, "LOW": 7}, "waited_seconds": 0}
  version_added: 0.3.0
release_record:
  description: The release's audit record after this run (see RV(canary.ecs.release_record#module:record)).
  returned: when O(record) is set, a deployment is known, and not in check mode
  type: dict
release_record_path:
  description: The record file written.
  returned: when O(record.directory) is set and the record was written
  type: str
  sample: /srv/audit/releases/d-ABCDEF123.json
release_report_path:
  description: The HTML report written.
  returned: when O(record.directory) is set and the record was written
  type: str
  sample: /srv/audit/releases/d-ABCDEF123.html
release_record_error:
  description: Why the record could not be written.
  returned: when writing the record failed
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.canary.ecs.plugins.module_utils._release.options import ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_BY, problem
from ansible_collections.canary.ecs.plugins.module_utils._release.recorded import run_recorded
from ansible_collections.canary.ecs.plugins.module_utils.modules import AnsibleCanaryECSModule


def main():
    module = AnsibleCanaryECSModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE, required_by=REQUIRED_BY, supports_check_mode=True)
    wrong = problem(module.params)
    if wrong:
        module.fail_json(msg=wrong)
    try:
        result, failed = run_recorded(module)
    except AnsibleAWSError as error:
        module.fail_json_aws_error(error)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if failed:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
