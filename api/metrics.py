"""GET /metrics: Prometheus metrics of this process (prometheus-client's text format).

- desk_http_requests_total{method,route,status} and desk_http_request_duration_seconds{…}: every
  request, by route template (bounded labels: never the raw path);
- desk_answers_total and desk_answers_abstained_total: answers from every face (API, /v1, UI);
- desk_store_chunks: chunks in the store, as its manifest lists them (a file read, so a scrape
  works, and stays cheap, even while the Chroma server is down).

Each app has its own registry, so several apps in one process (the tests) don't collide. With
several worker processes, each serves its own numbers: scrape every process."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from api.service import Desk
from api.telemetry import RequestRecord
from assistant.answer import Answer

router = APIRouter(tags=["metrics"])


class Metrics:
    def __init__(self, desk: Desk):
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["method", "route", "status"]
        self.requests = Counter("desk_http_requests", "HTTP requests served", labels, registry=self.registry)
        self.latency = Histogram("desk_http_request_duration_seconds", "Time to the last byte of the response", labels,
                                 registry=self.registry, buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.answers = Counter("desk_answers", "Answers given, by every face", registry=self.registry)
        self.abstained = Counter("desk_answers_abstained", "Answers where the sources did not say", registry=self.registry)
        self.chunks = Gauge("desk_store_chunks", "Chunks in the store (from its manifest)", registry=self.registry)
        self.chunks.set_function(lambda: float(_chunks_or_nan(desk)))
        desk.answer_listeners.append(self.observe_answer)

    def observe_request(self, record: RequestRecord) -> None:
        if record.route == "/metrics":  # the scraper's own requests are noise
            return
        labels = (record.method, record.route, str(record.status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(record.duration_ms / 1000)

    def observe_answer(self, answer: Answer) -> None:
        self.answers.inc()
        if answer.abstained:
            self.abstained.inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _chunks_or_nan(desk: Desk) -> float:
    try:
        return desk.chunk_count()
    except Exception:  # an unreadable manifest is a gap in the graph, not a failed scrape
        return float("nan")


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
