"""Withdrawal steps stated in the sources, found at ingest: for each sentence that names a step
of a state's exit (announced, government approval, parliament's final vote, head of state's
signature, notice to the UN, entry into force) next to a date, one `StepEvent` that keeps the
sentence's span in its source, so that it can be cited like any answer sentence.

Rules, not a model: a date pattern in the corpus languages ("27 czerwca 2025", "27. jūnijā",
"4. juunil", "10.7.2025", "2025 m. gruodžio 27 d."), generic step cues in the same languages,
and the names of the six withdrawing states and their parliaments. Each date takes the step
whose cue stands nearest to it in its clause, so "the Riigikogu adopted the law on 4 June, and
the president approved it on 13 June" yields two events. Measured against the development
questions' key facts in tests/ingest/test_timeline_coverage.py.

Persisted per source in STORE/desk/timeline.json and refreshed like the keyword index: only a
source that is new or changed (or extracted under an older rule version) is read again."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from ingest.documents import Chunk, SourceDocument
from ingest.keyword_index import atomic_write_text, fold

EXTRACTOR_VERSION = "2"
FILE_NAME = "timeline.json"

STEPS = ("announced", "government", "parliament", "head_of_state", "notified_un", "effective")
STATES = ("Lithuania", "Latvia", "Estonia", "Poland", "Finland", "Ukraine")

# -- dates ----------------------------------------------------------------------------------
# Month stems in folded form (lower case, no diacritics), each with its number. A stem must
# start a word; the rest of the word is its inflection ("czerwca", "junija", "juunil").
_MONTH_STEMS: dict[str, int] = {}
for _number, _stems in enumerate((
    "january janv jaanuar stycz sausio tammikuu ianuarie sichn",
    "february febr veebr lut vasario helmikuu februarie lyut",
    "march mart marts marc kovo maaliskuu martie berez",
    "april apr kwiet balandz huhtikuu aprilie kvit",
    "may maij mai maj geguz toukokuu trav",
    "june jun juun czerw birzel kesakuu iunie cherv",
    "july jul juul lipc liepos heinakuu iulie lyp",
    "august aug sierp rugpjuc elokuu serp",
    "september sept wrzes rugsej syyskuu septembrie veres",
    "october okt oct pazdz spalio lokakuu octombrie zhovt",
    "november nov listopad lapkric marraskuu noiembrie lystop",
    "december dec dets grud gruodz joulukuu decembrie hrud",
), start=1):
    for _stem in _stems.split():
        _MONTH_STEMS[_stem] = _number
# Longest first, so "marts" wins over "mar…" readings and "juun" over "jun".
_MONTH = "|".join(sorted(_MONTH_STEMS, key=len, reverse=True))
_MONTH_WORD = rf"(?P<month>(?:{_MONTH})[a-z]*)"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_FORMS = [
    # 2025 m. gruodzio 27 d. (Lithuanian); gruodzio 27 d.
    re.compile(rf"\b(?:{_YEAR}\s*m\.\s*)?{_MONTH_WORD}\s+(?P<day>\d{{1,2}})\s*d\b"),
    # 2025. gada 27. junija (Latvian)
    re.compile(rf"\b{_YEAR}\.\s*gada\s+(?P<day>\d{{1,2}})\.\s*{_MONTH_WORD}"),
    # 27 czerwca 2025, 27. junija, 4. juunil 2025, 27th June, 19 iunie
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?{_MONTH_WORD}(?:,?\s+{_YEAR}(?:\.|\b))?"),
    # June 27, 2025
    re.compile(rf"\b{_MONTH_WORD}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?\s+{_YEAR}\b)?"),
    # 2025-06-27
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>\d\d)-(?P<day>\d\d)\b"),
    # 27.6.2025, 27.06.2025
    re.compile(r"\b(?P<day>\d{1,2})\.(?P<mnum>\d{1,2})\.(?P<year>(?:19|20)\d\d)\b"),
    # June 2025, czerwca 2025 (month only)
    re.compile(rf"\b{_MONTH_WORD}\s+{_YEAR}\b"),
]


# Weekday names, folded, as whole words with their inflections ("ketvirtadieni", "torstaina").
_WEEKDAY_FORMS = (
    r"monday|pirmadien\w*|pirmdien\w*|esmaspaev\w*|poniedzialek|poniedzialk\w*|maanantai\w*|luni|ponedil\w*",
    r"tuesday|antradien\w*|otrdien\w*|teisipaev\w*|wtorek|wtork\w*|tiistai\w*|marti|vivtor\w*",
    r"wednesday|treciadien\w*|tresdien\w*|kolmapaev\w*|srod[aeyz]|keskiviikko\w*|miercuri|sered\w*",
    r"thursday|ketvirtadien\w*|ceturtdien\w*|neljapaev\w*|czwartek|czwartk\w*|torstai\w*|joi|chetver\w*",
    r"friday|penktadien\w*|piektdien\w*|reedel|piatek|piatk\w*|perjantai\w*|vineri|piatnyts\w*",
    r"saturday|sestadien\w*|sestdien\w*|laupaev\w*|sobot[aeyz]|lauantai\w*|sambata|subot\w*",
    r"sunday|sekmadien\w*|svetdien\w*|puhapaev\w*|niedziel[aeiy]|sunnuntai\w*|duminica|nedil\w*",
)
# "today", "yesterday", "the night before": resolved against the source's own date too.
_TODAY_WORDS = r"today|tonight|this morning|siandien|sodien|tana|dzisiaj|tanaan"
_TODAY = re.compile(_TODAY_WORDS)
_RELATIVE_DAY = re.compile(rf"\b(?:{_TODAY_WORDS}|yesterday|the night before|the day before|last night|vakar|eile|wczoraj|eilen)\b")
_WEEKDAY_PATTERNS = [re.compile(rf"\b(?:{forms})\b(?!\s+\d)") for forms in _WEEKDAY_FORMS]
# "from April to June 2025", "between March and May": a period, not the day of a step.
# Also the date of a document ("dated 19 June") and the treaty's own ("done at Oslo on 18
# September 1997", "sporządzona w Oslo 18 września 1997 r.", "Oslossa 18.9.1997 tehdyn").
_TREATY_AFTER = re.compile(r"\s*(?:r\.\s*)?(?:convention|treaty|konvencij|konwencj|yleissopimu|sopimu|tehdyn|tehty)")
_NOT_A_STEP_DATE = re.compile(r"\bdated\s*$|\bdatat\w*\s*$|\b(?:done|adopted|signed|concluded|sporzadzon\w*|sudaryt\w*|pienemt\w*)\s+(?:at|in|w|on)?\s*\S*\s*(?:on)?\s*$"
                             r"|\boslo\w*\s*(?:on\s*)?$|"
                             r"\b(?:from|between|since|until|od|iki|nuo|no|alates|kuni|alkaen)\s+\S+(?:\s+\S+)?\s+(?:to|and|until|till|do|iki|lidz|kuni|-|–)\s*$")


@dataclass(frozen=True)
class FoundDate:
    start: int  # offsets in the text searched
    end: int
    year: int | None
    month: int  # 0 for a weekday or a relative day
    day: int | None
    weekday: int | None = None  # 0 = Monday, for "on Thursday"
    days_back: int | None = None  # "today" 0, "yesterday" / "the night before" 1


def _month_number(word: str) -> int | None:
    for stem in sorted(_MONTH_STEMS, key=len, reverse=True):
        if word.startswith(stem):
            return _MONTH_STEMS[stem]
    return None


def find_dates(folded: str) -> list[FoundDate]:
    """Dates in folded text, left to right, none overlapping (the first form that reads a span
    wins, longest forms first)."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []  # spans read as a date, shown or not
    for form in _DATE_FORMS:
        for m in form.finditer(folded):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            groups = m.groupdict()
            month = int(groups["mnum"]) if groups.get("mnum") else _month_number(groups.get("month") or "")
            day = int(groups["day"]) if groups.get("day") else None
            year = int(groups["year"]) if groups.get("year") else None
            if not month or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
                continue
            if _NOT_A_STEP_DATE.search(folded[max(0, m.start() - 40) : m.start()]) or _TREATY_AFTER.match(folded, m.end()):
                continue
            found.append(FoundDate(m.start(), m.end(), year, month, day))
    for m in _RELATIVE_DAY.finditer(folded):
        if not any(f.start < m.end() and m.start() < f.end for f in found):
            back = 0 if _TODAY.fullmatch(m.group(0)) else 1
            found.append(FoundDate(m.start(), m.end(), None, 0, None, None, back))
    # "on Thursday": resolved later against the source's own date.
    for number, pattern in enumerate(_WEEKDAY_PATTERNS):
        for m in pattern.finditer(folded):
            if not any(f.start < m.end() and m.start() < f.end for f in found):
                found.append(FoundDate(m.start(), m.end(), None, 0, None, number))
    return sorted(found, key=lambda f: f.start)


