"""Language identification (py3langid, whose model ships in its wheel), limited to the
languages of the corpus so that short texts aren't labelled with unrelated languages."""

from __future__ import annotations

import math
import os
import tempfile
import threading
from array import array
from pathlib import Path

import numpy as np

LANGUAGES = ("en", "lt", "lv", "et", "pl", "fi", "ro")
# A server loads the model in a thread of its own at start-up (`preload`) while its first
# question may already need it: one load, whichever comes first; the other waits for it.
_LOADING = threading.RLock()
_models: dict[str, object] = {}  # "open": every language, with probabilities; "corpus": LANGUAGES only


def preload(cache: Path | None = None) -> None:
    """Load the model now, from an uncompressed copy of it in `cache` (written there the first
    time). The wheel's copy is an LZMA archive: decompressing it took 0.43 s of a 0.55 s load,
    where the uncompressed copy (68 MB) loads in ~0.1 s; a server does this in a thread at
    start-up, beside its imports."""
    _open_identifier(cache)
    _identifier()


def _identifier():
    with _LOADING:
        if "corpus" not in _models:
            # Restricted on the model's ranking, not by loading a model per subset: the tables
            # are the open identifier's.
            from py3langid.langid import LanguageIdentifier

            full = _open_identifier()
            identifier = LanguageIdentifier(full.nb_ptc, full.nb_pc, full.nb_classes, full.tk_nextmove, full.tk_output,
                                            norm_probs=False, tk_row=full.tk_row)
            identifier.set_languages(list(LANGUAGES))
            _models["corpus"] = identifier
        return _models["corpus"]


def _open_identifier(cache: Path | None = None):
    """Over every language the model knows, with probabilities: the model, loaded once (from
    `cache` when the first call gives one)."""
    with _LOADING:
        if "open" not in _models:
            _models["open"] = _load(cache)
        return _models["open"]


def _load(cache: Path | None):
    import py3langid
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    if cache is None:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    source = Path(MODEL_DIR) / MODEL_FILE
    copy = Path(cache) / f"py3langid-{py3langid.__version__}-{source.stat().st_size}.npz"
    if copy.is_file():
        with np.load(copy, allow_pickle=False) as t:
            return LanguageIdentifier(t["ptc"], t["pc"], t["classes"].tolist(), _array(t["nextmove"]), t["output"].tolist(),
                                      norm_probs=True, tk_row=_array(t["row"]))
    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=copy.parent, suffix=".npz")
    except OSError:  # a read-only store folder: the wheel's copy, each time, as without a cache
        return model
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, ptc=model.nb_ptc, pc=model.nb_pc, classes=np.asarray(model.nb_classes),
                     nextmove=np.frombuffer(model.tk_nextmove, dtype=f"u{model.tk_nextmove.itemsize}"),
                     row=np.frombuffer(model.tk_row, dtype=f"u{model.tk_row.itemsize}"),
                     output=np.asarray(model.tk_output, dtype=np.int64))
        os.replace(tmp, copy)  # atomic: a worker starting beside this one never reads half a file
    except OSError:  # a full disk
        Path(tmp).unlink(missing_ok=True)
    return model


def _array(values: np.ndarray) -> array:
    """The state machine's tables as py3langid keeps them: stdlib arrays of unsigned ints."""
    out = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


def detect(text: str, among: tuple[str, ...] = LANGUAGES, default: str = "en", min_confidence: float = 0.5) -> str:
    """The most likely of `among` for `text`, or `default` when that is not clear."""
    if not text.strip():
        return default
    scores = [(lang, score) for lang, score in _identifier().rank(text[:4000]) if lang in among]
    if not scores:
        return default
    best_lang, best = max(scores, key=lambda item: item[1])
    confidence = 1.0 / sum(math.exp(score - best) for _, score in scores)  # softmax among `among`
    return best_lang if confidence >= min_confidence else default


# For the note on a question the corpus cannot answer in its own language.
LANGUAGE_NAMES = {
    "en": "English", "lt": "Lithuanian", "lv": "Latvian", "et": "Estonian", "pl": "Polish", "fi": "Finnish",
    "ro": "Romanian", "ru": "Russian", "uk": "Ukrainian", "de": "German", "fr": "French", "es": "Spanish",
    "it": "Italian", "sv": "Swedish", "no": "Norwegian", "da": "Danish", "nl": "Dutch", "cs": "Czech",
    "sk": "Slovak", "be": "Belarusian", "hu": "Hungarian", "pt": "Portuguese", "tr": "Turkish",
}


def passage_language(code: str) -> str:
    """How a citation names its passage's language: "" for English (the default reading),
    else "in Polish" — an answer quoting a source in another language says so."""
    return "" if code in ("", "en") else f"in {LANGUAGE_NAMES.get(code, code)}"


def foreign(text: str, covered: tuple[str, ...] = LANGUAGES, min_probability: float = 0.8) -> str | None:
    """The language of `text` when it is clearly one the corpus does not cover (Russian,
    German), else None. Clearly: terse or misspelt English ("ottawa treaty oficial langs?") gets
    a low-probability guess of some other language, which must not count."""
    if not text.strip():
        return None
    lang, probability = _open_identifier().classify(text[:4000])
    return lang if lang not in covered and probability >= min_probability else None
