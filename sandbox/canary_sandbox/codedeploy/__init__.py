"""The CodeDeploy API for the ECS compute platform, which moto only records."""
