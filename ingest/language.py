"""Language identification (py3langid, whose model ships in its wheel), limited to the
languages of the corpus so that short texts aren't labelled with unrelated languages."""

from __future__ import annotations

from functools import lru_cache

LANGUAGES = ("en", "lt", "lv", "et", "pl", "fi", "ro")


@lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def detect(text: str, among: tuple[str, ...] = LANGUAGES, default: str = "en", min_confidence: float = 0.5) -> str:
    if not text.strip():
        return default
    lang, confidence = _identifier(tuple(sorted(set(among)))).classify(text[:4000])
    return lang if confidence >= min_confidence else default
