"""Ollama's native chat API (/api/chat)."""

from langchain_ollama import ChatOllama

from desk.settings import Settings


def chat_model(settings: Settings) -> ChatOllama:
    return ChatOllama(
        base_url=settings.ollama_url,
        model=settings.llm_model,
        temperature=0,
        num_predict=settings.llm_max_tokens,
        # Per read; the generator enforces the total budget between reads.
        client_kwargs={"timeout": min(settings.llm_timeout_s, settings.llm_budget_s)},
    )
