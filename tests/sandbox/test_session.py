"""The sandbox session's HTTP surface: the channel page and the slash route, in-process."""

from __future__ import annotations

from pathlib import Path

import httpx
from test_cli import free_port

from sandbox.session import start_session
from sandbox.signing import CHANNEL_ID, USER_ID


async def test_the_channel_page_shows_the_channel_and_names_the_others(tmp_path: Path) -> None:
    app_url = f"http://127.0.0.1:{free_port()}"
    session = await start_session(
        gumado_port=0, cloutly_port=0, slack_port=0, app_url=app_url, folder=tmp_path
    )
    try:
        root = session.slack_url
        async with httpx.AsyncClient() as http:
            empty = await http.get(f"{root}/channel/reviews")
            session.slack.post_as_user(CHANNEL_ID, USER_ID, "hello <!channel> &lt;b&gt;")
            page = await http.get(f"{root}/channel/%23reviews", params={"as": USER_ID})
            missing = await http.get(f"{root}/channel/nowhere")
            no_text = await http.post(f"{root}/_sandbox/slash", json={"words": 1})
            app_down = await http.post(f"{root}/_sandbox/slash", json={"text": "help"})
    finally:
        await session.stop()
    assert empty.status_code == 200 and empty.text == "#reviews has no messages yet.\n"
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    assert "hello" in page.text
    assert missing.status_code == 404
    assert missing.text.startswith("no channel #nowhere; there are ") and "#reviews" in missing.text
    assert no_text.status_code == 400
    assert app_down.status_code == 502
    assert f"cannot reach the app at {app_url}/slack/events" in app_down.json()["error"]
