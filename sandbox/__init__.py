"""In-process stand-ins for the services the bot talks to (Slack, Gumado, Cloutly)."""