def length_preserving_fold(text: str) -> str:
    """`fold` one character at a time, so offsets in the folded text are offsets in `text`."""
    if text.isascii():
        return text.lower()
    return "".join((fold(ch) or ch)[:1] for ch in text)


# -- states and steps -----------------------------------------------------------------------
# Names of the states, their parliaments and their presidents' offices, folded, as word
# prefixes (inflected forms: "Lietuvos", "Łotwy", "Soomes").
_STATE_CUES = {
    "Lithuania": r"lithuan|lietuv|litw|liettua|leedu|seim(?:as|o|e|ui)?\b",
    "Latvia": r"latvi|lotw|latvij|latvia|lati\b|latis|lati |saeim",
    "Estonia": r"estoni|eesti|estij|igaunij|viro\b|viron|riigikogu",
    "Poland": r"poland|polish|polsk|polsc|polan|lenkij|polij|puola|poola|sejm|rzeczpospolit|prezydent rp",
    "Finland": r"finland|finnish|suomi|suomen|suome|suomij|somij|finlandi|soome|eduskun",
    "Ukraine": r"ukrain|verkhovna|zelensk",
}
_STATE_PATTERNS = {state: re.compile(rf"\b(?:{cues})") for state, cues in _STATE_CUES.items()}
_GROUPS = {
    # "the Baltic states" names three states at once
    re.compile(r"\bbaltic (?:states|countries|nations|trio|parliaments|governments|foreign ministers|defence ministers)|\bbaltics\b|\bbaltijas valst|\bbalti riigi|\bbaltijos (?:salys|valstyb)|\bpanstw\w* baltyck|\bbaltian maat"):
        ("Lithuania", "Latvia", "Estonia"),
}

