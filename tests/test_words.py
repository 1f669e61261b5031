"""The card maker's reading of lemminflect's lexicon agrees with lemminflect's own answers."""

from __future__ import annotations

import gzip

import lemminflect
import msgpack
import pytest

from cards.cardmaker.types import is_acronym
from cards.cardmaker.words import (
    Entry,
    FrequencyList,
    Lexicon,
    frequency_list,
    is_plural,
    lexicon,
    parts_of_speech,
    singular,
    tokens,
    verb_lemma,
    zipf,
)


def every_hundredth_word() -> list[str]:
    return lexicon().words()[::100]


@pytest.mark.parametrize("word", ["dominates", "decentralized", "optimal", "quickly", "export", "began",
                                  "colonized", "can", "all", "data", "Intel", "chips", "xyzzyq", "has"])
def test_parts_of_speech_agree_with_lemminflect(word: str) -> None:
    theirs = frozenset(lemminflect.getAllLemmas(word)) or frozenset({""})
    assert parts_of_speech(word) == theirs


def test_the_whole_table_agrees_on_a_sample() -> None:
    sample = every_hundredth_word()
    assert len(sample) > 600  # the table has about 70,000 words
    for word in sample:
        assert parts_of_speech(word) == (frozenset(lemminflect.getAllLemmas(word)) or frozenset({""})), word
        theirs = lemminflect.getAllLemmas(word, "VERB").get("VERB", ("",))[0]
        assert verb_lemma(word) == theirs.lower(), word


def test_verb_lemmas() -> None:
    assert verb_lemma("began") == "begin"
    assert verb_lemma("hastened") == "hasten"
    assert verb_lemma("Studies") == "study"
    assert verb_lemma("semiconductor") == ""
    assert parts_of_speech("decentralized") == frozenset({"VERB"})


@pytest.mark.parametrize(("word", "plural"), [
    ("children", True), ("media", True), ("bacteria", True), ("stations", True), ("people", True),
    ("station", False), ("bus", False), ("analysis", False), ("news", False), ("species", False),
    ("clasts", True),  # unknown to the lexicon: an -s plural
    ("stress", False), ("corpus", False),
])
def test_plural_nouns_come_from_the_lexicon(word: str, plural: bool) -> None:
    assert is_plural(word) is plural


def test_the_lexicons_singulars_are_lemminflects() -> None:
    plurals = [word for word in lexicon().words()[::50] if lexicon().singular(word)]
    assert len(plurals) > 100
    for plural in plurals:
        assert lexicon().singular(plural) in lemminflect.getAllLemmas(plural, "NOUN").get("NOUN", ()), plural


def test_the_search_finds_every_line_of_a_word_and_nothing_else() -> None:
    table = b"apple,NOUN,apple\nbear,VERB,bear\nbear,NOUN,bear\nbearing,NOUN,bearing\nzoo,NOUN,zoo"
    lexicon = Lexicon(table, {"bear": (Entry("adj", "bear"),)})
    assert lexicon.categories("apple") == ("noun",)
    assert lexicon.categories("bear") == ("verb", "noun", "adj")  # the table's lines, then the overrides
    assert lexicon.categories("bearing") == ("noun",)
    assert lexicon.categories("zoo") == ("noun",)  # the last line, with no line break after it
    assert [lexicon.categories(word) for word in ("aardvark", "bea", "bears", "zoos", "")] == [()] * 5


def test_a_word_is_found_between_any_two_samples() -> None:
    """Samples a few bytes apart: a word's lines may straddle one, or stand before the first."""

    class Sampled(Lexicon):
        SAMPLE_BYTES = 7

    table = b"apple,NOUN,apple\nbear,VERB,bear\nbear,NOUN,bear\nbear,ADJ,bear\nbearing,NOUN,bearing\nzoo,NOUN,zoo"
    lexicon = Sampled(table, {})
    assert len(lexicon._sample_starts) > 3
    assert lexicon.categories("apple") == ("noun",)
    assert lexicon.categories("bear") == ("verb", "noun", "adj")
    assert lexicon.categories("bearing") == ("noun",)
    assert lexicon.categories("zoo") == ("noun",)
    assert [lexicon.categories(word) for word in ("aardvark", "bea", "bears", "zoos", "")] == [()] * 5


