"""What the ``/reviews`` router hands a subcommand module (``handlers.commands.SlashRequest`` fits)."""

from __future__ import annotations

from typing import Protocol

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.services.directory import Directory

__all__ = ["SlashLike"]


class SlashLike(Protocol):
    """One ``/reviews`` invocation after its ack: who, where, and how to answer."""

    @property
    def deps(self) -> Deps: ...
    @property
    def directory(self) -> Directory: ...
    @property
    def client(self) -> AsyncWebClient: ...
    @property
    def respond(self) -> AsyncRespond: ...
    @property
    def team_id(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def channel_id(self) -> str: ...
    @property
    def trigger_id(self) -> str: ...
    @property
    def text(self) -> str: ...
