"""An OpenAI-compatible chat endpoint: llama.cpp server, vLLM, Ollama's /v1, hosted services."""

from langchain_openai import ChatOpenAI

from desk.settings import Settings


def chat_model(settings: Settings) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        model=settings.llm_model,
        temperature=0,
        max_tokens=settings.llm_max_tokens,  # sent as max_completion_tokens
        # llama.cpp's Python server (and other local ones) read only the older `max_tokens` and
        # would otherwise generate until the context is full; OpenAI itself refuses both at once.
        extra_body=None if "api.openai.com" in settings.llm_base_url else {"max_tokens": settings.llm_max_tokens},
        # The timeout is per read; the generator enforces the total budget between reads.
        timeout=min(settings.llm_timeout_s, settings.llm_budget_s),
        # A retry would restart generation from scratch: the extractive fallback is faster.
        max_retries=0,
    )
