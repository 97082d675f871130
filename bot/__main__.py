"""Command line: ``reviewbot serve | demo | sandbox | migrate | rotate-key | digest``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import signal
import sys
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from bot import __version__, cli_help
from bot.cli_help import CommandHelp
from bot.config import Settings, load_settings
from bot.crypto import split_keys
from bot.errors import ConfigError, StartupError
from bot.log import configure_logging, get_logger
from storage.engine import display_database_url
from storage.errors import DatabaseURLError, MigrationError


def _secrets(settings: Settings) -> list[str]:
    """Every secret setting (tokens, keys, signing secret), so logs can redact them."""
    values = [getattr(settings, name) for name in type(settings).model_fields]
    secrets = [v.get_secret_value() for v in values if isinstance(v, SecretStr)]
    if settings.encryption_key is not None:  # each key of a rotation's "new,old" too
        secrets += split_keys(settings.encryption_key.get_secret_value())
    return secrets


async def _wait_for_signal() -> None:
    """Return on the first SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _serve(settings: Settings) -> None:
    from bot.app import build_app

    log = get_logger("reviewbot")
    app = await build_app(settings)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as exc:
            raise StartupError(
                f"cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc}); "
                "set HOST/PORT to a free address"
            ) from exc
        log.info(
            "reviewbot started",
            version=__version__,
            mode=settings.mode,
            database=settings.database_kind,
            listen=f"{settings.host}:{settings.port}",
        )
        # Everything built so far (modules, the app, its clients) lives as long as the process:
        # moved out of the collector's generations, full collections stop walking it.
        gc.collect()
        gc.freeze()
        await _wait_for_signal()
        log.info("reviewbot stopping")
    finally:
        await runner.cleanup()
    log.info("reviewbot stopped")


async def _migrate(settings: Settings) -> None:
    from bot.app import migrate_database

    await migrate_database(settings)
    where = display_database_url(settings.database_url)
    get_logger("reviewbot").info("database migrated", database=settings.database_kind, url=where)
    print(f"Migrated the {settings.database_kind} database at {where}: it has the newest schema.")


async def _rotate_key(settings: Settings) -> None:
    from bot.key_rotation import rotate_encryption_key

    counts = await rotate_encryption_key(settings)
    total = sum(counts.values())
    where = ", ".join(f"{n} in {table}" for table, n in counts.items() if n) or "none stored"
    print(
        f"Re-encrypted {total} stored token(s) ({where}) in the {settings.database_kind} "
        "database with the first key of ENCRYPTION_KEY. The other keys can now be removed."
    )


