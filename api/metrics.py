"""GET /metrics: Prometheus metrics of this process (prometheus-client's text format).

- desk_http_requests_total{method,route,status} and desk_http_request_duration_seconds{…}: every
  request, by route template (bounded labels: never the raw path);
- desk_answers_total and desk_answers_abstained_total: answers from every face (API, /v1, UI);
- desk_store_chunks: chunks in the store, as its manifest lists them (a file read, so a scrape
  works, and stays cheap, even while the Chroma server is down);
- desk_health_state{state}: 1 for the state /api/health reports (ok, starting, degraded), 0 for
  the others, with desk_model_loaded, desk_store_reachable and desk_store_documents beside it:
  the same probe as /api/health, run at each scrape.

Each app has its own registry, so several apps in one process (the tests) don't collide. With
several worker processes, each serves its own numbers: scrape every process."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from api.health import probe
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
        self.registry.register(HealthCollector(desk))

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


class HealthCollector(Collector):
    """The /api/health probe as gauges, computed when scraped (never stale)."""

    def __init__(self, desk: Desk):
        self.desk = desk

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # or the registry would collect (open the store) when the app is created

    def collect(self) -> Iterator[GaugeMetricFamily]:
        facts = probe(self.desk)
        state = GaugeMetricFamily("desk_health_state", "1 for the state /api/health reports", labels=["state"])
        for name in ("ok", "starting", "degraded"):
            state.add_metric([name], 1.0 if facts.state == name else 0.0)
        yield state
        yield GaugeMetricFamily("desk_model_loaded", "Whether the embedding model is loaded", value=float(facts.model_loaded))
        yield GaugeMetricFamily("desk_store_reachable", "Whether the store opens and answers", value=float(facts.store_reachable))
        yield GaugeMetricFamily("desk_store_documents", "Documents in the store (from its manifest)", value=float(facts.documents))


def _chunks_or_nan(desk: Desk) -> float:
    try:
        return desk.chunk_count()
    except Exception:  # an unreadable manifest is a gap in the graph, not a failed scrape
        return float("nan")


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    # In a thread: the health probe pings the store, which may block while a server is down.
    body = await run_in_threadpool(request.app.state.metrics.exposition)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
