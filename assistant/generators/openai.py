"""An OpenAI-compatible chat endpoint: llama.cpp server, vLLM, Ollama's /v1, hosted services."""

from langchain_openai import ChatOpenAI

from desk.settings import Settings


def chat_model(settings: Settings) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        model=settings.llm_model,
        temperature=0,
        timeout=settings.llm_timeout_s,
        max_retries=1,
    )
