"""``/reviews list`` by words, language and replies, on both platforms, paging past dropped ones."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from blocks.limits import assert_message_within_limits, iter_text_objects
from browse_invite_helpers import press
from surface_helpers import all_text, run_slash

from bot.blocks.ids import ACTION_LIST_NEXT, ACTION_LIST_PREV
from harness import Service, running_service
from sandbox.cloutly_data import api_time

PAGE = re.compile(r"page (\d+) of (\d+) · (\d+) reviews?")
JSON = dict

SPANISH = "El café estaba frío y el aparcamiento zeppelin imposible, muy mal servicio."
ENGLISH = "The CAFE zeppelin was cold and parking impossible, bad service."
MIXED = "Great dentist zeppelin! Muy amable, the staff was lovely y el doctor excelente."
FRENCH = "Très bon café zeppelin, personnel adorable."
CAFETERIA = "The zeppelin cafeteria upstairs is fine."


def _where(message: JSON) -> tuple[int, int, int]:
    found = PAGE.search(all_text(message))
    assert found, all_text(message)
    page, pages, total = (int(g) for g in found.groups())
    return page, pages, total


async def _list(service: Service, text: str) -> JSON:
    ack, posts = await run_slash(service, f"list {text}")
    assert ack is None and len(posts) == 1, posts
    return posts[0]


def _shown(message: JSON) -> str:
    return all_text(message).replace("&amp;", "&")


async def _search(service: Service, scope: str) -> None:
    cafe = await _list(service, f"{scope} text:cafe")
    shown = _shown(cafe)
    assert _where(cafe)[2] == 3, shown  # Café, CAFE and café; not cafeteria
    assert "zeppelin cafeteria" not in shown
    assert "mentioning “cafe”" in shown

    spanish = await _list(service, f"{scope} text:zeppelin language:es")
    assert _where(spanish)[2] == 1
    assert "aparcamiento" in _shown(spanish) and "in Spanish" in _shown(spanish)

    english = await _list(service, f"{scope} text:zeppelin language:en")
    assert _where(english)[2] == 3  # English, mostly-English mixed, cafeteria
    assert "aparcamiento" not in _shown(english)

    either = await _list(service, f"{scope} text:zeppelin language:es,fr")
    assert _where(either)[2] == 2

    unanswered = await _list(
        service, f"{scope} zeppelin unanswered".replace(" zeppelin ", " text:zeppelin ")
    )
    assert _where(unanswered)[2] == 4  # the French one was answered
    assert "not answered yet" in _shown(unanswered)
    assert "Très bon" not in _shown(unanswered)


async def test_gumado_words_language_and_unanswered(database_url: str) -> None:
    async with running_service(database_url) as service:
        gumado = service.sandboxes.gumado
        for text in (SPANISH, ENGLISH, MIXED, CAFETERIA):
            gumado.add_review(rating=2, message=text, source="Amazon")
        gumado.add_review(rating=5, message=FRENCH, reply_message="Merci !", source="Amazon")
        # Narrowed at the platform too, so each search reads a page or two (60 calls a minute).
        await _search(service, "connection:gumado org:1 source:Amazon")


async def test_cloutly_words_language_and_unanswered(database_url: str) -> None:
    async with running_service(database_url) as service:
        cloutly = service.sandboxes.cloutly
        for text in (SPANISH, ENGLISH, MIXED, CAFETERIA):
            cloutly.add_review(rating=2, text=text)
        cloutly.add_review(rating=5, text=FRENCH, response="Merci !")
        await _search(service, "connection:cloutly")


async def test_gumado_pages_the_matching_reviews_not_the_platform_pages(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        gumado = service.sandboxes.gumado
        now = datetime.now(UTC)
        for n in range(13):
            gumado.add_review(
                rating=4,
                message=f"Quiet zeppelin number {n}",
                published_on=now - timedelta(hours=n),
                source="Amazon",
            )
        scope = "connection:gumado org:1 source:Amazon"
        first = await _list(service, f"{scope} text:zeppelin rating:>=3")
        assert _where(first) == (1, 2, 13)
        assert "number 0" in _shown(first) and "number 12" not in _shown(first)
        [second] = await press(service, first, ACTION_LIST_NEXT)
        assert _where(second) == (2, 2, 13)
        assert re.findall(r"number (\d+)", _shown(second)) == ["10", "11", "12"]
        [back] = await press(service, second, ACTION_LIST_PREV)
        assert back["blocks"] == first["blocks"]
        jumped = await _list(service, f"{scope} text:zeppelin rating:>=3 page:2")
        assert jumped["blocks"][2:] == second["blocks"][2:]


async def test_cloutly_pages_after_dropping(database_url: str) -> None:
    async with running_service(database_url) as service:
        cloutly = service.sandboxes.cloutly
        now = datetime.now(UTC)
        for n in range(11):
            cloutly.add_review(
                rating=3, text=f"Ruhig zeppelin {n}", createdAt=api_time(now - timedelta(hours=n))
            )
        first = await _list(service, "connection:cloutly text:zeppelin")
        assert _where(first) == (1, 2, 11)
        [second] = await press(service, first, ACTION_LIST_NEXT)
        assert _where(second) == (2, 2, 11)
        assert re.findall(r"zeppelin (\d+)", _shown(second)) == ["10"]


async def test_a_search_reads_at_most_ten_gumado_pages_and_says_so(database_url: str) -> None:
    async with running_service(database_url) as service:
        gumado = service.sandboxes.gumado
        gumado.add_review(rating=3, message="A zeppelin in the waiting room")
        asked_before = len(gumado.requests)
        found = await _list(service, "connection:gumado text:zeppelin")
        assert _where(found)[2] == 1
        assert "Searched the newest 100 of 301 reviews" in _shown(found)
        listed = [q for _, path, q in gumado.requests[asked_before:] if path.endswith("/reviews")]
        # The last page (to learn the order; the poller's baseline reads both ends too), then
        # ten pages from the newest end.
        pages = {int(q.split("page=")[1].split("&")[0]) for q in listed if "page=" in q}
        assert pages <= {*range(1, 11), 31}


async def test_hostile_search_words_stay_escaped_and_within_limits(database_url: str) -> None:
    async with running_service(database_url) as service:
        hostile = "&lt;!channel&gt; *café* `x` " * 3
        service.sandboxes.cloutly.add_review(rating=1, text=f"{hostile} <!here> " * 80)
        found = await _list(service, f'connection:cloutly text:"{hostile}"')
        assert_message_within_limits(found)
        assert _where(found)[2] == 1
        mrkdwn = [t["text"] for t in iter_text_objects(found["blocks"]) if t["type"] == "mrkdwn"]
        assert not any(re.search(r"<!channel|<!here", text) for text in mrkdwn)
