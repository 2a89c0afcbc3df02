"""The CodeDeploy ECS deployment engine: runs each deployment through its lifecycle."""
