"""What ``reviewbot <command> --help`` says: what the command does, its variables, the defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandHelp:
    summary: str
    """One line in ``reviewbot --help``."""
    description: str
    epilog: str


_DATABASE = """\
  DATABASE_URL     sqlite:///path/to/file.db or postgresql://user:password@host:5432/name
                   (default sqlite:///./reviewbot.db, a file in the current folder)"""

_ENCRYPTION = """\
  ENCRYPTION_KEY   a Fernet key; encrypts stored tokens (needed for OAuth and for the
                   Gumado/Cloutly connections made in Slack). Make one with
                   python3 -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\""""

SERVE = CommandHelp(
    summary="run the Slack app server (HTTP on HOST:PORT; migrates the database first)",
    description="""\
Run the Slack app: it answers Slack's requests at /slack/events, receives Gumado webhooks
at /webhooks/gumado/GUMADO_WEBHOOK_KEY, polls Cloutly, and posts review cards. At start it
checks the bot token with Slack (auth.test), then brings the database to the newest schema.
Health check: GET /healthz; Prometheus metrics: GET /metrics. Stops on Ctrl-C or SIGTERM.""",
    epilog=f"""\
required:
  SLACK_BOT_TOKEN       xoxb-… (api.slack.com/apps → your app → OAuth & Permissions), or
                        SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth (many workspaces)
  SLACK_SIGNING_SECRET  Basic Information → App Credentials (not needed with SLACK_APP_TOKEN)

optional (defaults in brackets):
{_DATABASE}
{_ENCRYPTION}
  SLACK_APP_TOKEN       xapp-… to use Socket Mode instead of a public HTTPS URL
  SLACK_API_URL         [https://slack.com/api/]
  PUBLIC_URL            the https URL Slack and Gumado reach this server at
  HOST, PORT            [0.0.0.0, 3000]
  GUMADO_API_URL        [https://gumado.com/api/v1]; GUMADO_API_TOKEN, GUMADO_WEBHOOK_KEY
  CLOUTLY_API_URL       [https://app.cloutly.com/api/v1]; CLOUTLY_API_KEY
  POLL_INTERVAL_SECONDS [60]
  ADMIN_USER_IDS        who may configure besides Slack's admins and owners [none]
  LOG_LEVEL             [INFO]  DEBUG, INFO, WARNING or ERROR

No Slack app yet? `reviewbot sandbox` prints a working set of these for local stand-ins.
Exit status: 0 stopped cleanly, 1 could not start, 2 configuration error.""",
)

DEMO = CommandHelp(
    summary="run the whole flow on this machine with no credentials and no network: "
    "sandboxes, a Slack stand-in and the real server; prints what Slack would show",
    description="""\
Run the whole flow on this machine, with no credentials and no network: starts the Gumado
and Cloutly sandboxes, a Slack stand-in and the real server on loopback ports, subscribes
#reviews, lets reviews arrive, and prints the channel as a person in Slack would see it.
Takes about 15 seconds; leaves nothing behind (its SQLite database is temporary).""",
    epilog="""\
variables: none (the environment is ignored).
Next: `reviewbot sandbox` runs the same stand-ins for a `reviewbot serve` of your own.""",
)

SANDBOX = CommandHelp(
    summary="run local Gumado, Cloutly and Slack stand-ins and print the exports that "
    "point `reviewbot serve` at them",
    description="""\
Run local stand-ins for Gumado, Cloutly and Slack, and print one block of `export` lines
(a bot token, signing secret, a fresh ENCRYPTION_KEY, the platforms' URLs and tokens, a
SQLite database file in the current folder) with which `reviewbot serve` runs against them.
Paste them in another terminal and run `reviewbot serve`; then use the actions below from a
third one. The stand-ins keep everything in memory; each run starts afresh and replaces the
previous run's reviewbot-sandbox.db. Stops on Ctrl-C.

actions (talk to a running `reviewbot sandbox` over HTTP):
  reviewbot sandbox slash "subscribe all"    send /reviews to your server, signed as Slack does
  reviewbot sandbox send-review --rating 2   Gumado gets a review and sends its webhook
  reviewbot sandbox show                     #reviews as the admin sees it, cards included""",
    epilog="""\
variables: none. Defaults: --host 127.0.0.1, --gumado-port 8101, --cloutly-port 8102,
--slack-port 8103, --app-url http://127.0.0.1:3000 (where Gumado sends its webhooks: the
address `reviewbot serve` listens on; the exports set HOST and PORT to match).
The channel is also a web page: http://127.0.0.1:8103/channel/reviews""",
)

SANDBOX_SHOW = CommandHelp(
    summary="print a channel of the Slack stand-in as the admin sees it",
    description="Print a channel of the running sandbox's Slack stand-in as the seeded admin "
    "(@ada) sees it: messages, cards, thread replies and the replies only they see.",
    epilog="variables: SLACK_API_URL (from the exports) finds the stand-in, "
    "else http://127.0.0.1:8103.",
)

SANDBOX_SLASH = CommandHelp(
    summary="send /reviews TEXT to your server as the admin in #reviews",
    description="Send `/reviews TEXT` to your `reviewbot serve`, signed with the run's signing "
    "secret as Slack signs it, from the seeded admin (@ada) in #reviews; print the replies.",
    epilog='example: reviewbot sandbox slash "subscribe all"\n'
    "variables: SLACK_API_URL (from the exports) finds the stand-in, "
    "else http://127.0.0.1:8103.",
)

SANDBOX_SEND_REVIEW = CommandHelp(
    summary="add a review to the Gumado sandbox; it sends the webhook to your server",
    description="Add a review to the running Gumado sandbox. Like Gumado, the sandbox then "
    "sends a review-created webhook to your server (the --app-url of `reviewbot sandbox`), "
    "which posts a card in the subscribed channels.",
    epilog="defaults: --rating 5, a text and an author made up by the sandbox.\n"
    "variables: GUMADO_API_URL (from the exports) finds the sandbox, "
    "else http://127.0.0.1:8101.",
)

MIGRATE = CommandHelp(
    summary="apply database migrations to DATABASE_URL and exit",
    description="Bring the database of DATABASE_URL to the newest schema and exit (`serve` does "
    "this at start too). Safe to run again; replicas starting together wait for each other.",
    epilog=f"""\
variables:
{_DATABASE}
A PostgreSQL database must exist first: createdb -h HOST -U USER NAME""",
)

ROTATE_KEY = CommandHelp(
    summary="re-encrypt every stored token with the first key of ENCRYPTION_KEY "
    "(set ENCRYPTION_KEY=new,old first; afterwards new alone)",
    description="""\
Re-encrypt every stored token (OAuth installations, Gumado and Cloutly connections) with
the first key of ENCRYPTION_KEY. To rotate: set ENCRYPTION_KEY=NEW,OLD (newest first) for
the running servers and this command, run it, then set ENCRYPTION_KEY=NEW alone.""",
    epilog=f"""\
variables:
  ENCRYPTION_KEY   required: the new key first, then the old one(s), separated by commas
{_DATABASE}""",
)

DIGEST = CommandHelp(
    summary="print (--dry-run) or post one organization's digest of one ISO week",
    description="Print (--dry-run) or post one organization's weekly digest: counts, average "
    "rating, the best and worst reviews of one ISO week (Monday to Monday in --timezone).",
    epilog=f"""\
variables:
{_DATABASE}
  SLACK_BOT_TOKEN  to post (not needed with --dry-run); SLACK_API_URL [https://slack.com/api/]
  GUMADO_*, CLOUTLY_*, ENCRYPTION_KEY  for the catch-up read (skip it with --no-sync)
example: reviewbot digest --org "Bright Smile Dental" --week 2026-W47 --dry-run""",
)
