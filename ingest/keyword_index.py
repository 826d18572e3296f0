"""The persisted keyword side of hybrid search: BM25 (bm25s, sparse matrices) over every chunk.

Built at ingest, saved atomically (a new folder, then an atomic switch of a pointer file), and
loaded by the assistant, which reloads it when the pointer changes, so several API workers and a
concurrent ingest always see a whole index. Tokens are accent-folded and cut to a 6-character
prefix: a crude stemmer that works alike for English and for the inflected Baltic, Finnic and
Polish forms ("pasitraukė" / "pasitraukti"), where the English-only embedding model is weak."""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_PREFIX = 6
# Function and question words of the corpus languages (folded): they carry no topic, and in a
# question ("how many", "kiedy", "milloin") they would otherwise dilute the topic terms.
_STOPWORDS = frozenset(
    # en
    "a an and any are as at be been by can could did do does for from give given had has have how if in into is "
    "it its many may might much of on or out said say says so some such than that the their them then there these "
    "they this those to take took was were what when where whether which while who whom whose why will with would "
    # lt
    "ar bei buvo del ir is iki ka kad kada kaip kas kiek kur kuri kuris nuo pagal per su tai tas uz "
    # lv
    "ar bija cik ir ka kad kas kura kura kuru kurs ko no par pec saskana tika un uz "
    # et
    "ja kas kes kui millal mis mitu oli on selle see ning poolt pohjal "
    # pl
    "a czy dla do i ile jak jaki jest kiedy ktora ktore ktory na nie o od po przez sie to w wedlug z za ze "
    # fi
    "ja jos kuka kuinka miksi milloin mika mina minka mita miten on oli se sen siita etta".split()
)
_POINTER = "keyword.json"
# Part of the index fingerprint: changing the tokenizer makes the next ingest rebuild the index.
TOKENIZER_VERSION = "2"


_COMBINING = re.compile("[\u0300-\u036f]")


@lru_cache(maxsize=20_000)
def fold(text: str) -> str:
    """Lower case without diacritics: 'Šakalienė' -> 'sakaliene'. Cached: a passage's sentences
    are folded again by every question that retrieves it. Small, because ingest folds every
    passage once: at 200,000 entries the bench's 10k-chunk store kept ~70 MB of folded copies."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return _COMBINING.sub("", unicodedata.normalize("NFKD", lowered)).replace("ł", "l")


def tokenize(text: str) -> list[str]:
    return list(_tokenize(text))


@lru_cache(maxsize=200_000)
def _tokenize(text: str) -> tuple[str, ...]:
    # Cached: the same passages are tokenized again by every query that retrieves them.
    return tuple(word if word.isdigit() else _stem(word) for word in _WORD.findall(fold(text)) if word not in _STOPWORDS)


def _stem(word: str) -> str:
    # A plural or third-person "-s" on a short word ("acts", "runs") would otherwise keep it
    # apart from its base form, which longer words lose anyway by the prefix cut.
    if len(word) <= _PREFIX and len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:_PREFIX]


# A misspelt word's neighbours are guesses: they count, but below a word spelt right.
FUZZY_WEIGHT = 0.5


def _one_edit(a: str, b: str) -> bool:
    """Whether b is one substitution, insertion, deletion or swap of neighbours away from a
    (two prefixes of 6 letters: "quitin"/"quitti", "parlim"/"parlia")."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


