"""``/reviews list`` through real HTTP: ack at once, page forwards and back, filters, Cloutly."""

from __future__ import annotations

import math
import re
import time

from browse_invite_helpers import nav_value, press
from surface_helpers import all_text, run_slash

from bot.blocks.ids import ACTION_LIST_NEXT, ACTION_LIST_PREV
from harness import Service, running_service
from sandbox.runner import RunningSandboxes, start_sandboxes

PAGE = re.compile(r"page (\d+) of (\d+) · (\d+) reviews?")
JSON = dict


def _where(message: JSON) -> tuple[int, int, int]:
    found = PAGE.search(all_text(message))
    assert found, all_text(message)
    page, pages, total = (int(g) for g in found.groups())
    return page, pages, total


def _stars(message: JSON) -> list[int]:
    return [int(m) for m in re.findall(r"\*[★☆]{5} (\d)/5\*", all_text(message))]


async def _list(service: Service, text: str, *, user_id: str = "U0ADMIN") -> JSON:
    ack, posts = await run_slash(service, f"list {text}".strip(), user_id=user_id)
    assert ack is None, "the command is acknowledged with an empty 200, the answer follows"
    assert len(posts) == 1, posts
    assert posts[0]["response_type"] == "ephemeral"
    return posts[0]


async def test_gumado_pages_forwards_and_back_and_after_a_restart(database_url: str) -> None:
    boxes = await start_sandboxes()
    try:
        await _pages_and_restart(database_url, boxes)
    finally:
        await boxes.stop()


async def _pages_and_restart(database_url: str, boxes: RunningSandboxes) -> None:
    async with running_service(database_url, sandboxes=boxes) as service:
        sandbox = service.sandboxes.gumado
        first = await _list(service, "")
        assert "Gumado (gumado)" in all_text(first)
        assert "Also connected: `connection:cloutly`" in all_text(first)
        page, pages, total = _where(first)
        assert (page, total) == (1, len(sandbox.reviews)) and pages == math.ceil(total / 10)
        assert len(_stars(first)) == 10
        assert nav_value(first, ACTION_LIST_PREV) is None

        [second] = await press(service, first, ACTION_LIST_NEXT)
        assert second["replace_original"] is True and second["response_type"] == "ephemeral"
        assert _where(second)[0] == 2
        [again] = await press(service, second, ACTION_LIST_PREV)
        assert again["blocks"] == first["blocks"]
        # Gumado's own pagination: page=2 was asked for, 10 a page.
        assert any(
            "page=2" in query for _, path, query in sandbox.requests if path.endswith("/reviews")
        )
        next_value = nav_value(first, ACTION_LIST_NEXT)

    # A new process on the same database: the button still knows where it was.
    async with running_service(database_url, sandboxes=boxes) as restarted:
        [after_restart] = await press(restarted, {"blocks": first["blocks"]}, ACTION_LIST_NEXT)
        assert after_restart["blocks"] == second["blocks"]
        assert next_value is not None


async def test_gumado_filters_go_to_the_platform(database_url: str) -> None:
    async with running_service(database_url) as service:
        sandbox = service.sandboxes.gumado
        org = sandbox.organizations[2]
        message = await _list(
            service, f'connection:gumado org:"{org.name.upper()}" rating:5 source:google'
        )
        expected = [
            r
            for r in sandbox.reviews.values()
            if r.organization_id == 2 and r.rating == 5 and r.source.name == "Google"
        ]
        assert _where(message)[2] == len(expected) > 0
        assert set(_stars(message)) == {5}
        assert f"of {org.name}".replace("&", "&amp;") in all_text(message)
        asked = [q for _, path, q in sandbox.requests if path.endswith("/reviews")]
        assert any("rating=5" in q and "organization_id=2" in q and "Google" in q for q in asked)


async def test_a_rating_range_is_merged_and_pages_both_ways(database_url: str) -> None:
    async with running_service(database_url) as service:
        sandbox = service.sandboxes.gumado
        low = [r for r in sandbox.reviews.values() if r.rating <= 2]
        first = await _list(service, "connection:gumado rating:<=2")
        page, pages, total = _where(first)
        assert (page, total, pages) == (1, len(low), math.ceil(len(low) / 10))
        assert set(_stars(first)) <= {1, 2} and len(_stars(first)) == 10
        [second] = await press(service, first, ACTION_LIST_NEXT)
        [third] = await press(service, second, ACTION_LIST_NEXT)
        assert _where(third)[0] == 3 and set(_stars(third)) <= {1, 2}
        [back] = await press(service, third, ACTION_LIST_PREV)
        assert back["blocks"] == second["blocks"]
        # page:N walks the merge from the start and lands on the same page.
        jumped = await _list(service, "connection:gumado rating:1-2 page:3")
        assert jumped["blocks"][2:] == third["blocks"][2:]
        assert _where(jumped) == _where(third)


