"""canary_sandbox: a local AWS on 127.0.0.1 for canary.ecs tests and the demo.

moto answers the services it implements (EC2, ELBv2, ECS, CloudWatch, IAM, ECR, Logs);
this package adds what moto lacks (the CodeDeploy control plane and deployment engine,
alarm evaluation, a data plane) behind the same single endpoint. Not shipped with the
collection.
"""

DEFAULT_REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
