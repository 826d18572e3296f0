"""LangChain's own standard retriever tests, run against our hybrid retriever."""

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.retriever import HybridRetriever

pytestmark = pytest.mark.slow


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _settings(self, corpus_settings):
        type(self)._corpus_settings = corpus_settings

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"settings": self._corpus_settings}

    @property
    def retriever_query_example(self) -> str:
        return "Who is the depositary of the Ottawa Convention?"


def test_documents_carry_citation_metadata(corpus_settings):
    retriever = HybridRetriever(settings=corpus_settings, k=3)
    documents = retriever.invoke("How many members of the Seimas voted for the withdrawal?")
    assert len(documents) == 3
    top = documents[0]
    assert {"source_id", "title", "url", "heading", "start", "end", "chunk_id", "score"} <= set(top.metadata)
    assert "107" in " ".join(d.page_content for d in documents)


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_every_mode_finds_the_treaty_article(corpus_settings, mode):
    retriever = HybridRetriever(settings=corpus_settings, mode=mode, k=5)
    documents = retriever.invoke("Article 20 withdrawal six months armed conflict")
    assert any(d.metadata["source_id"] == "001-ottawa-convention-english-text" for d in documents)
