"""Slack listeners, one module per surface; ``register(app)`` wires them (issue: notifications)."""
