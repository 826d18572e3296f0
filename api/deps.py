"""What route handlers share: the process's Desk, and the checks every question passes."""

from __future__ import annotations

import hashlib

from fastapi import Request

from api.problems import ProblemError
from api.service import Desk
from api.telemetry import STAGES_KEY
from assistant.answer import Answer


def get_desk(request: Request) -> Desk:
    return request.app.state.desk


def actor(request: Request) -> str:
    """Who is asking, for the audit log: the token's id (a hash prefix, never the token) when
    the server has one (every request then passed the token check), else "loopback"."""
    token = request.app.state.desk.settings.api_token
    return token_id(token.get_secret_value()) if token is not None else "loopback"


def token_id(token: str) -> str:
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:8]


def check_question(desk: Desk, question: str) -> str:
    """The question, stripped; 422 when it is empty or longer than the configured limit (a
    limit the JSON schema can't carry, since it is a setting)."""
    text = question.strip()
    if not text:
        raise ProblemError(422, "the question is empty; ask something about the Ottawa Convention or the 2025 withdrawals",
                           [{"loc": ["body", "question"], "msg": "empty question", "type": "string_too_short"}])
    limit = desk.settings.max_question_chars
    if len(text) > limit:
        raise ProblemError(422, f"the question is {len(text):,} characters long; the limit is {limit:,} characters",
                           [{"loc": ["body", "question"], "msg": f"at most {limit} characters", "type": "string_too_long"}])
    return text


def note_answer(request: Request, desk: Desk, answer: Answer) -> None:
    """Every API answer: its stage timings go into the request's log line, and the desk's
    listeners (the metrics) hear of it."""
    setattr(request.state, STAGES_KEY, answer.timings_ms)
    desk.answered(answer)
