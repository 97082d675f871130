"""``/reviews`` routing: help and unknown words."""

from __future__ import annotations

import pytest
from surface_helpers import all_text, run_slash

from handlers.subcommands import subcommands
from harness import running_service


async def test_help_lists_every_subcommand_with_an_example(database_url: str) -> None:
    async with running_service(database_url) as service:
        for text in ("help", "", "  HELP "):
            ack, posts = await run_slash(service, text)
            assert posts == []  # answered in the ack itself
            assert ack is not None
            assert ack["response_type"] == "ephemeral"
            shown = all_text(ack)
            for name in (
                "help",
                "list",
                "invite",
                "subscribe",
                "unsubscribe",
                "subscriptions",
                "digest",
                "connect",
                "disconnect",
                "status",
            ):
                assert f"`{name}`" in shown, name
                example = next(c.example for c in subcommands() if c.name == name)
                assert f"`{example}`" in shown
            # The harness polls every 3600 s; Cloutly has no webhooks and help says so.
            assert "Cloutly has no webhooks" in shown
            assert "every 60 minutes" in shown


async def test_unknown_subcommand_suggests_and_points_to_help(database_url: str) -> None:
    async with running_service(database_url) as service:
        ack, _ = await run_slash(service, "subscibe all")
        assert ack is not None
        assert "I don't know `subscibe`" in ack["text"]
        assert "Did you mean `/reviews subscribe`?" in ack["text"]
        assert "`/reviews help`" in ack["text"]

        ack, _ = await run_slash(service, "<!channel> *x*")
        assert ack is not None
        assert "&lt;!channel&gt;" in ack["text"]  # the echoed word cannot ping anyone
        assert "Did you mean" not in ack["text"]

        ack, _ = await run_slash(service, "stauts")
        assert ack is not None and "`/reviews status`" in ack["text"]


def test_every_subcommand_is_registered_once_in_help_order() -> None:
    from handlers.subcommands import HELP_ORDER, subcommand

    assert [c.name for c in subcommands()] == list(HELP_ORDER)
    with pytest.raises(ValueError, match="registered twice"):
        subcommand("status", "again", "/reviews status")(_noop)


async def _noop(request: object) -> None:
    return None
