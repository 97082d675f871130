"""Fakes at the network edges: the Slack Web API stand-in and the Slack request signer."""
