"""English search words for a question asked in another language, so the keyword index can
find an English passage for it (and, for English questions, the English summaries the other
languages' documents carry do the same the other way).

Two parts, both generic: a small lexicon of the treaty-and-withdrawal vocabulary (word stems,
accent-folded, matched at the start of a word) for the corpus languages and the neighbours a
reader may write in (Ukrainian, Russian, German); and a transliteration of Cyrillic, so that a
name ("Гутерреш") meets its Latin spelling ("Guterres") by the index's 6-letter prefixes."""

from __future__ import annotations

import re

from ingest.keyword_index import fold

# stem (folded; Cyrillic kept as is, lower case) → English words. Stems are the shortest form
# that stays unambiguous within the vocabulary below.
_LEXICON: dict[str, str] = {
    # convention, treaty, law
    "konvenc": "convention", "konvent": "convention", "konwenc": "convention", "sopimu": "treaty convention",
    "sutart": "treaty", "ligum": "treaty", "traktat": "treaty", "ubereinkommen": "convention", "vertrag": "treaty",
    "конвенц": "convention", "договор": "treaty", "угод": "treaty agreement",
    "istatym": "law", "likum": "law", "seadus": "law", "ustaw": "law act", "laki": "law", "lakia": "law", "gesetz": "law",
    "закон": "law",
    # leaving
    "pasitrauk": "withdrawal withdraw", "isstoj": "withdrawal", "izstaj": "withdrawal withdraw", "izstas": "withdrawal",
    "lahku": "withdrawal leave", "lahkum": "withdrawal", "wypowiedz": "denunciation denounce", "wystap": "withdrawal",
    "irtisano": "denunciation withdrawal", "eroami": "withdrawal", "ero ": "withdrawal", "austritt": "withdrawal",
    "ausgetreten": "withdrew withdrawal", "austret": "withdrawal", "вихід": "withdrawal", "вийш": "withdrew withdrawal",
    "вийт": "withdraw", "выход": "withdrawal", "вышл": "withdrew withdrawal", "выйт": "withdraw",
    # mines
    "priespestin": "anti-personnel mines", "kajniek": "anti-personnel mines", "jalavaemiin": "anti-personnel mines",
    "jalavae": "anti-personnel", "przeciwpiechot": "anti-personnel", "jalkavakimiin": "anti-personnel mines",
    "jalkavaki": "anti-personnel", "minu": "mines", "minas": "mines", "minos": "mines", "minam": "mines",
    "miinat": "mines", "miino": "mines", "min ": "mines", "landmin": "landmines mines", "antipersonenmin": "anti-personnel mines",
    "протипіхот": "anti-personnel", "противопехот": "anti-personnel", "мін": "mines", "мин": "mines",
    # bodies and offices
    "parlament": "parliament", "eduskun": "parliament", "rada": "parliament rada", "рада": "parliament rada",
    "парламент": "parliament", "deputat": "deputies members", "deputet": "deputies members", "posl": "members",
    "kansanedustaj": "members", "saadik": "members", "abgeordnet": "members deputies", "депутат": "deputies members",
    "prezident": "president", "prezydent": "president", "president": "president", "presiden": "president",
    "präsident": "president", "prasident": "president", "президент": "president",
    "ministr": "minister", "minist": "minister ministry", "вице": "vice", "міністр": "minister", "министр": "minister",
    "valdzi": "government", "vyriausyb": "government", "valitsus": "government", "rzad": "government",
    "hallitu": "government", "valtioneuvost": "government", "regierung": "government", "уряд": "government",
    "правительств": "government", "generalsekret": "secretary-general", "generalinis sekretor": "secretary-general",
    "генеральн": "secretary-general", "секретар": "secretary-general", "оон": "un united nations", "ано": "un",
    "jt ": "un", "oon": "un", "ano": "un", "yk": "un", "onz": "un",
    "gynyb": "defence", "aizsardz": "defence", "kaitse": "defence", "obron": "defence", "puolustu": "defence",
    "verteidig": "defence", "оборон": "defence", "ārlietu": "foreign", "arlietu": "foreign", "uzsienio": "foreign",
    "välis": "foreign", "valis": "foreign", "zagranicz": "foreign", "ulkoministeri": "foreign ministry",
    # voting, deciding, taking effect
    "balsav": "vote voted", "balsoj": "vote voted", "haaletu": "vote", "glosow": "vote voted",
    "aanest": "vote voted", "abstimm": "vote", "stimmt": "voted", "голосув": "vote voted", "голосов": "vote voted",
    "susilaik": "abstained", "atturej": "abstained", "erapool": "abstained", "wstrzym": "abstained",
    "tyhj": "abstained", "enthalt": "abstained", "утрима": "abstained", "воздерж": "abstained",
    "nepiedal": "did not take part", "nedalyva": "did not take part", "ei osalen": "did not take part",
    "nie wzie": "did not take part", "priim": "adopted", "pienem": "adopted", "vastu vot": "adopted",
    "przyj": "adopted", "hyvaksy": "approved adopted", "ухвал": "adopted", "принял": "adopted",
    "isigalio": "entry into force takes effect", "staj speka": "takes effect", "stajas speka": "takes effect",
    "joustu": "entry into force", "voimaan": "entry into force", "wejdzie w zycie": "entry into force",
    "набир": "entry into force", "вступ": "entry into force", "pasiras": "signed", "parakst": "signed",
    "allkirj": "signed", "podpis": "signed", "allekirj": "signed", "підпис": "signed", "подпис": "signed",
    "pranes": "notified notice", "pazin": "announced notified", "teata": "notified", "powiadom": "notified",
    "zawiadom": "notified", "ilmoit": "notified", "повідом": "notified", "уведом": "notified",
    "приєдна": "joined", "присоедин": "joined", "prisijung": "joined", "pievienoj": "joined", "liitu": "joined",
    "przystap": "joined", "liittyi": "joined", "beigetreten": "joined",
    "держав": "states countries", "valstyb": "states", "valst": "states", "riik": "states countries",
    "panst": "states", "valtio": "states", "staat": "states",
    # war, security, reasons
    "karas": "war", "kars": "war", "soda": "war", "wojn": "war", "sota": "war", "krieg": "war", "війн": "war",
    "войн": "war", "saugum": "security", "drosib": "security", "julgeol": "security", "bezpiecz": "security",
    "turvallisuu": "security", "sicherheit": "security", "безпек": "security", "безопасн": "security",
    "rusij": "russia", "krievij": "russia", "venemaa": "russia", "rosj": "russia", "venaj": "russia",
    "russland": "russia", "росі": "russia", "росси": "russia", "росія": "russia", "россия": "russia",
    "україн": "ukraine", "украин": "ukraine", "литв": "lithuania", "литов": "lithuania", "латв": "latvia",
    "естон": "estonia", "эстон": "estonia", "польщ": "poland", "польш": "poland", "фінлян": "finland",
    "финлян": "finland", "litauen": "lithuania", "lettland": "latvia", "estland": "estonia", "polen": "poland",
    "finnland": "finland",
    # question words that set the answer type, so an English passage's figures and dates fit
    "kada": "when", "kad ": "when", "millal": "when", "kiedy": "when", "milloin": "when", "wann": "when",
    "коли": "when", "когда": "when", "відколи": "since when", "kiek": "how many", "cik": "how many",
    "mitu": "how many", "ile": "how many", "kuinka monta": "how many", "wie viele": "how many",
    "скільки": "how many", "сколько": "how many", "kas ": "who", "kes ": "who", "kto": "who", "kuka": "who",
    "wer ": "who", "хто": "who", "кто": "who",
}
_CYRILLIC = dict(zip(
    "абвгґдеєжзиіїйклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "g", "d", "e", "ye", "zh", "z", "y", "i", "yi", "y", "k", "l", "m", "n", "o", "p", "r", "s",
     "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
))
_HAS_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_WORD = re.compile(r"[^\W\d_]+")


_FOLDED = {fold(stem): english for stem, english in _LEXICON.items()}  # folding drops й, ї's marks


def transliterate(text: str) -> str:
    out = []
    for ch in text:
        latin = _CYRILLIC.get(ch.lower(), ch)
        out.append(latin.capitalize() if ch.isupper() else latin)
    return "".join(out)


def english_gloss(question: str) -> str:
    """English search words for the question's vocabulary (and Latin spellings of its Cyrillic
    names); empty for a question with nothing to gloss."""
    folded = fold(question)
    padded = " " + " ".join(_WORD.findall(folded)) + " "
    words: list[str] = []
    for stem, english in _FOLDED.items():
        # Matched at a word's start; a stem ending in a space must end the word ("kas " is
        # "who", not "kasutama").
        if " " + stem in padded:
            words.extend(english.split())
    if _HAS_CYRILLIC.search(question):
        words.extend(w for w in _WORD.findall(transliterate(question)) if w[:1].isupper())
    return " ".join(dict.fromkeys(words))
