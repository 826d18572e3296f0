"""Ollama's native chat API (/api/chat)."""

from langchain_ollama import ChatOllama

from desk.settings import Settings


def chat_model(settings: Settings) -> ChatOllama:
    return ChatOllama(
        base_url=settings.ollama_url,
        model=settings.llm_model,
        temperature=0,
        client_kwargs={"timeout": settings.llm_timeout_s},
    )
