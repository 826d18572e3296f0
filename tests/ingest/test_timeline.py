"""Step extraction on short real passages in each corpus language (sentences as the sources
in corpus/ state them), and the table's incremental refresh."""

from __future__ import annotations

import pytest

from ingest.documents import SourceDocument, SourceMeta
from ingest.splitter import split
from ingest.timeline import TimelineStore, extract


def events_of(text: str, date: str | None = "2025-06", countries=("Estonia",), language="en", title="Withdrawal report"):
    meta = SourceMeta(id="fixture", title=title, date=date, countries=tuple(countries), language=language)
    document = SourceDocument(meta=meta, text=text)
    return {(e.state, e.step, e.date) for e in extract(document, split(document, 900, 250)) if e.date}


@pytest.mark.parametrize("language, text, countries, expected", [
    ("et", "Riigikogu võttis konventsioonist lahkumise seaduse vastu 4. juunil 2025 ning president Alar Karis kiitis "
           "lahkumisotsuse heaks 13. juunil 2025.", ["Estonia"],
     {("Estonia", "parliament", "2025-06-04"), ("Estonia", "head_of_state", "2025-06-13")}),
    ("lv", "Saeima izstāšanās likumu pieņēma 16. aprīlī, bet Valsts prezidents Edgars Rinkēvičs to izsludināja 24. aprīlī.", ["Latvia"],
     {("Latvia", "parliament", "2025-04-16"), ("Latvia", "head_of_state", "2025-04-24")}),
    ("lv", "Eglīte norādīja, ka dokuments par Latvijas izstāšanos ANO ģenerālsekretāram tika iesniegts 27. jūnijā.", ["Latvia"],
     {("Latvia", "notified_un", "2025-06-27")}),
    ("pl", "O wypowiedzeniu zawiadomiono 20 sierpnia 2025 r. depozytariusza konwencji, czyli Sekretarza Generalnego ONZ. "
           "Prezydent RP wypowiedział konwencję 5 sierpnia 2025 r.", ["Poland"],
     {("Poland", "notified_un", "2025-08-20"), ("Poland", "head_of_state", "2025-08-05")}),
    ("lt", "Gruodžio 27 d. suėjo lygiai šeši mėnesiai nuo tada, kai Lietuva oficialiai pranešė JT generaliniam sekretoriui, "
           "kad traukiasi iš Otavos konvencijos.", ["Lithuania"],
     {("Lithuania", "effective", "2025-12-27")}),
    ("en", "The Foreign Ministry's official statement said Finland presented its instrument of withdrawal on 10 July 2025, "
           "and that the withdrawal will take effect in January 2026.", ["Finland"],
     {("Finland", "notified_un", "2025-07-10"), ("Finland", "effective", "2026-01")}),
    ("ro", "Parlamentul a anunțat că votul în plen privind retragerea din Tratatul de la Ottawa a avut loc pe 19 iunie 2025, "
           "cu 157 de voturi pentru retragere și 18 împotrivă.", ["Finland"],
     {("Finland", "parliament", "2025-06-19")}),
])
def test_dated_steps_in_each_language(language, text, countries, expected):
    assert events_of(text, date="2025-12-27", countries=countries, language=language) >= expected


def test_a_weekday_is_dated_by_its_report_and_the_treaty_date_is_not_a_step():
    found = events_of("On Thursday Lithuania's parliament voted for leaving the Ottawa Convention. The Convention, "
                      "done at Oslo on 18 September 1997, entered into force in 1999.", date="2025-05-08", countries=["Lithuania"])
    assert found == {("Lithuania", "parliament", "2025-05-08")}


def test_group_names_and_yearless_dates():
    found = events_of("On 27 December MAG noted with regret that Latvia, Lithuania and Estonia have left the APMBC.",
                      date=None, countries=["Latvia", "Lithuania", "Estonia"])
    assert found == {(s, "effective", "--12-27") for s in ("Latvia", "Lithuania", "Estonia")}


def test_a_first_reading_or_a_hope_is_not_a_step():
    assert not events_of("In May 2025 the Sejm held the first reading of the bill under which Poland would denounce the "
                         "Ottawa Convention.", countries=["Poland"])
    assert not events_of("On 4 June Tsahkna also said he hoped the president would soon proclaim the withdrawal law.")


def test_each_event_keeps_its_sentence_span():
    meta = SourceMeta(id="fixture", title="Withdrawal", date="2025-07-11", countries=("Finland",))
    text = "# Report\n\nSome context first. Finland presented its instrument of withdrawal on 10 July 2025.\n"
    document = SourceDocument(meta=meta, text=text)
    (event,) = extract(document, split(document, 900, 250))
    assert text[event.start:event.end] == event.quote == "Finland presented its instrument of withdrawal on 10 July 2025."


def test_refresh_reads_only_new_or_changed_sources(tmp_path):
    docs = {
        "a": SourceDocument(SourceMeta(id="a", title="A", date="2025-07-11", countries=("Finland",)),
                            "Finland presented its instrument of withdrawal on 10 July 2025."),
        "b": SourceDocument(SourceMeta(id="b", title="B", date="2025-05-08", countries=("Lithuania",)),
                            "On Thursday Lithuania's parliament voted for leaving the Ottawa Convention."),
    }
    read: list[str] = []

    def reader(source_id):
        read.append(source_id)
        return docs[source_id], split(docs[source_id], 900, 250)

    table = TimelineStore.load(tmp_path)
    assert table.refresh({"a": "1", "b": "1"}, reader) and sorted(read) == ["a", "b"]
    table.save()
    read.clear()
    again = TimelineStore.load(tmp_path)
    assert not again.refresh({"a": "1", "b": "1"}, reader) and read == []
    assert again.refresh({"a": "1"}, reader) and {e.source_id for e in again.events()} == {"a"}


def test_the_night_before_is_the_day_before_the_report():
    found = events_of("As the public broadcaster TVP reported, the bill passed the Sejm the night before by an overwhelming majority: "
                      "413 in favour, 15 against.", date="2025-06-26", countries=["Poland"], title="Poland towards withdrawal")
    assert found == {("Poland", "parliament", "2025-06-25")}


@pytest.mark.parametrize("text, count", [
    ("66 members of parliament voted in favour of leaving the Ottawa Convention.", 66),
    ("According to Delfi's information as relayed by TASS, 68 lawmakers supported the decision and 14 opposed it.", 68),
    ("Reuters reported that on Thursday the Finnish Parliament voted 157 to 18 in favour of Finland leaving the Ottawa Convention.", 157),
    ("Eduskunta äänesti irtautumisesta kesäkuussa 2025: irtautumista kannatti 157 kansanedustajaa, ja 18 halusi pysyä sopimuksessa.", 157),
    ("Potrivit Reuters, joi Parlamentul finlandez s-a pronunțat, cu 157 de voturi pentru și 18 împotrivă, pentru ieșirea Finlandei.", 157),
    ("In all, 89 members of the Riigikogu took part in Wednesday's vote: 81 were in favour of adopting the legislation.", 81),
])
def test_the_votes_for_a_final_vote(text, count):
    meta = SourceMeta(id="fixture", title="The vote on withdrawal", countries=("Latvia",))
    document = SourceDocument(meta=meta, text=text)
    votes = [e.votes_for for e in extract(document, split(document, 900, 250)) if e.votes_for is not None]
    assert votes and set(votes) == {count}
