"""The language identifier loads from an unpacked copy of the wheel's model once one exists: the
copy must identify exactly as the wheel's archive does, and a cache folder that can't be written
must cost nothing but the speed."""

from __future__ import annotations

import pytest
from py3langid.langid import LanguageIdentifier

from ingest import language

TEXTS = [
    "When did Lithuania's withdrawal take effect?",
    "Kada įsigaliojo Lietuvos pasitraukimas iš konvencijos?",
    "Millal Eesti konventsioonist lahkus?",
    "Kiedy Sejm przyjął ustawę o wypowiedzeniu konwencji?",
    "Когда Литва вышла из Оттавской конвенции?",
    "Wann ist Lettland aus dem Ottawa-Abkommen ausgetreten?",
    "ppl a yr",
]


def _identify() -> list:
    return [(language._open_identifier().rank(t)[:5], language._identifier().rank(t), language.detect(t), language.foreign(t))
            for t in TEXTS]


@pytest.fixture
def fresh(monkeypatch):
    """A process that has loaded neither identifier yet."""
    monkeypatch.setattr(language, "_models", {})


def test_the_unpacked_copy_identifies_as_the_wheels_archive_does(tmp_path, fresh, monkeypatch):
    language.preload(tmp_path)
    [copy] = tmp_path.iterdir()
    assert copy.suffix == ".npz" and copy.stat().st_size > 10_000_000
    from_wheel = _identify()

    def unpacking(*args, **kwargs):
        raise AssertionError("the wheel's archive was read again")

    monkeypatch.setattr(language, "_models", {})
    monkeypatch.setattr(LanguageIdentifier, "from_model_file", classmethod(unpacking))
    language.preload(tmp_path)
    assert _identify() == from_wheel
    assert [row[2] for row in from_wheel][:4] == ["en", "lt", "et", "pl"] and [row[3] for row in from_wheel][4:6] == ["ru", "de"]


def test_a_cache_folder_that_cannot_be_made_loads_the_wheels_model(tmp_path, fresh):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    language.preload(blocker / "cache")
    assert language.detect("Kada įsigaliojo Lietuvos pasitraukimas?") == "lt"
    assert blocker.read_text() == "a file where the cache folder would go"


def test_without_a_preload_the_first_question_loads_the_model_itself(fresh):
    assert language.foreign("Wann ist Lettland ausgetreten?") == "de"
    assert language.detect("Millal Eesti konventsioonist lahkus?") == "et"