_ACTION_VOTE = r"vot|approv|adopt|pass|back|endors|support|ratif|balsav|priem|pritar|nobalso|atbalst|pienem|hääl|haal|vastu|kiit|glosow|uchwal|przyj|aanest|hyvaks|ухвал|проголос"
_STEP_CUES: dict[str, re.Pattern] = {
    "announced": re.compile(
        r"\b(?:recommend|rekomend|ieteik|soovit|suosit|(?:announc|oglos|paskelb|pazinoj|teatas|ilmoitt)\w*(?:\W+\S+){0,6}?\W+(?:withdr|leav|exit|quit|plan|intention|decision|wypowiedz|pasitrauk|izstat|lahku|irtaut)|"
        r"plan(?:s|ned)? to (?:leave|withdraw|exit|quit)|intention to (?:leave|withdraw)|decided to (?:leave|withdraw|start|begin)|"
        r"start(?:ed|ing)? (?:the )?preparations?|prepar\w* (?:to|for) (?:leave|withdraw|exit)|valmistel|"
        r"joint (?:statement|recommendation|letter|declaration)|declar\w* (?:their|its) (?:wish|intention|decision)|first step towards|"
        r"wspoln\w* oswiadcz|bendr\w* pareisk|kopig\w* pazinoj|uhis\w* avaldus|yhteis\w* (?:julkilausum|lausun))"),
    "government": re.compile(
        rf"\b(?:government|cabinet|ministru kabinet|valdib|valitsus|vyriausyb|rzad|rada ministrow|hallitu|valtioneuvost|"
        rf"council of ministers|national security and defen[cs]e council|nsdc|rnbo)\w*\W+(?:\w+\W+){{0,6}}?(?:{_ACTION_VOTE}|submit|propos|esitys|esityksen|antoi)"
        r"|\bhallituksen esity|\bgovernment(?:'s)? (?:proposal|bill|decision)|\bnational security and defen[cs]e council\b|\bnsdc\b"
        r"|\b(?:decision|resolution) (?:taken|adopted|made) by (?:the )?\S*\s?(?:government|cabinet|council)"),
    "parliament": re.compile(
        rf"\b(?:parliament|parlament|lawmakers|legislat|deputies|deputati|mps\b|members of parliament|seim|saeim|riigikogu|sejm|eduskun|"
        rf"verkhovna|rada\b|rady\b|seimas|plenary|plenar|taysistun|kansanedustaj|posl|saadik|depután|народн)\w*\W+(?:\S+\W+){{0,8}}?(?:{_ACTION_VOTE})"
        rf"|\b(?:{_ACTION_VOTE})\w*\W+(?:\S+\W+){{0,6}}?(?:parliament|seim|saeim|riigikogu|sejm|eduskun|verkhovna|rada\b|lawmakers|deputies|mps\b)"
        r"|\b\d{2,3} (?:votes|balsai|balsu|hääl|haal|glos|aan)\w* (?:to|in favour|in favor|for|pret|vastu|prie?s|przeciw)"
        # "the Act of 25 June 2025": a law is dated by its final vote
        r"|\b(?:act|law|ustaw\w*|likum\w*|seadus\w*|istatym\w*) (?:of|z|dated|no)\s*$"),
    "head_of_state": re.compile(
        r"\b(?:president|prezident|prezydent|presidentti|tasavallan president|zelensk|rinkevic|karis|nauseda|stubb|nawrock|duda)\w*\W+(?:\S+\W+){0,8}?"
        r"(?:sign|decree|proclaim|promulgat|enact|kiit|kuulut|izsludin|pasiras|podpis|wypowiedz|vahvist|approv|issued|ukaz|указ|pidpys|denounc)"
        r"|\b(?:decree|ukaz|указ)\w*\W+(?:\S+\W+){0,6}?(?:president|zelensk)"
        r"|\b(?:signed|proclaimed|promulgated) (?:into law )?by (?:the )?president"),
    "notified_un": re.compile(
        r"\b(?:secretary[- ]general|sekretarz\w* generaln|generalsekret|peasekret|paasihteer|generalinis sekret|generalsekretar|"
        r"depositar|depozytar|depozitar|depozitaar|tallettaj|united nations|\bun\b|\bonz\b|\bjt\b|\byk\b|\bano\b|\bоон\b)"
        r"|\b(?:notif|notyfik|zawiadom|instrument of (?:withdrawal|denunciation)|irtisanomiskir|notice of withdrawal|withdrawal notice|"
        r"deposit|lodg|handed over|iteik|iesniedz|nodev|andis ule|toimitt|luovutt|tallett)"),
    "effective": re.compile(
        r"\b(?:enter\w* into force|came into force|comes into force|take\w* effect|took effect|became effective|becomes effective|"
        r"no longer (?:bound|a (?:state )?party|binding|a member)|cease[sd]? to be (?:bound|binding|a party)|stopped being bound|"
        r"officially (?:withdr|left|leaves|exit|quit|ceased)|formally (?:left|withdrew|exited)|ha(?:ve|s) (?:officially |formally )?left|"
        r"(?:six|6)[- ]months? (?:had |have |has )?(?:passed|elapsed|over|since)|notice period (?:is |was |had been )?over|suej\w* (?:\w+ )?sesi menes|"
        r"przesta\w* (?:wiaz|obowiaz)|utra\w* moc|stajas speka|stasies speka|izstajusies|joustu|voimaan|irtautui|oficialiai pasitrauk|"
        r"nustoj\w* galio|galioti nustoj|vairs nav|ei ole enam|набира\w* чинност|набув\w* чинност)"),
}
# Steps that are not the ones the table shows: a first reading or a committee vote is not the
# final vote; joining the Convention (ratifying, acceding) is not a step of leaving it.
_NOT_A_STEP = re.compile(
    r"\b(?:first reading|second reading|pirmaj\w* lasijum|esimene lugemine|pierwsz\w* czytani|first vote|committee|komitej|komisij|komisj|"
    r"komisjon|valiokun|accession|acced|became a party|joined|ratified the|ratification|pievienoj|liitus|przystap|liittyi|prisijung|"
    r"signed the convention in|opened for signature|hope[ds]?|would soon|loodab|cere|toivo\w*|nadziej\w*|tikisi|viltu)")
