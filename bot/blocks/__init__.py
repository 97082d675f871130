"""Pure Block Kit builders: plain values in, Slack payloads out; no I/O."""
