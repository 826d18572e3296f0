"""python scripts/load.py [--url URL] [--clients N] [--duration S]: a bounded load test of a
running desk. N clients POST /api/ask in a loop for S seconds (then stop by themselves) and the
script prints requests, errors, throughput and p50/p95/max latency.

Only loopback targets: this is a tool to size your own server, not to load someone else's. Exit
status 1 when any request failed (a non-2xx status or a transport error), so CI can assert on it.
A server with DESK_API_TOKEN set gets the token from that variable (it is never printed)."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlparse

import httpx

QUESTIONS = [
    "When did Lithuania's withdrawal from the Ottawa Convention take effect?",
    "How many members of the Saeima voted for leaving the convention?",
    "What does Article 20 say about withdrawal?",
    "Which countries announced plans to withdraw on 18 March 2025?",
    "When did the Finnish Parliament approve the withdrawal?",
    "What did the ICRC say about the withdrawals?",
    "When did Estonia's parliament vote to leave the treaty?",
    "Who is the depositary of the Convention?",
]


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())


def loopback_url(url: str) -> str:
    """The base URL if it names this machine; argparse error text otherwise."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if parsed.scheme not in ("http", "https"):
        raise argparse.ArgumentTypeError(f"{url!r} is not an http(s) URL")
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            raise argparse.ArgumentTypeError(f"{host!r} is not a loopback address; this tool only loads this machine") from None
    return url.rstrip("/")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


async def client(http: httpx.AsyncClient, number: int, deadline: float, tally: Tally) -> None:
    i = number
    while time.monotonic() < deadline:
        question = QUESTIONS[i % len(QUESTIONS)]
        i += 1
        started = time.perf_counter()
        try:
            response = await http.post("/api/ask", json={"question": question})
        except httpx.HTTPError as exc:
            tally.errors[type(exc).__name__] += 1
            continue
        if response.is_success:
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        else:
            tally.errors[f"HTTP {response.status_code}"] += 1


async def run(url: str, clients: int, duration: float, timeout: float, warm_up: bool = True) -> tuple[Tally, float]:
    """The tally, and the seconds from the first timed request to the last answer."""
    tally = Tally()
    headers = {"Authorization": f"Bearer {os.environ['DESK_API_TOKEN']}"} if os.environ.get("DESK_API_TOKEN") else {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout, limits=limits) as http:
        if warm_up:  # the server loads its model on the first question: keep that out of the figures
            try:
                await http.post("/api/ask", json={"question": QUESTIONS[0]}, timeout=max(timeout, 300))
            except httpx.HTTPError:
                pass  # the timed run will count what is wrong
        started = time.monotonic()
        deadline = started + duration
        # A client starts no new request after the deadline; one in flight may run up to `timeout`.
        await asyncio.gather(*(client(http, n, deadline, tally) for n in range(clients)))
    return tally, time.monotonic() - started


def report(tally: Tally, seconds: float) -> dict:
    lat = sorted(tally.latencies_ms)
    return {
        "requests": tally.requests,
        "ok": len(lat),
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "seconds": round(seconds, 1),
        "requests_per_s": round(tally.requests / seconds, 2) if seconds else 0.0,
        "p50_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "max_ms": round(lat[-1], 1) if lat else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/load.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", type=loopback_url, default="http://127.0.0.1:7860", help="the desk's base URL (loopback only)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds to send requests for (default 60)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one request may take (default 60)")
    parser.add_argument("--no-warm-up", action="store_true", help="don't send one untimed question first (it loads the model)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 1000:
        parser.error("--clients must be between 1 and 1000")
    if not 0 < args.duration <= 3600:
        parser.error("--duration must be between 0 and 3600 seconds")
    tally, seconds = asyncio.run(run(args.url, args.clients, args.duration, args.timeout, warm_up=not args.no_warm_up))
    figures = report(tally, seconds)
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{figures['requests']} requests in {figures['seconds']} s with {args.clients} clients "
              f"({figures['requests_per_s']}/s): {figures['errors']} errors "
              f"{figures['error_kinds'] or ''}· p50 {figures['p50_ms']} ms · p95 {figures['p95_ms']} ms · max {figures['max_ms']} ms")
    return 1 if figures["errors"] or not figures["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