_WITHDRAWAL = re.compile(
    r"\b(?:withdr|leav|leaving|exit|quit|denounc|denunc|left\b|izstaj|izstas|lahku|lahkum|wypowiedz|wystap|irtisan|irtaut|erota|"
    r"pasitrauk|denonsav|вихід|вийти|вихода|виход)")
_CLAUSE_BREAK = re.compile(r"[;,:()]|\s(?:and|ir|un|ja|ning|i|oraz|while|whereas|but|after|before|then)\s")


@dataclass(frozen=True)
class StepEvent:
    """One source's statement that a state took a step on a date, or, for the parliament's
    vote, how many members voted for it (then `date` is None unless the sentence dates it)."""

    state: str
    step: str
    date: str | None  # "2025-06-27", "2025-06" when the source gives only the month
    source_id: str
    heading: str
    start: int  # the stating sentence's span in the source text
    end: int
    quote: str
    confidence: float  # 1.0: the sentence names the state; 0.5: the state comes from context
    votes_for: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def states_named(text: str) -> list[str]:
    """The withdrawing states a text names, by name, parliament or group ("the Baltic states")."""
    return _states_in(fold(text))


def _states_in(folded: str) -> list[str]:
    states = [s for s, p in _STATE_PATTERNS.items() if p.search(folded)]
    for pattern, group in _GROUPS.items():
        if pattern.search(folded):
            states += [s for s in group if s not in states]
    return states


