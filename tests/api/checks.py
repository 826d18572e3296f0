"""Assertions shared by the API tests."""

from __future__ import annotations


def assert_problem(response, status: int | tuple[int, ...], *words: str) -> dict:
    """A problem+json response with this status whose detail mentions every word."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers["content-type"]
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == response.status_code
    for word in words:
        assert word.lower() in body["detail"].lower(), (word, body["detail"])
    return body


def sse_events(text: str) -> list[tuple[str, str]]:
    """(event, data) pairs of a server-sent event stream; comments (pings) are skipped."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            events.append((name, "\n".join(data)))
    return events


def cited_numbers(text: str) -> set[int]:
    import re

    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}
