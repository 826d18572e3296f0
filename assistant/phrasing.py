"""Everyday phrasing made searchable: the abbreviations and casual spellings people type
("wat", "abt", "ppl", "yr", "usa") written out, for English questions only ("un" is Latvian
for "and"). Misspellings are left to the keyword index's one-edit neighbours."""

from __future__ import annotations

import re

_CASUAL = {
    "wat": "what", "wot": "what", "wut": "what", "wich": "which", "whic": "which", "wen": "when", "hw": "how",
    "abt": "about", "bout": "about", "ppl": "people", "yr": "year", "yrs": "years", "govt": "government",
    "gov": "government", "pm": "prime minister", "mp": "member of parliament", "mps": "members of parliament",
    "usa": "United States", "un": "UN", "eu": "EU", "nato": "NATO", "intl": "international", "natl": "national",
    "dept": "department", "b4": "before", "bc": "because", "cuz": "because",
    "coz": "because", "u": "you", "r": "are", "w/": "with", "w/o": "without", "pls": "please", "plz": "please",
    "1st": "first", "2nd": "second", "3rd": "third", "langs": "languages", "lang": "language", "info": "information",
    "approx": "approximately", "tho": "though", "thru": "through",
}
_ACRONYMS = ("usa", "un", "eu", "nato", "mp", "mps", "pm")
_TOKEN = re.compile(r"(?<![\w/])(w/o|w/|[A-Za-z0-9]+)(?![\w/])")


def expand(question: str) -> str:
    def swap(match: re.Match) -> str:
        word = match.group(1)
        lower = word.lower()
        # Only a lower-case word is a casual form ("U" in "Dz. U." stays), but for the
        # acronyms, which people type in any case ("MPs" is how the question writes it; the
        # sources say "members of parliament").
        return _CASUAL.get(lower, word) if word == lower or lower in _ACRONYMS else word

    return _TOKEN.sub(swap, question)