def _nearest_step(segment: str, anchor: int) -> tuple[str, int] | None:
    """The step whose cue stands nearest `anchor` (an offset in `segment`), with its distance.
    "Announced" only when no other step is named: it is also a reporting verb ("the Parliament
    announced that the plenary vote took place on 19 June")."""
    best: tuple[str, int] | None = None
    for step, pattern in _STEP_CUES.items():
        if step == "announced":
            continue
        for m in pattern.finditer(segment):
            distance = min(abs(m.start() - anchor), abs(m.end() - anchor))
            if best is None or distance < best[1]:
                best = (step, distance)
    if best is None and (m := _STEP_CUES["announced"].search(segment)):
        best = ("announced", min(abs(m.start() - anchor), abs(m.end() - anchor)))
    return best


def resolve(found: FoundDate, source_date: str | None, context_year: int | None) -> str | None:
    """The ISO date a found date stands for ("2025-06-27", "2025-06"), "--06-27" when no year
    can be known (merging matches it with a dated statement of the same day), or None (a
    weekday in an undated source)."""
    published = _full_date(source_date)
    if found.days_back is not None:
        return (published - timedelta(days=found.days_back)).isoformat() if published else None
    if found.weekday is not None:
        if published is None:
            return None
        return (published - timedelta(days=(published.weekday() - found.weekday) % 7)).isoformat()
    year = found.year
    if year is None and source_date and source_date[:4].isdigit():
        year = int(source_date[:4])
        # A yearless date later than the report itself is one of last year's.
        month = int(source_date[5:7]) if len(source_date) >= 7 else 12
        day = published.day if published else 31
        if (found.month, found.day or 1) > (month, day):
            year -= 1
    year = year or context_year
    if found.day is None:
        return f"{year:04d}-{found.month:02d}" if year else None
    if year is None:
        return f"--{found.month:02d}-{found.day:02d}"
    try:
        return date(year, found.month, found.day).isoformat()
    except ValueError:
        return f"{year:04d}-{found.month:02d}"