async def test_empty_results_and_bad_filters_say_what_to_do(database_url: str) -> None:
    async with running_service(database_url) as service:
        empty = await _list(service, "connection:gumado location:999999")
        assert "No reviews match this filter" in all_text(empty)
        assert "wider" in all_text(empty)

        bad = await _list(service, "rating:9")
        assert "ratings go from 1 to 5" in all_text(bad)
        unknown = await _list(service, 'org:"Nowhere Dental"')
        assert "I don't know an organization called `Nowhere Dental`" in all_text(unknown)
        assert "Organizations:" in all_text(unknown)
        nobody = await _list(service, "connection:elsewhere")
        assert "no connection called `elsewhere`" in all_text(nobody)
        gumado_sort = await _list(service, "connection:gumado sort:asc")
        assert "Cloutly's filters" in all_text(gumado_sort)
        past = await _list(service, "connection:gumado rating:1 page:999")
        page, pages, _ = _where(past)
        assert page == pages and "There are only" in all_text(past)


async def test_a_slow_platform_still_gets_an_instant_ack(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()  # the poller's first look at the platform is done
        service.sandboxes.gumado.inject_fault(delay=5, path="/api/v1/reviews")
        started = time.monotonic()
        response, url = await service.slash("list connection:gumado")
        acked = time.monotonic() - started
        assert response.status == 200 and acked < 1.0, acked  # Slack allows 3 s
        assert service.slack.responses(url) == []
        await service.settle(timeout=20)
        [page] = service.slack.responses(url)
        assert time.monotonic() - started >= 5 and _where(page)[0] == 1


async def test_rate_limits_and_outages_are_sentences(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        sandbox = service.sandboxes.gumado
        sandbox.inject_fault(status=429, retry_after=23, path="/api/v1/reviews")
        started = time.monotonic()
        limited = await _list(service, "connection:gumado")
        assert "Gumado is rate-limiting us; try again in 23 s" in all_text(limited)
        assert time.monotonic() - started < 5, "the person is told at once, not after 23 s"
        assert "Traceback" not in all_text(limited)

    async with running_service(database_url) as service:
        await service.settle()
        service.sandboxes.gumado.inject_fault(status=503, count=10, path="/api/v1/reviews")
        down = await _list(service, "connection:gumado")
        assert "server error (503)" in all_text(down) and "try again in a minute" in all_text(down)


async def test_cloutly_is_paged_by_the_app_with_its_own_filters(database_url: str) -> None:
    async with running_service(database_url) as service:
        sandbox = service.sandboxes.cloutly
        first = await _list(service, "connection:cloutly")
        page, pages, total = _where(first)
        assert "Cloutly (cloutly)" in all_text(first)
        assert (page, total, pages) == (1, len(sandbox.reviews), math.ceil(total / 10))
        [second] = await press(service, first, ACTION_LIST_NEXT)
        assert _where(second)[0] == 2
        [back] = await press(service, second, ACTION_LIST_PREV)
        assert back["blocks"] == first["blocks"]

        google = [r for r in sandbox.reviews if r["source"] == "google"]
        only_google = await _list(service, "connection:cloutly source:google rating:4-5")
        expected = [r for r in google if r["rating"] and int(r["rating"]) >= 4]
        assert _where(only_google)[2] == len(expected)
        assert set(_stars(only_google)) <= {4, 5}
        assert any("source=google" in q for _, _, q in sandbox.requests)

        oldest = await _list(service, "connection:cloutly sort:asc")
        newest = await _list(service, "connection:cloutly")
        assert oldest["blocks"][2:4] != newest["blocks"][2:4]
        assert "oldest first" in all_text(oldest)
        assert any("sort=asc" in q for _, _, q in sandbox.requests)
        widget = await _list(service, "connection:cloutly widget:yes")
        assert any("showOnWidget=true" in q for _, _, q in sandbox.requests)
        assert "shown on the widget" in all_text(widget)
        location = await _list(service, "connection:cloutly location:3")
        assert "Cloutly has no locations" in all_text(location)


async def test_an_org_picks_its_connection(database_url: str) -> None:
    async with running_service(database_url) as service:
        business = service.sandboxes.cloutly.businesses[0]["name"]
        message = await _list(service, f'org:"{business}"')
        assert "Cloutly (cloutly)" in all_text(message)
        assert "Also connected: `connection:gumado`" in all_text(message)


async def test_invite_allowed_user_ids_limit_who_may_list(database_url: str) -> None:
    env = {"INVITE_ALLOWED_USER_IDS": "U0MANAGER,S0FRONTDESK"}
    async with running_service(database_url, env=env) as service:
        refused = await _list(service, "", user_id="U0ADMIN")
        text = all_text(refused)
        assert "only <@U0MANAGER>, <!subteam^S0FRONTDESK> may browse reviews" in text
        member = await _list(service, "", user_id="U0FRONT")  # in @frontdesk
        assert _where(member)[0] == 1
        assert service.slack.calls_to("usergroups.users.list")