def test_the_table_is_sorted_by_word() -> None:
    """Words are found between samples of the table (`Lexicon`): that needs lemminflect's lines in word order."""
    from cards.cardmaker.words import package_folder, word_of

    lines = gzip.decompress((package_folder("lemminflect") / "resources" / "lemma_lu.csv.gz").read_bytes())
    words = [word_of(line) for line in lines.decode().splitlines()]
    assert words == sorted(words)


def test_frequency_list_search_agrees_with_its_map() -> None:
    """The first words are searched for in the packed list, later ones looked up in a map: the same buckets."""
    packed = msgpack.packb([{"format": "cB", "version": 1}, ["the", "of"], [], ["cat", "dog", "¢ab"], [], [],
                            ["zebra", "a" * 40]])
    searching, mapped = FrequencyList(packed), FrequencyList(packed)
    searching.SEARCHED_WORDS = 10**9
    mapped.SEARCHED_WORDS = 1
    # `ab` as msgpack writes it (b"\xa2ab") is inside `¢ab` (b"\xc2\xa2ab"): found there, but not a word of it
    asked = [b"the", b"of", b"cat", b"dog", b"zebra", b"a" * 40, b"he", b"ca", b"ab", b"og", b"zebras", b"format"]
    expected = [0, 0, 2, 2, 5, 5, None, None, None, None, None, None]
    assert [searching.bucket(word) for word in asked] == expected
    assert [mapped.bucket(word) for word in asked] == expected
    assert list(searching.words()) == [b"the", b"of", b"cat", b"dog", "¢ab".encode(), b"zebra", b"a" * 40]


def test_a_word_list_in_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="not a cBpack word list"):
        FrequencyList(msgpack.packb([{"format": "other"}, ["the"]]))


def test_zipf_agrees_with_wordfreq() -> None:
    """The direct reading of wordfreq's English list gives wordfreq's own Zipf values."""
    from wordfreq import zipf_frequency

    unusual = ["river", "The", "xyzzyq", "semiconductor", "AI", "don't", "slow-wave", "2019", "café", "TSMC", "a",
               "state-of-the-art", "long-term", "x-ray", "race-day", "it's", "co-op", "xyzzy-wave"]
    words = [*(word.decode() for word in list(frequency_list().words())[::2000]), *unusual]
    assert len(words) > 150
    for word in words:
        assert zipf(word) == zipf_frequency(word, "en"), word


def test_a_topic_word_counts_with_its_irregular_plural():
    """`knife` and `knives` are one topic (the lexicon's singular), as `fab` and `fabs` are: hiding `knife` in an
    episode on knives asks for nothing the learner does not know."""
    from cards.cardmaker.targets import topic_words

    key_points = ["A chef's knife needs honing every week.", "Cheap knives dull within a month.",
                  "Knives made of harder steel hold an edge longer.", "Store a knife on a magnetic strip.",
                  "Ceramic knives chip if dropped on tiles."]
    topic = topic_words(key_points)
    assert {"knife", "knives"} <= topic
    assert singular("knives") == "knife" and singular("wolves") == "wolf" and singular("fabs") == "fab"


@pytest.mark.parametrize(("word", "acronym"), [
    ("TSMC", True), ("US", True), ("AI's", True), ("CRISPR-Cas9", True), ("mRNA", True), ("COVID-19", True),
    ("Jean-François", False), ("Bon-Joseph", False), ("McDonald's", False), ("McLean", False), ("Paris", False),
])
def test_an_acronym_is_mostly_capitals(word, acronym):
    """Two capitals make an acronym only when capitals are at least half its letters: a hyphenated first name
    (`Jean-François`) or a `Mc` name is a name, and a name can be a person's (`Who announced …?`)."""
    assert is_acronym(word) is acronym
    assert tokens(word)[0].acronym is acronym