def _full_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


def _document_year(document: SourceDocument) -> int | None:
    """The year of a yearless date in an undated source, when the source names only one."""
    years = set(re.findall(r"\b(20\d\d)\b", document.text))
    return int(years.pop()) if len(years) == 1 else None


def extract(document: SourceDocument, chunks: Iterable[Chunk]) -> list[StepEvent]:
    """Every dated withdrawal step the document's passages state."""
    meta = document.meta
    events: list[StepEvent] = []
    context_year = _document_year(document)
    seen: set[tuple] = set()
    own_states = [s for s in meta.countries if s in STATES]
    for chunk in chunks:
        passage = length_preserving_fold(chunk.text)
        if not _WITHDRAWAL.search(passage + " " + fold(meta.title) + " " + fold(chunk.heading)):
            continue
        context_states = _states_in(fold(chunk.heading)) or _states_in(fold(meta.title))
        previous_states: list[str] = []
        for s_start, s_end in chunk.sentences:
            sentence = passage[s_start:s_end]
            dates = find_dates(sentence)
            sentence_states = _states_in(sentence)
            for i, found in enumerate(dates):
                step, states, named = _read_date(sentence, dates, i)
                if step is None:
                    continue
                if not states:
                    states = sentence_states
                    named = bool(states)
                if not states:
                    states = previous_states or context_states or (own_states if len(own_states) == 1 else [])
                    named = False
                when = resolve(found, meta.date, context_year)
                if not states or when is None:
                    continue
                for state in states:
                    key = (state, step, when, chunk.start + s_start)
                    if key in seen:
                        continue
                    seen.add(key)
                    events.append(StepEvent(
                        state=state, step=step, date=when, source_id=meta.id, heading=chunk.heading,
                        start=chunk.start + s_start, end=chunk.start + s_end, quote=chunk.text[s_start:s_end],
                        confidence=1.0 if named else 0.5,
                    ))
            votes = votes_for(sentence)
            if votes is not None:
                states = sentence_states or previous_states or context_states or (own_states if len(own_states) == 1 else [])
                for state in states:
                    events.append(StepEvent(
                        state=state, step="parliament", date=None, source_id=meta.id, heading=chunk.heading,
                        start=chunk.start + s_start, end=chunk.start + s_end, quote=chunk.text[s_start:s_end],
                        confidence=1.0 if sentence_states else 0.5, votes_for=votes,
                    ))
            if sentence_states:
                previous_states = sentence_states
    return events


# How many voted for: "66 members of parliament voted in favour", "voted 157 to 18", "413 in
# favour", "68 lawmakers supported", "cu 157 de voturi pentru", "irtautumista kannatti 157".
_MEMBERS = r"(?:members|deputies|mps|lawmakers|legislators|votes|voturi|nari\w*|deputat\w*|saadik\w*|posl\w*|kansanedustaj\w*)"
_VOTES_FOR = [
    re.compile(r"\bvoted (\d{2,3}) ?(?:to|-|–|:) ?\d{1,3}\b"),
    re.compile(rf"\b(\d{{2,3}}) (?:\w+ ){{0,3}}?{_MEMBERS}\b(?:\s+\S+){{0,4}}?\s+(?:voted (?:in favou?r|for)|in favou?r|for (?:withdraw|leav|exit|the (?:bill|law|withdrawal))|supported|backed|pentru|balsavo uz|nobalsoja par|za\b)"),
    re.compile(r"\b(\d{2,3}) (?:were |was )?in favou?r\b"),
    re.compile(r"\b(?:kannatti|poolt haaletas|za glosowalo|par nobalsoja|uz balsavo) (\d{2,3})\b"),
]


