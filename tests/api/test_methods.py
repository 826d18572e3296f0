"""Methods on the API's paths, in the real server app (the UI mounted at "/" catches whatever
the API's routes don't): a wrong method is 405 with an Allow header listing exactly the methods
the route has, TRACE included; an unknown path is 404."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.checks import assert_problem


@pytest.fixture(scope="module")
def server_client(tmp_path_factory) -> TestClient:
    from tests.ingest.files import make_settings
    from ui import create_server_app

    settings = make_settings(tmp_path_factory.mktemp("methods") / "store")
    return TestClient(create_server_app(settings), raise_server_exceptions=False)


@pytest.mark.parametrize("method, path, allowed", [
    ("TRACE", "/api/health", "GET"),
    ("TRACE", "/api/documents/some-id", "DELETE"),
    ("TRACE", "/v1/models", "GET"),
    ("OPTIONS", "/api/ask", "POST"),
    ("OPTIONS", "/api/health", "GET"),
    ("OPTIONS", "/api/sources/some-id", "GET"),
    ("PUT", "/api/trash/some-id/restore", "POST"),
    ("GET", "/v1/chat/completions", "POST"),
])
def test_a_wrong_method_is_405_with_only_the_allowed_methods(server_client: TestClient, method: str, path: str, allowed: str):
    response = server_client.request(method, path)
    assert_problem(response, 405, method, allowed)
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize("method", ["GET", "TRACE", "OPTIONS"])
def test_an_unknown_api_path_is_404(server_client: TestClient, method: str):
    assert_problem(server_client.request(method, "/api/no-such-thing"), 404, "no such endpoint")
