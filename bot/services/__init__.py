"""What handlers and the CLI call: each service owns its transactions."""
