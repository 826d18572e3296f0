"""Which ranked sentences make the answer, and in what order.

- A single-fact question: the best sentence first, then sentences the ranker finds nearly as
  likely to answer (`Composition.keep`, `.floor`, `.max_sentences`, all fitted).
- A question in several parts ("where, and between which dates"): the best sentence for each
  part, each part scored by the same ranker on its own wording.
- A list, order, timeline or comparison across countries: one line per country, the best
  sentence that names it, in date order when the question asks for an order.
- "Do the sources agree?": the best sentence of each source, side by side.
- A stated date or figure that the best evidence contradicts: the answer says so first."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answering.decompose import ORDER_CUE, is_list, item_analysis, part_analysis, question_parts
from assistant.answering.features import countries_in, figures
from assistant.answering.model import Composition
from assistant.query import QueryAnalysis
from ingest.keyword_index import fold, tokenize

Rescore = Callable[[QueryAnalysis], dict[tuple[int, int], float]]

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")
_DAY_MONTH = re.compile(r"\b(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\b(?:\s+(\d{4}))?|\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2})\b(?:,?\s+(\d{4}))?")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_DATE_WORDS = re.compile(r"\b(\d{1,2}\s+(?:" + "|".join(_MONTHS) + r")|(?:" + "|".join(_MONTHS) + r")\s+\d{1,2}|(19|20)\d{2})\b")

OTHERWISE = "The sources say otherwise:"


def compose(analysis: QueryAnalysis, pool: list, composition: Composition, rescore: Rescore) -> list:
    """The chosen sentences in answer order; `pool` is sorted best first by score."""
    if not pool:
        return []
    listing = is_list(analysis)
    lead = pool[0]
    chosen = [lead]
    parts = question_parts(analysis.text)
    extended = listing or len(parts) > 1 or analysis.answer_type in ("other", "reason")
    ordered = False
    if listing:
        items = _items(analysis, pool, composition, rescore)
        if len(items) >= 2:
            # The best sentence stays in: a list cue can be a false alarm ("each State Party").
            chosen += [s for s in items if s is not lead]
            ordered = bool(ORDER_CUE.search(fold(analysis.text)))
    if analysis.compares:
        chosen += [s for s in _per_source(analysis, pool, composition) if all(s is not c for c in chosen)]
        extended = True
    if len(parts) > 1:
        for part in parts:
            scores = rescore(part_analysis(analysis, part))
            # Each part asks for something of its own: when its best sentence is already in
            # the answer (often the lead, which the whole question's names pull up for every
            # part), the part gets its best sentence not yet chosen.
            ranked = [s for s in sorted(pool, key=lambda s: -scores.get(_key(s), 0.0)) if all(s is not c for c in chosen)]
            best = ranked[0] if ranked else None
            if best is not None and scores.get(_key(best), 0.0) >= composition.floor and not _redundant(best, chosen):
                chosen.append(best)
    limit = max(composition.max_extended if extended else composition.max_sentences, len(chosen))
    threshold = max(composition.floor, composition.keep * lead.score)
    other_language = max(threshold, composition.other_language_keep * lead.score)
    for sentence in pool[1:]:
        if len(chosen) >= limit or sentence.score < threshold:
            break
        if sentence.candidate.chunk.lang != analysis.language and sentence.score < other_language:
            continue
        if all(sentence is not c for c in chosen) and not _redundant(sentence, chosen):
            chosen.append(sentence)
    return sorted(chosen, key=_sort_date) if ordered else chosen


def contradicts(analysis: QueryAnalysis, sentence_text: str) -> bool:
    """The question states a date or a count that the answering sentence gives otherwise."""
    asked = _dates(analysis.text)
    given = _dates(sentence_text)
    if asked and given and not any(_compatible(a, g) for a in asked for g in given):
        return True
    counts = _counts(analysis.text)
    stated = _counts(sentence_text)
    return bool(counts and stated and not counts & stated and analysis.answer_type != "number")


def _items(analysis: QueryAnalysis, pool: list, composition: Composition, rescore: Rescore) -> list:
    """One line per country (the named ones, or every one the evidence names), each the best
    sentence naming it as scored for the question narrowed to that country; for a single named
    country, its dated steps — a timeline."""
    if len(analysis.countries) == 1:
        return _timeline(analysis.countries[0], pool, composition)
    wanted = list(analysis.countries)
    if not wanted:
        for s in pool:
            if s.score >= composition.item_floor:
                wanted += [c for c in sorted(countries_in(s.text)) if c not in wanted]
    lines = []
    for country in wanted[: composition.max_items]:
        scores = rescore(item_analysis(analysis, country))
        naming = [s for s in pool if country in countries_in(s.text)]
        best = max(naming, key=lambda s: scores.get(_key(s), 0.0), default=None)
        if best is not None and scores.get(_key(best), 0.0) >= composition.item_floor and all(best is not c for c in lines):
            lines.append(best)
    return lines


def _per_source(analysis: QueryAnalysis, pool: list, composition: Composition) -> list:
    """For "do the sources agree?": the best sentence of each source, so that the answer sets
    them side by side; for a "when" or "how many", only sentences that carry a date or figure."""
    typed = analysis.answer_type in ("date", "number")
    lines, sources = [], set()
    for s in pool:
        if len(lines) >= composition.max_items or s.score < composition.item_floor:
            break
        if s.source_id in sources or (typed and s.fit < 1.0):
            continue
        sources.add(s.source_id)
        lines.append(s)
    return lines


def _timeline(country: str, pool: list, composition: Composition) -> list:
    lines, dates = [], set()
    for s in pool:
        if s.score < composition.item_floor or len(lines) >= composition.max_items:
            continue
        about = country in countries_in(s.text) or tuple(s.candidate.chunk.source.countries) == (country,)
        when = _sort_date(s)
        if about and when[1] != 99 and when not in dates:
            dates.add(when)
            lines.append(s)
    return lines


def _key(sentence) -> tuple[int, int]:
    return (id(sentence.candidate), sentence.index)


def _redundant(sentence, chosen: list) -> bool:
    terms = set(tokenize(sentence.text))
    for other in chosen:
        if other.candidate is sentence.candidate and other.index == sentence.index:
            return True
        theirs = set(tokenize(other.text))
        if terms and theirs and len(terms & theirs) / min(len(terms), len(theirs)) > 0.8:
            return True
    return False


def _dates(text: str) -> list[tuple[int | None, int | None, int | None]]:
    folded = fold(text)
    found: list[tuple[int | None, int | None, int | None]] = []
    for m in _DAY_MONTH.finditer(folded):
        if m.group(1):
            found.append((int(m.group(1)), _MONTHS.index(m.group(2)) + 1, int(m.group(3)) if m.group(3) else None))
        else:
            found.append((int(m.group(5)), _MONTHS.index(m.group(4)) + 1, int(m.group(6)) if m.group(6) else None))
    found += [(int(d), int(mo), int(y)) for y, mo, d in _ISO.findall(folded)]
    found += [(int(d), int(mo), int(y)) for d, mo, y in _NUMERIC.findall(folded)]
    if not found:
        found += [(None, None, int(m.group(0))) for m in _YEAR.finditer(folded)]
    return found


def _compatible(a, b) -> bool:
    return all(x is None or y is None or x == y for x, y in zip(a, b))


def _counts(text: str) -> set[str]:
    """Figures that are not parts of dates (vote counts, members, years as counts excluded)."""
    return figures(_DATE_WORDS.sub(" ", fold(text))) - {""}


def _sort_date(sentence) -> tuple[int, int, int]:
    """A sentence's first date; a day and month without a year take the year of its source."""
    dates = [d for d in _dates(sentence.text) if d[1] is not None]
    if not dates:
        return (9999, 99, 99)
    day, month, year = dates[0]
    published = sentence.candidate.chunk.source.date
    return (year or (int(published[:4]) if published else 9999), month or 99, day or 99)
