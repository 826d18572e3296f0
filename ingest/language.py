"""Language identification (py3langid, whose model ships in its wheel), limited to the
languages of the corpus so that short texts aren't labelled with unrelated languages."""

from __future__ import annotations

import math
from functools import lru_cache

LANGUAGES = ("en", "lt", "lv", "et", "pl", "fi", "ro")


@lru_cache(maxsize=1)
def _identifier():
    # Restricting to a subset is done on the model's ranking, not by loading a model per subset;
    # the tables are those of `_open_identifier`: reading the model file (an LZMA archive) took
    # ~0.65 s, once for each identifier, of a server's ~5 s cold start.
    from py3langid.langid import LanguageIdentifier

    full = _open_identifier()
    identifier = LanguageIdentifier(full.nb_ptc, full.nb_pc, full.nb_classes, full.tk_nextmove, full.tk_output,
                                    norm_probs=False, tk_row=full.tk_row)
    identifier.set_languages(list(LANGUAGES))
    return identifier


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


@lru_cache(maxsize=1)
def _open_identifier():
    """Over every language the model knows, with probabilities: the model, loaded once."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def foreign(text: str, covered: tuple[str, ...] = LANGUAGES, min_probability: float = 0.8) -> str | None:
    """The language of `text` when it is clearly one the corpus does not cover (Russian,
    German), else None. Clearly: terse or misspelt English ("ottawa treaty oficial langs?") gets
    a low-probability guess of some other language, which must not count."""
    if not text.strip():
        return None
    lang, probability = _open_identifier().classify(text[:4000])
    return lang if lang not in covered and probability >= min_probability else None
