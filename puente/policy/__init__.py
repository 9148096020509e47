"""Markings and the egress gate: the one place that decides what may leave the node."""
