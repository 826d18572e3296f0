import pytest

from assistant.chain import Assistant


@pytest.fixture(scope="session")
def assistant(corpus_settings):
    """The default (extractive) assistant over the real corpus and the real embedding model."""
    return Assistant(corpus_settings)
