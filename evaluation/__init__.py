"""Evaluation tools, outside the runtime package: entity, held-out FAQ, NLU cross-validation
and safety scores."""
