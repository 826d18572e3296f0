"""The keyword side of search finds names and inflected Baltic, Finnic and Polish words however the
user types them, survives a save and reload, and honours filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.keyword_index import KeywordIndex, fold, pointer_fingerprint, read_pointer, tokenize

PASSAGES = {
    "lt": "Krašto apsaugos ministrė Dovilė Šakalienė pasakė, kad Lietuva pasitraukė iš Otavos konvencijos.",
    "fi": "Suomi irtautui Ottawan sopimuksesta, kun eduskunta hyväksyi esityksen äänin 157–18.",
    "pl": "Sejm uchwalił ustawę o wypowiedzeniu konwencji ottawskiej; Łódź i Kraków komentowały.",
    "lv": "Saeima atbalstīja izstāšanos no Otavas konvencijas 2025. gada 16. aprīlī.",
    "en": "The Secretary-General received the instrument of withdrawal on 20250627 and informed the States Parties.",
}


@pytest.fixture
def index() -> KeywordIndex:
    return KeywordIndex.build(list(PASSAGES), list(PASSAGES.values()), fingerprint="fp-1")


def top(index: KeywordIndex, query: str, **kw) -> list[str]:
    return [chunk_id for chunk_id, _ in index.search(query, k=5, **kw)]


def test_fold_strips_diacritics_and_case():
    assert fold("Šakalienė") == "sakaliene"
    assert fold("ŁÓDŹ") == "lodz"
    assert fold("Saeimā") == "saeima"
    assert tokenize("Šakalienė") == tokenize("sakaliene") == tokenize("SAKALIENE")


@pytest.mark.parametrize(
    "written, typed",
    [
        ("pasitraukė", "pasitraukti"),  # lt: past tense / infinitive
        ("pasitraukė", "pasitraukimas"),  # lt: noun
        ("sopimuksesta", "sopimus"),  # fi: elative / nominative
        ("irtautui", "irtautuminen"),  # fi: verb / noun
        ("wypowiedzeniu", "Wypowiedzenie"),  # pl: locative / nominative
    ],
)
def test_inflected_forms_share_a_token(written: str, typed: str):
    assert tokenize(written) == tokenize(typed)


def test_stopwords_dropped_and_numbers_kept_whole():
    assert tokenize("What is the withdrawal of Latvia?") == ["withdr", "latvia"]
    assert tokenize("Dz. U. 2025 poz. 1514") == ["dz", "u", "2025", "poz", "1514"]
    assert tokenize("20250627") == ["20250627"]


def test_search_finds_names_typed_without_diacritics(index: KeywordIndex):
    assert top(index, "sakaliene")[0] == "lt"
    assert top(index, "Lodz")[0] == "pl"


def test_search_matches_other_inflections(index: KeywordIndex):
    assert top(index, "pasitraukti")[0] == "lt"
    assert top(index, "sopimus irtautuminen")[0] == "fi"
    assert top(index, "wypowiedzenie")[0] == "pl"


def test_scores_are_positive_and_descending_and_k_is_respected(index: KeywordIndex):
    hits = index.search("konvencijos Otavos Saeima withdrawal", k=2)

    assert len(hits) == 2
    assert hits[0][1] >= hits[1][1] > 0


def test_unknown_or_stopword_only_query_finds_nothing(index: KeywordIndex):
    assert index.search("zebra", k=5) == []
    assert index.search("what is the", k=5) == []
    assert index.search("", k=5) == []


def test_allowed_restricts_hits_to_the_filtered_ids(index: KeywordIndex):
    query = "Otavos konvencijos Saeima"  # matches lt and lv

    assert set(top(index, query)) == {"lt", "lv"}
    assert top(index, query, allowed={"lv"}) == ["lv"]
    assert top(index, query, allowed={"fi", "pl"}) == []  # allowed, but they don't match
    assert top(index, query, allowed=set()) == []
    assert top(index, query, allowed={"no-such-id"}) == []


def test_save_and_load_round_trip(tmp_path: Path, index: KeywordIndex):
    index.save(tmp_path)

    loaded = KeywordIndex.load(tmp_path)

    assert loaded is not None
    assert loaded.ids == index.ids and loaded.fingerprint == "fp-1"
    assert pointer_fingerprint(tmp_path) == "fp-1"
    for query in ("sakaliene", "sopimus", "withdrawal 20250627", "Saeima"):
        assert loaded.search(query, k=5) == index.search(query, k=5)


def test_saving_again_switches_the_pointer_and_removes_the_old_index(tmp_path: Path, index: KeywordIndex):
    index.save(tmp_path)
    first = read_pointer(tmp_path)

    KeywordIndex.build(["only"], ["Estonia left the convention."], "fp-2").save(tmp_path)

    assert read_pointer(tmp_path) != first
    assert not (tmp_path / first).exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("keyword-")] == [read_pointer(tmp_path)]
    assert not list(tmp_path.glob(".keyword-*.tmp"))
    reloaded = KeywordIndex.load(tmp_path)
    assert reloaded.fingerprint == "fp-2" and top(reloaded, "Estonia") == ["only"]
    assert json.loads((tmp_path / "keyword.json").read_text()) == {"current": read_pointer(tmp_path), "fingerprint": "fp-2"}


def test_empty_index_searches_saves_and_loads(tmp_path: Path):
    empty = KeywordIndex.build([], [], fingerprint="empty")

    assert empty.search("anything", k=5) == []
    empty.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    assert loaded is not None and loaded.ids == [] and loaded.fingerprint == "empty"
    assert loaded.search("anything", k=5) == []


def test_passage_of_only_stopwords_is_indexed_without_error(tmp_path: Path):
    index = KeywordIndex.build(["a", "b"], ["the of and", "Finland withdrew"], "fp")

    assert top(index, "Finland") == ["b"]


def test_load_without_an_index_returns_none(tmp_path: Path):
    assert KeywordIndex.load(tmp_path) is None
    (tmp_path / "keyword.json").write_text("{not json")
    assert KeywordIndex.load(tmp_path) is None
    (tmp_path / "keyword.json").write_text(json.dumps({"current": "keyword-gone", "fingerprint": "x"}))
    assert KeywordIndex.load(tmp_path) is None


@pytest.mark.parametrize("typed", ["Secretray-General", "instrment of withdrawl", "Saiema"])
def test_a_misspelt_word_still_finds_its_passage(index: KeywordIndex, typed: str):
    assert top(index, typed)[:1] == ["en" if "Sa" not in typed else "lv"]


def test_a_misspelling_counts_below_the_right_spelling():
    passages = {"vote": "The parliament approved the bill.", "other": "The minister signed the letter."}
    index = KeywordIndex.build(list(passages), list(passages.values()), fingerprint="fp")
    right, = index.search("parliament", k=1)
    misspelt, = index.search("parliment", k=1)
    assert right[0] == misspelt[0] == "vote"
    assert 0 < misspelt[1] < right[1]
    assert index.near("parlia") == []  # a known word has no neighbours to guess
    assert index.near("par") == []  # too short to guess from


def test_a_word_in_most_passages_is_common_and_a_rarer_one_is_not():
    texts = ["The mine ban holds.", "A mine was cleared.", "Mines were destroyed.", "Saeima voted."]
    index = KeywordIndex.build(["a", "b", "c", "d"], texts, fingerprint="fp")
    assert index.common(tokenize("mine")[0])
    assert not index.common(tokenize("Saeima")[0]) and not index.common(tokenize("ban")[0])
