"""CloudWatch alarm evaluation, which moto never does: evaluator, semantics, history."""
