"""Operator base classes, the registry, the box policy and the pipeline."""