def votes_for(folded_sentence: str) -> int | None:
    """The number of votes for a final vote the sentence reports, or None."""
    if _NOT_A_STEP.search(folded_sentence):
        return None
    for pattern in _VOTES_FOR:
        m = pattern.search(folded_sentence)
        if m:
            return int(m.group(1))
    return None


def _read_date(sentence: str, dates: list[FoundDate], i: int) -> tuple[str | None, list[str], bool]:
    """The step (and the states named with it) the i-th date of the sentence belongs to: first
    the clause before the date ("the Saeima voted on 16 April"), then the clause after it ("on
    16 April the Saeima voted"), then, for a sentence with one date, the whole sentence."""
    found = dates[i]
    left_edge = dates[i - 1].end if i else 0
    right_edge = dates[i + 1].start if i + 1 < len(dates) else len(sentence)
    before = sentence[left_edge : found.start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause_before = before[breaks[-1].end() :] if breaks else before
    after = sentence[found.end : right_edge]
    cut = _CLAUSE_BREAK.search(after)
    clause_after = after[: cut.start()] if cut else after
    segments = [(clause_before, len(clause_before)), (clause_after, 0), (before, len(before))]
    if len(dates) == 1:
        segments.append((sentence, found.start))
    for segment, anchor in segments:
        if _NOT_A_STEP.search(segment):
            return None, [], False
        nearest = _nearest_step(segment, anchor)
        if nearest:
            states = _states_in(segment)
            return nearest[0], states, bool(states)
    return None, [], False


# -- the table file -------------------------------------------------------------------------


class TimelineStore:
    """STORE/desk/timeline.json: per source, the digest it was extracted from, its metadata and
    its events. Written atomically, like every other file of the store."""

    def __init__(self, index_dir: Path):
        self.path = index_dir / FILE_NAME
        self.sources: dict[str, dict] = {}

    @classmethod
    def load(cls, index_dir: Path) -> TimelineStore:
        table = cls(index_dir)
        if table.path.is_file():
            try:
                payload = json.loads(table.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                payload = {}  # unreadable: rebuilt from the source texts by the next ingest
            if payload.get("version") == EXTRACTOR_VERSION:
                table.sources = payload.get("sources", {})
        return table

    def save(self) -> None:
        payload = {"version": EXTRACTOR_VERSION, "sources": self.sources}
        atomic_write_text(self.path, json.dumps(payload, ensure_ascii=False, sort_keys=True))

    def events(self) -> list[StepEvent]:
        return [StepEvent(**e) for entry in self.sources.values() for e in entry["events"]]

    def meta(self, source_id: str) -> dict:
        return self.sources.get(source_id, {}).get("meta", {})

    def refresh(self, wanted: dict[str, str], read, extracted: dict[str, list[StepEvent]] | None = None) -> bool:
        """Make the table hold exactly the sources in `wanted` (source id → digest): drop the
        others, extract those missing or changed with `read(source_id) -> (document, chunks)`
        (or take their steps from `extracted`, read already). True when anything changed."""
        changed = False
        for source_id in set(self.sources) - set(wanted):
            del self.sources[source_id]
            changed = True
        for source_id, digest in wanted.items():
            if self.sources.get(source_id, {}).get("digest") == digest:
                continue
            document, chunks = read(source_id)
            events = extracted[source_id] if extracted and source_id in extracted else extract(document, chunks)
            self.sources[source_id] = {
                "digest": digest,
                "meta": document.meta.to_dict(),
                "events": [e.to_dict() for e in events],
            }
            changed = True
        return changed
