"""Slack's Block Kit limits (SLACK_FACTS §3/§4): the one list builders and their tests read.

Characters are counted as Slack counts them; a builder that cuts untrusted text keeps a margin
(``SECTION_TEXT_BUDGET``) because Slack counts some emoji as two.
"""

from __future__ import annotations

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
"""Blocks in a modal or a Home tab."""
SECTION_TEXT = 3000
SECTION_TEXT_BUDGET = 2900
"""What builders cut section text to: below ``SECTION_TEXT`` with room for wide characters."""
SECTION_FIELDS = 10
SECTION_FIELD_TEXT = 2000
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 2000
HEADER_TEXT = 150
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
URL = 3000
ID = 255
"""``action_id`` and ``block_id``."""
OPTIONS = 100
"""Options in a static select (more become a text input or an external select)."""
OPTION_TEXT = 75
OPTION_VALUE = 150
OVERFLOW_OPTIONS = 5
ALT_TEXT = 2000
PLACEHOLDER = 150
CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON = 100, 300, 30
INPUT_LABEL = 2000
INPUT_VALUE = 3000
"""A ``plain_text_input``'s ``initial_value``."""
MARKDOWN_BLOCK = 12_000
TOP_LEVEL_TEXT = 40_000
BLOCKS_JSON = 12_000
"""Undocumented aggregate: ``msg_blocks_too_long`` is reported at ~13k block characters."""
VIEW_TITLE = 24
PRIVATE_METADATA = 3000
VIEW_BYTES = 250_000