class KeywordIndex:
    def __init__(self, ids: list[str], bm25, fingerprint: str):
        self.ids = ids
        self.bm25 = bm25
        self.fingerprint = fingerprint
        self._position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        self._idf, self._common = self._document_frequencies()
        self._by_initial: dict[str, list[str]] | None = None  # built on the first misspelt query

    def _document_frequencies(self) -> tuple[dict[str, float], frozenset[str]]:
        """Inverse document frequency per token, for weighting query terms when reranking, and
        the tokens in most passages."""
        if self.bm25 is None:
            return {}, frozenset()
        indptr = np.asarray(self.bm25.scores["indptr"])
        df = np.diff(indptr)
        n = max(len(self.ids), 1)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        vocab = [(token, i) for token, i in self.bm25.vocab_dict.items() if i < len(idf)]
        return {token: float(idf[i]) for token, i in vocab}, frozenset(token for token, i in vocab if df[i] > n / 2)

    def idf(self, token: str) -> float:
        """Weight of a token; unknown tokens get the weight of the rarest ones."""
        return self._idf.get(token, self.max_idf)

    @property
    def max_idf(self) -> float:
        return float(np.log(1 + (len(self.ids) + 0.5) / 0.5)) if self.ids else 1.0

    def knows(self, token: str) -> bool:
        return token in self._idf

    def common(self, token: str) -> bool:
        """In more than half the passages: a word that tells no passage apart ("mine" in a mine
        ban corpus), so a question's capitalised "Mine" names no subject of its own."""
        return token in self._common

    @classmethod
    def build(cls, ids: Sequence[str], texts: Iterable[str], fingerprint: str) -> KeywordIndex:
        import bm25s

        bm25 = bm25s.BM25()
        corpus = [tokenize(t) or ["∅"] for t in texts]
        if corpus:
            bm25.index(corpus, show_progress=False)
        return cls(list(ids), bm25 if corpus else None, fingerprint)

    @staticmethod
    def read_ahead(texts: Iterable[str]) -> None:
        """Do what `build` will need for these texts while the caller would otherwise wait: the
        BM25 library's import (~0.15 s) and the texts' tokens (cached)."""
        import bm25s  # noqa: F401

        for text in texts:
            tokenize(text)

    def near(self, token: str) -> list[str]:
        """Indexed tokens one edit from an unknown one ("parlim" → "parlia"), for misspellings.
        Only for tokens of 4+ letters sharing the first letter: shorter ones have too many
        neighbours to guess from."""
        if self.bm25 is None or len(token) < 4 or token.isdigit() or token in self._idf:
            return []
        if self._by_initial is None:
            self._by_initial = {}
            for known in self._idf:
                self._by_initial.setdefault(known[:1], []).append(known)
        return [known for known in self._by_initial.get(token[:1], []) if _one_edit(token, known)]

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score), restricted to `allowed` ids when filters apply. A query
        word the index doesn't know counts through its one-edit neighbours, at FUZZY_WEIGHT."""
        if self.bm25 is None:
            return []
        query_tokens = tokenize(query)
        tokens = [t for t in query_tokens if t in self.bm25.vocab_dict]
        fuzzy = list(dict.fromkeys(n for t in query_tokens for n in self.near(t) if n not in tokens))
        if not tokens and not fuzzy:
            return []
        scores = self.bm25.get_scores(tokens) if tokens else np.zeros(len(self.ids))
        if fuzzy:
            scores = scores + FUZZY_WEIGHT * self.bm25.get_scores(fuzzy)
        if allowed is not None:
            mask = np.zeros(len(self.ids), dtype=bool)
            for chunk_id in allowed:
                if (i := self._position.get(chunk_id)) is not None:
                    mask[i] = True
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        ranked = sorted(top, key=lambda i: -scores[i])
        return [(self.ids[i], float(scores[i])) for i in ranked if scores[i] > 0]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        name = f"keyword-{uuid.uuid4().hex[:12]}"
        tmp = directory / f".{name}.tmp"
        tmp.mkdir()
        if self.bm25 is not None:
            self.bm25.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps({"ids": self.ids, "fingerprint": self.fingerprint}))
        os.replace(tmp, directory / name)
        atomic_write_text(directory / _POINTER, json.dumps({"current": name, "fingerprint": self.fingerprint}))
        # Every other index folder goes: the one just replaced, and any a killed ingest renamed
        # into place but never switched to. (Saves run under the ingest lock: no other writer.)
        for stale in directory.glob("keyword-*"):
            if stale.name != name and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        for stale in directory.glob(".keyword-*.tmp"):  # left by a killed ingest
            shutil.rmtree(stale, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex | None:
        import bm25s

        name = read_pointer(directory)
        if not name or not (directory / name).is_dir():
            return None
        folder = directory / name
        meta = json.loads((folder / "ids.json").read_text())
        bm25 = bm25s.BM25.load(str(folder), show_progress=False) if (folder / "params.index.json").exists() else None
        return cls(meta["ids"], bm25, meta["fingerprint"])


def read_pointer(directory: Path) -> str | None:
    try:
        return json.loads((directory / _POINTER).read_text())["current"]
    except (OSError, ValueError, KeyError):
        return None


def pointer_fingerprint(directory: Path) -> str | None:
    try:
        return json.loads((directory / _POINTER).read_text())["fingerprint"]
    except (OSError, ValueError, KeyError):
        return None


def atomic_write_text(path: Path, text: str) -> None:
    """Write-then-rename: a reader or a kill -9 never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class LiveKeywordIndex:
    """The current keyword index of a store folder, reloaded when an ingest (in this process or
    another) switches the pointer; a stat() per query is the whole cost of staying current."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._index: KeywordIndex | None = None
        self._stamp: tuple[float, int] | None = None

    def get(self) -> KeywordIndex | None:
        try:
            stat = (self.directory / _POINTER).stat()
            stamp = (stat.st_mtime, stat.st_ino)
        except OSError:
            return None
        if stamp != self._stamp:
            self._index = KeywordIndex.load(self.directory)
            self._stamp = stamp
        return self._index