async def _digest(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.app import create_deps
    from bot.digest.cli import DigestOptions, run_digest_command

    options = DigestOptions(
        organization=args.org,
        week=args.week,
        dry_run=args.dry_run,
        channel=args.channel,
        timezone=args.timezone,
        chart=Path(args.chart) if args.chart else None,
        sync=not args.no_sync,
    )
    # A dry run only prints: no Slack. Posting connects the Slack that ``serve`` would.
    deps = await create_deps(settings, connect=not options.dry_run)
    try:
        if not options.dry_run and not deps.slack.connected:
            raise ConfigError(
                "posting a digest needs SLACK_BOT_TOKEN (or OAuth's SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET); add --dry-run to print it instead"
            )
        return await run_digest_command(deps, options, sys.stdout)
    finally:
        await deps.aclose()


async def _sandbox(args: argparse.Namespace) -> None:
    from sandbox.session import start_session

    session = await start_session(
        host=args.host,
        gumado_port=args.gumado_port,
        cloutly_port=args.cloutly_port,
        slack_port=args.slack_port,
        app_url=args.app_url,
    )
    try:
        print(session.exports(), flush=True)
        print("\n" + session.next_steps(), flush=True)
        await _wait_for_signal()
    finally:
        await session.stop()


def _sandbox_client(args: argparse.Namespace) -> int:
    """``reviewbot sandbox show | slash | send-review``: one HTTP call to a running sandbox."""
    from sandbox import session_client as client

    try:
        if args.action == "show":
            print(client.show(args.slack_url or client.slack_url(), args.channel), end="")
        elif args.action == "slash":
            print(client.slash(args.slack_url or client.slack_url(), args.text))
        else:
            root = args.gumado_url or client.gumado_url()
            print(client.send_review(root, rating=args.rating, text=args.text, author=args.author))
    except client.SandboxUnreachable as exc:
        print(f"reviewbot sandbox {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0


def _iso_week(text: str) -> str:
    """argparse type of ``--week``: an ISO week such as 2026-W47."""
    from bot.digest.cli import parse_week

    try:
        parse_week(text)
    except ConfigError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO week such as 2026-W47") from None
    return text


def _rating(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        raise argparse.ArgumentTypeError(f"{text!r} is not a star rating from 1 to 5")
    return value


def _command(sub: Any, name: str, text: CommandHelp) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=text.summary,
        description=text.description,
        epilog=text.epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _add_sandbox(sub: Any) -> None:
    sandbox = _command(sub, "sandbox", cli_help.SANDBOX)
    sandbox.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    sandbox.add_argument("--gumado-port", type=int, default=8101, help="default 8101")
    sandbox.add_argument("--cloutly-port", type=int, default=8102, help="default 8102")
    sandbox.add_argument("--slack-port", type=int, default=8103, help="default 8103")
    sandbox.add_argument(
        "--app-url",
        default="http://127.0.0.1:3000",
        help="your reviewbot serve, where Gumado sends webhooks (default http://127.0.0.1:3000)",
    )
    actions = sandbox.add_subparsers(dest="action", metavar="ACTION")
    slack_url = "the Slack stand-in (default: from SLACK_API_URL, else port 8103)"
    show = _command(actions, "show", cli_help.SANDBOX_SHOW)
    show.add_argument("--channel", default="reviews", help="channel name (default reviews)")
    show.add_argument("--slack-url", help=slack_url)
    slash = _command(actions, "slash", cli_help.SANDBOX_SLASH)
    slash.add_argument("text", help='what follows /reviews, e.g. "subscribe all"')
    slash.add_argument("--slack-url", help=slack_url)
    review = _command(actions, "send-review", cli_help.SANDBOX_SEND_REVIEW)
    review.add_argument("--rating", type=_rating, default=5, help="1 to 5 stars (default 5)")
    review.add_argument("--text", help="the review's text (default: made up)")
    review.add_argument("--author", help="the reviewer's name (default: made up)")
    review.add_argument(
        "--gumado-url", help="the Gumado sandbox (default: from GUMADO_API_URL, else port 8101)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewbot",
        description="Gumado and Cloutly reviews in Slack. Configuration comes from environment "
        "variables; `reviewbot COMMAND --help` lists the ones each command reads.",
        epilog="First time? `reviewbot demo`, then `reviewbot sandbox` to run your own server "
        "against local stand-ins.",
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _command(sub, "serve", cli_help.SERVE)
    _command(sub, "demo", cli_help.DEMO)
    _add_sandbox(sub)
    _command(sub, "migrate", cli_help.MIGRATE)
    _command(sub, "rotate-key", cli_help.ROTATE_KEY)
    digest = _command(sub, "digest", cli_help.DIGEST)
    digest.add_argument("--org", required=True, help="organization name or id")
    digest.add_argument(
        "--week",
        type=_iso_week,
        help="ISO week, e.g. 2026-W47 (default: the last complete week)",
    )
    digest.add_argument("--dry-run", action="store_true", help="print instead of posting")
    digest.add_argument(
        "--channel", help="post in this channel id (default: the subscribed channels)"
    )
    digest.add_argument(
        "--timezone", help="IANA timezone of the week (default: the subscription's, else UTC)"
    )
    digest.add_argument("--chart", help="also write the 12-week chart PNG to this file")
    digest.add_argument(
        "--no-sync", action="store_true", help="skip the catch-up read from the platform"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reviewbot`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command in ("demo", "sandbox") and importlib.util.find_spec("sandbox") is None:
        # The sandboxes are a top-level package of the source tree, not of the Docker image.
        print(
            f"reviewbot {args.command}: needs the sandbox package of the source checkout "
            "(pip install -e . from the repository)",
            file=sys.stderr,
        )
        return 1
    if args.command == "demo":
        from bot.demo import main_demo

        configure_logging("WARNING")
        return main_demo(sys.stdout)
    if args.command == "sandbox" and args.action is not None:
        return _sandbox_client(args)
    if args.command == "sandbox":
        configure_logging("WARNING")
        try:
            asyncio.run(_sandbox(args))
        except OSError as exc:
            print(f"reviewbot sandbox: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130
        return 0
    try:
        settings = load_settings(require_slack=args.command == "serve")
        configure_logging(settings.log_level, secrets=_secrets(settings))
        if args.command == "serve":
            asyncio.run(_serve(settings))
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
        elif args.command == "rotate-key":
            asyncio.run(_rotate_key(settings))
        elif args.command == "digest":
            return asyncio.run(_digest(settings, args))
    except (ConfigError, DatabaseURLError) as exc:
        print(f"reviewbot: configuration error: {exc}", file=sys.stderr)
        return 2
    except (StartupError, MigrationError) as exc:
        print(f"reviewbot: cannot start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
