"""Words: every word list of the card maker, tokens and the word tables.

The word tables are wordfreq's English frequency list and lemminflect's
lemma table, read from their wheels and searched lazily (see `FrequencyList`
and `Lexicon`): a build that makes a few cards asks about a few dozen words.
"""

from __future__ import annotations

import bisect
import importlib.util
import math
import re
from collections.abc import Iterator, Sequence
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

from cards.cardmaker.types import UNKNOWN, Token

# --- word lists -----------------------------------------------------------------------------------


# Function words, pronouns and fillers: never a target, never a unit.
STOPWORDS = frozenset(
    """a an the and or but nor so yet for of to in on at by from with without into onto over under
    about above below after before between through during since until upon within across along
    around among against toward towards via per than then as if because while whereas though although
    is are was were be been being am do does did done has have had having can could will would shall
    should may might must not no yes this that these those there here it its it's they them their
    theirs he him his she her hers we us our ours you your yours i me my mine who whom whose which
    what when where why how all any each every both either neither some many much more most few less
    least other another such same own only also just very too even still already again ever never
    like right really basically actually kind sort well okay ok yeah um uh so-called thing things
    due unlike despite including rather today tomorrow yesterday tonight others little
    something anything everything nothing someone anyone everyone lot lots way ways one ones
    become becomes became make makes made get gets got use uses used often up out off down""".split()
)


APPROXIMATORS = frozenset(
    "about roughly around nearly almost approximately some over under more less than up to just only".split()
)


NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    tens hundreds thousand thousands million millions billion billions trillion trillions dozen dozens
    half halves quarter quarters third thirds fifth fifths double twice triple""".split()
)


MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)


ANAPHORA = frozenset("this that these those they it he she them such".split())


DETERMINERS = frozenset("a an the its their his her our your this that these those each every".split())


PERSONAL_PRONOUNS = frozenset("he she they".split())


PRONOUN_OPENERS = frozenset("this it they he she these".split())


MODALS = frozenset("can could will would should may might must cannot".split())


BE = frozenset("be been being is are was were".split())  # `cannot be phished`, `is stratified`: never a target


AUXILIARIES = frozenset(
    """is are was were will would can could should may might must has have had does do did
    isn't aren't wasn't weren't won't wouldn't can't couldn't shouldn't mustn't hasn't haven't
    hadn't doesn't don't didn't cannot""".split()
)


SINGULAR = {
    "are": "is", "were": "was", "have": "has", "do": "does", "don't": "doesn't", "aren't": "isn't",
    "weren't": "wasn't", "haven't": "hasn't",
}


PREPOSITIONS = frozenset(
    """in on at by from with without into onto over under about above below after before between
    through during since until upon within across along around among against toward towards via per
    for of to as like despite unlike amid amidst amongst atop behind beneath beside beyond except throughout till
    underneath aboard""".split()  # not `near`, `past`, `opposite`, `inside`: as often a modifier (`the [past] decade`)
)


SUBORDINATORS = frozenset("""before after when where which that because if while until who whom whose unless although
                          though whereas whenever wherever whether""".split())


# Verbs that are also stopwords: `Roman concrete used …`, `Norway gets …`.
COMMON_VERBS = frozenset("used uses makes gets becomes".split())


VERBS_AMONG_STOPWORDS = frozenset("use make get become".split())  # stopwords, but verbs all the same


ADVERBS = frozenset("later then also still often now soon already never always once first".split())


# Words that go into the gap with the target: `involves [many experiments]`, `[about 180] copies`.
GAP_WORDS = frozenset(
    "the a an many few several some multiple numerous about roughly around nearly almost approximately over under"
    .split()
)


# After these a target starts no noun phrase of its own: `and [manufacturing]`, `their [source]`.
NO_GAP_AFTER = AUXILIARIES | SUBORDINATORS | frozenset(
    "to and or but nor its their his her our your my this that any every each all no same less more most fewer".split()
)


# Verbs whose subject is a person: they turn `What` into `Who`.
PERSON_VERBS = frozenset(
    """says said argues argued believes believed thinks thought mentions mentioned states stated claims
    claimed explains explained describes described notes noted suggests suggested recommends recommended
    warns warned predicts predicted recalls recalled contrasts contrasted left joined founded ran worked
    wrote led told asked admits admitted insists insisted introduced invented""".split()
)


# The verbs Snipd's summaries put between a speaker and a claim (the list and plain
# verbs of saying); `predicted`, `founded` and the like make a fact about the person.
# After these the claim is a clause even without `that` (`believes export controls are …`):
CLAUSE_VERBS = frozenset(
    """argues argued says said notes noted believes believed thinks thought warns warned estimates estimated
    states stated mentions mentioned explains explained suggests suggested claims claimed emphasizes emphasized
    highlights highlighted points pointed observes observed doubts doubted""".split()
)


# after these it is not (`credits cattle with …`, `cautions against …`):
# Verbs that report a finding, in the past: their subject (`A 2016 study of 1,000 readers found …`) frames the
# claim, as a speaker does, even without `that`. In the present they state a fact (`Fungi link roots …`).
FINDING_VERBS = frozenset(
    """found showed concluded revealed suggested indicated demonstrated reported confirmed estimated""".split()
)


# Modals that give advice to their subject: `Newcomers [should] start with …`.
ADVISING_MODALS = frozenset("should must ought".split())


# Determiners of what the listener already has or has just heard of (`[your] starter`, `[that] password`).
GIVEN_DETERMINERS = frozenset("your their its that this those these".split())


# A verb's particle: `switch [off] the lights`, `line [up] an offer`.
PARTICLES = frozenset("up out off down back away".split())


# Words that open a setting: a time, place or condition before the claim (`In 1997, …`, `During a drought, …`).
SETTING_OPENERS = frozenset(
    """in on at during by since after before over for within across throughout under around when while if once
    as although because though whenever until upon""".split()
)


OTHER_ATTRIBUTION_VERBS = frozenset(
    "cautions cautioned cites cited recommends recommended credits credited calls called contrasts contrasted".split()
)


TIME_UNITS = frozenset("seconds minutes hours days weeks months years decades centuries".split())


FREQUENCY_UNITS = frozenset("day week month year decade night hour".split())


FRACTIONS = frozenset("half quarter third fifth dozen".split())
MAGNITUDES = frozenset("hundred thousand million billion trillion".split())
COUNTED_BY_AN_ARTICLE = FRACTIONS | MAGNITUDES  # `a quarter`, `a million copies`: the article is the number's `one`

# Approximations of two words that go into a question's gap with their number: `[up to a billion] birds`.
TWO_WORD_APPROXIMATORS = frozenset({("up", "to"), ("more", "than"), ("less", "than"), ("fewer", "than"),
                                    ("at", "least"), ("at", "most"), ("as", "many"), ("as", "much")})

# Participles that name the noun before them (`cords [called] rhizomorphs`): no verb of the clause.
NAMING_PARTICIPLES = frozenset("called named known dubbed termed".split())
# Words after which a key point gives something its name: `are [called] tesserae`, `biologists [call] it …`.
NAMING_WORDS = frozenset("called named dubbed termed nicknamed call calls".split())

# Findings named by a mass noun, no plural and no name: `Data from Norway suggest …` → `According to data …`.
MASS_FINDINGS = frozenset("data evidence research".split())


DECADE_PARTS = frozenset("early mid late".split())


PLURAL_ONLY = frozenset("people cattle police".split())  # plural verbs, though the lexicon lists no singular


# The suffixes English makes adjectives with (`possible`, `famous`, `public`): a word that is both an adjective
# and a noun and ends so is read as the adjective where no noun follows it.
# Tested with `str.endswith`, in C at the word's end (a pattern anchored with `$` is searched for from each character
# on: a few µs a word).
ADJECTIVE_SUFFIX = ("ble", "ous", "ive", "ful", "less", "al", "ic")
ADJECTIVE_ENDINGS = ("al", "ive", "ous", "ed", "ing", "ble", "ful", "less", "ly", "er", "est", "ant", "ent")


# --- tokens ---------------------------------------------------------------------------------------


_LETTER = r"[^\W\d_]"


# A word first: most tokens are words, and a word starts with a letter, a number with a digit or a currency sign,
# so the order of the alternatives changes no match, only how many are tried before one does.
TOKEN = re.compile(
    rf"{_LETTER}[^\W_]*(?:[-'’][^\W_]+)*"
    rf"|\d{{1,2}}(?::\d{{2}}){{1,2}}(?!\d)"  # a time or a record: 2:00:35
    rf"|[$€£]?\d+(?:,\d{{3}})*(?:\.\d+)?(?:{_LETTER}+|%|°[CFK]?)?"  # `21°C` is one number
)


@lru_cache(maxsize=2048)
def tokens(text: str) -> tuple[Token, ...]:
    """Words and numbers of `text`, with their character spans (cached: texts recur).

    Built with `tuple.__new__`, which is what `Token(...)` calls, without the
    Python frame around it: tokenizing is a tenth of card making.
    """
    curly = "’" in text
    found = []
    for match in TOKEN.finditer(text):
        word = match.group()
        lower = word.lower().replace("’", "'") if curly else word.lower()
        found.append(tuple.__new__(Token, (word, match.start(), match.end(), lower, lex(lower))))
    return tuple(found)


def named_at(text: str, words: Sequence[Token], i: int) -> bool:
    """Word i opens the name the key point gives something: after `called`, `known as`, `biologists call`, or
    after `, or` as an aside (`A classic tea room, or [chashitsu], …`). The term a key point names is what it
    teaches."""
    if not i:
        return False
    before = words[i - 1].lower
    if before in NAMING_WORDS:
        return True
    if before == "as" and i > 1 and words[i - 2].lower in ("known", "referred"):
        return True
    return before == "or" and text[:words[i - 1].start].rstrip().endswith(",")


def moved(word: Token, by: int) -> Token:
    """The token `by` characters further on (a piece of a text read as a text of its own); built as `tokens`
    builds tokens, without `_replace`'s frame (a tenth of reading a clause)."""
    if not by:
        return word
    return tuple.__new__(Token, (word.text, word.start + by, word.end + by, word.lower, word.lex))


def with_text(word: Token, text: str) -> Token:
    """The token with another text (`the` → `The` where a claim starts), built as `moved` builds tokens."""
    return tuple.__new__(Token, (text, *word[1:]))


# Nouns for people that no suffix gives away (`researchers`, `vendors`, `economists` are read from their form):
# roles, ranks, trades, kin and social standing, in the singular. A noun for people is asked with `Who`, and a
# group anyone could name (`keepers`, `victims`) is rarely what a key point teaches. Left out: words as often
# something else (`fan`, `coach`, `page`, `general`, `master`).
_PEOPLE_SINGULAR = """
person human child adult man woman kid parent patient teenager teen baby infant individual folk staff crew
victim survivor surgeon doctor nurse midwife dentist vet patient monk nun priest bishop pope abbot friar rabbi imam
cleric clergy missionary pilgrim crusader prophet saint sage guru shaman king queen prince princess emperor empress
pharaoh sultan caliph khan tsar czar kaiser monarch regent tyrant lord lady knight squire vassal noble aristocrat
commoner peasant serf slave servant maid butler nanny samurai shogun daimyo ronin warrior soldier captain officer
admiral colonel sergeant lieutenant chief guard spy troop recruit veteran rebel citizen merchant artisan craftsperson
blacksmith carpenter mason tailor butcher chef cook judge jury juror lawyer attorney prosecutor defendant witness
thief inmate convict detective sheriff guest host critic scholar student pupil tutor mentor apprentice novice rookie
amateur expert specialist athlete owner buyer customer client patron donor friend neighbour neighbor colleague
partner rival ally enemy hero heroine villain champion spouse wife husband mother father son daughter brother
sister sibling twin grandparent grandmother grandfather grandchild ancestor descendant widow orphan bride viking
pirate nomad settler colonist immigrant refugee native stranger elder youth toddler adolescent boy girl guy
mayor senator minister diplomat ambassador official bureaucrat activist politician candidate author poet actress
philosopher astronaut passenger skier diver swimmer waiter cashier barista bartender janitor clerk
""".split()


def _plurals(word: str) -> tuple[str, ...]:
    """The plural forms of a singular noun of `_PEOPLE_SINGULAR` (`thief` → `thieves`, `man` → `men`)."""
    if word.endswith("man"):
        return (word[:-3] + "men",)
    if word.endswith("child"):
        return (word + "ren",)
    if word.endswith(("f", "fe")) and word not in ("chef", "chief"):
        return (word.removesuffix("e").removesuffix("f") + "ves",)
    if word.endswith(("s", "sh", "ch", "x")):
        return (word + "es",)
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "o", "u"):
        return (word[:-1] + "ies",)
    return (word + "s", word)  # `samurai`, `staff`, `crew`: the same in the plural


PEOPLE_NOUNS = frozenset(_PEOPLE_SINGULAR + [plural for word in _PEOPLE_SINGULAR for plural in _plurals(word)]
                         + ["people", "persons", "police", "folks"])
_AGENT = re.compile(r"(?:er|or|ist|ian|ant|ent)s?$")
# Endings that make a noun for a person whatever its stem: `engineer`, `pollster`, `craftsman`, `audiologist`.
_PERSON_ENDING = re.compile(r"(?:[a-z]{4}eers?|[a-z]{3}(?:wo)?m[ae]n|[a-z]{3}persons?)$")
_TRADE_ENDING = re.compile(r"(?:ster|ee)s?$")  # `pollster`, `franchisee`: a person when the stem is a word


@lru_cache(maxsize=4096)
def is_people_noun(word: str) -> bool:
    """A noun for a person or a group of people: `researchers`, `tool vendors`' `vendors`, `physicians`, `people`.

    Three ways to tell: a table of roles, trades and kin (`victims`,
    `surgeons`, `samurai`); an ending that names a person whatever it is
    added to (`engineer`, `craftsmen`; `audiologists`, which the lexicon does
    not know); and an agent's ending on a word the lexicon
    knows (`research`+`er`, `vend`+`or`, `economy`→`economist`,
    `physic`+`ian`, `migrate`→`migrant`, `poll`+`ster`, `franchise`→`franchisee`).
    """
    lower = word.lower().removesuffix("'s")
    if lower in PEOPLE_NOUNS:
        return True
    listed = re.match(r"(.+)lists?$", lower)
    if listed and parts_of_speech(listed.group(1)) != UNKNOWN:
        return False  # `checklists`, `playlist`: a list; not `journalists`, `novelists`
    if _PERSON_ENDING.search(lower) and not lower.endswith("deer") and _known_person_form(lower):
        return True
    if lower.endswith(("ist", "ists")) and parts_of_speech(lower) == UNKNOWN and not listed:
        return True  # `audiologists`: too rare for the lexicon, a person all the same
    if _trade(lower):
        return True
    match = _AGENT.search(lower)
    if not match or len(lower) < 6 or "NOUN" not in parts_of_speech(lower):
        return False
    stem = lower[:match.start()]
    ending = match.group().rstrip("s")
    if ending in ("ist", "ian"):
        return True
    candidates = (stem, stem + "e", stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem)
    if ending in ("ant", "ent"):  # `migrant`, `resident`; not `plants` (`pl` + `ate` is no stem of `plate`)
        return len(stem) >= 3 and any(verb_lemma(c) == c for c in (stem + "ate", stem + "e", stem))
    # `researchers`, `vendors`, `farmers`: a plural whose stem is a verb (a group of people doing it)
    return lower.endswith("s") and any("VERB" in parts_of_speech(c) for c in candidates if len(c) > 3)


def _trade(lower: str) -> bool:
    """`pollster`, `youngster` (`-ster` on a word of its own; not `lobster`, `hamster`, `monster`); `employee`,
    `trainee`, `franchisee` (`-ee` on a verb; not `coffee`, `degree`, `committee`). Other words with these endings
    (`forecasters`, `protesters`) are read as agents."""
    trade = _TRADE_ENDING.search(lower)
    if trade is None:
        return False
    stem = lower[:trade.start()]
    if trade.group().startswith("ster"):
        return len(stem) >= 4 and parts_of_speech(stem) != UNKNOWN
    return len(stem) >= 3 and any("VERB" in parts_of_speech(s) for s in (stem, stem + "e"))


def _known_person_form(lower: str) -> bool:
    """A word with a person's ending (see `is_people_noun`) that is no other kind of word: `-man` on a word of its
    own (`crafts`+`man`, not `talisman`), `-men` the plural of such a word (not `specimen`, `abdomen`)."""
    if lower.endswith(("man", "men")) and not lower.endswith(("person", "persons")):
        singular = lower[:-3] + "man"
        stem = singular[:-5] if singular.endswith("woman") else singular[:-3]
        return stem.endswith("er") or parts_of_speech(stem) != UNKNOWN or parts_of_speech(stem.rstrip("s")) != UNKNOWN
    return True


@lru_cache(maxsize=64)  # asked once per key point; a snip's key points share its speakers
def speaker_words(speakers: frozenset[str]) -> frozenset[str]:
    """The words that name a speaker: `Maya`, `Osei` of `Dr. Maya Osei`; not `Dr`, `Jon Y`'s `Y`."""
    return frozenset(w.text for name in speakers for w in tokens(name)
                     if len(w.text) > 2 and w.text[:1].isupper() and w.lower not in STOPWORDS)


MAX_TARGET_WORDS = 5  # a deletion, or an object asked for, holds at most this many words
MAX_READ_WORDS = 400  # Snipd's key points hold under 60 words


class Part(NamedTuple):
    """The part of a key point the card maker reads: its first sentences, up to `MAX_READ_WORDS` words."""

    text: str
    words: tuple[Token, ...]
    whole: bool  # it ends where a sentence ends (or is all of the key point)
    key_point: str = ""  # all of it
    key_words: tuple[Token, ...] = ()  # all its tokens


def read_part(text: str) -> Part:
    """The first sentences of `text` that fit in `MAX_READ_WORDS` words, or its first words when one does not.

    A card hides one thing and asks one short question: what a key point says
    past its first few hundred words would make neither. Reading no more than
    that keeps card making linear in a key point's length, and cheap.
    """
    words = tokens(text)
    if len(words) <= MAX_READ_WORDS:
        return Part(text, words, True, text, words)
    cut = words[MAX_READ_WORDS].start
    end = max(text.rfind(". ", 0, cut), text.rfind("? ", 0, cut), text.rfind("! ", 0, cut))
    if end > 0:
        part = text[:end + 1]
        return Part(part, tuple(w for w in words[:MAX_READ_WORDS] if w.end <= end + 1), True, text, words)
    return Part(text[:words[MAX_READ_WORDS - 1].end], words[:MAX_READ_WORDS], False, text, words)


def adjacent(words: Sequence[Token], i: int) -> bool:
    """No punctuation between word i and word i+1."""
    return words[i + 1].start - words[i].end <= 1


_YEAR = re.compile(r"1[5-9]\d\d|20\d\d")



# --- what the word tables say of a word ---------------------------------------------------------------


class Lex:
    """What the word tables say of one word (lower case): looked up when first asked, once per process.

    A token carries its word's `Lex`, so that the stages after the tokenizer
    read parts of speech, forms and frequencies from the token; the tables
    themselves stay unread until a card is made (see `Lexicon`, `FrequencyList`).
    """

    # What the word itself says is read when the `Lex` is made, into slots: read on every word of every key point,
    # a slot costs a fifth of what a `cached_property` costs once stored (its descriptor on the class keeps the
    # attribute read from being specialised). What the tables say is read when first asked.
    __slots__ = ("__dict__", "bare", "content", "lower", "number", "stem", "stop", "with_unit", "year")

    def __init__(self, lower: str):
        self.lower = lower
        self.bare = bare = lower.removesuffix("'s")  # without a possessive `'s`
        # a number whose unit is part of its token: `21°c`, `7nm`, `40°` (a share, `40%`, is not counted here)
        self.with_unit = lower[:1].isdigit() and (lower[-1].isalpha() or lower[-1] == "°")
        self.stem = rough_singular(lower)  # `fabs` → `fab`
        self.stop = lower in STOPWORDS
        self.number = lower[:1] in "$€£0123456789" or lower in NUMBER_WORDS
        self.year = bool(_YEAR.fullmatch(lower))
        self.content = bare not in STOPWORDS and len(bare) > 2 and not bare.endswith("ly") and not lower[:1].isdigit()

    @cached_property
    def parts(self) -> frozenset[str]:
        return parts_of_speech(self.lower)

    @cached_property
    def bare_parts(self) -> frozenset[str]:
        return parts_of_speech(self.bare)

    @cached_property
    def head_parts(self) -> frozenset[str]:
        """The parts of speech of a compound's first part (`large` of `large-scale`)."""
        return parts_of_speech(self.lower.split("-", 1)[0])

    @cached_property
    def verb_base(self) -> str:
        """The base form of the word as a verb (`began` → `begin`), or ""."""
        return verb_lemma(self.lower)

    @cached_property
    def base(self) -> str:
        """The base form of a verb form, guessed when the lexicon does not know it (see `lemma`)."""
        return lemma(self.lower)

    @cached_property
    def irregular(self) -> bool:
        return irregular_past(self.lower)

    @cached_property
    def plural(self) -> bool:
        return is_plural(self.lower)

    @cached_property
    def people(self) -> bool:
        return is_people_noun(self.lower)

    @cached_property
    def zipf(self) -> float:
        return zipf(self.lower)

    @cached_property
    def bare_zipf(self) -> float:
        return zipf(self.bare)

    @cached_property
    def rarity(self) -> float:
        """How common the word is; a hyphenated compound is as rare as its rarest part."""
        return rarity(self.bare)



@lru_cache(maxsize=65536)
def lex(lower: str) -> Lex:
    """The one `Lex` of a word."""
    return Lex(lower)


def rarity(word: str) -> float:
    """Word frequency; a hyphenated compound is as rare as its rarest part."""
    if "-" in word:
        parts = [p for p in word.split("-") if p]
        return min([zipf(word)] + [zipf(p) for p in parts if len(p) > 2]) if parts else zipf(word)
    return zipf(word)


# --- how common a word is -------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common a word is in English (0 rare … 8 very common): wordfreq's `zipf_frequency(word, "en")`.

    A plain word (hyphens and apostrophes allowed) is looked up in wordfreq's
    English list directly (see `FrequencyList`); anything else (digits,
    accents) goes through wordfreq itself, which tokenizes it first.
    """
    parts = word.lower().split("-")  # wordfreq splits `slow-wave` into `slow`, `wave`
    if word.isascii() and all(part.replace("'", "").isalpha() for part in parts):
        return _combined_zipf([frequency_list().bucket(part.encode()) for part in parts])
    from wordfreq import zipf_frequency  # loads its tokenizer: only for the rare word that needs it

    return zipf_frequency(word, "en")


def _combined_zipf(buckets: list[int | None]) -> float:
    """The Zipf value wordfreq gives a word made of tokens in these centibel buckets (None: not in the list).

    As wordfreq does: 1/f = 1/f1 + 1/f2 + …; a missing token gives the minimum,
    1e-9 (Zipf 0); the frequency keeps 3 significant digits, the Zipf value 2 decimals.
    """
    if not buckets or None in buckets:
        return 0.0
    freq = 1.0 / sum(1.0 / 10 ** (-bucket / 100) for bucket in buckets if bucket is not None)  # wordfreq's own sum
    rounded = round(freq, math.floor(-math.log(freq, 10)) + 3)
    return round(math.log(rounded, 10) + 9, 2)


def gunzip(path: Path) -> bytes:
    """A gzip file's content, by ISA-L: three times as fast as the standard library's `gzip`."""
    from isal import isal_zlib

    return isal_zlib.decompress(path.read_bytes(), wbits=31)  # wbits 31: a gzip stream


def package_folder(name: str) -> Path:
    """Where an installed package's files are, found without importing it (importing is what costs)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} is not installed")
    return Path(spec.submodule_search_locations[0])


class FrequencyList:
    """wordfreq's English list: each word's centibel bucket (0 the most common … 799).

    The list is a cBpack: msgpack of a header and the buckets, each a list of
    words. A build that makes a few cards asks about a few dozen words, a
    full build about thousands. Decoding every word takes 0.02 s and a map of
    all 321,000 of them 0.065 s more, so the list stays the bytes it is, with
    where each bucket starts (msgpack skips over them in 2 ms); a word is
    searched for as msgpack writes it, and a place where it turns up counts
    only if its bucket, decoded, holds the word. The map is built once a
    process has asked about `SEARCHED_WORDS`.
    """

    SEARCHED_WORDS = 64

    def __init__(self, packed: bytes):
        import msgpack  # wordfreq's own dependency (its list is msgpack): imported when the list is read, not
        # with the card maker (a fifth of importing it)

        unpacker = msgpack.Unpacker(raw=True, max_buffer_size=len(packed))
        unpacker.feed(packed)
        buckets = unpacker.read_array_header() - 1
        header = unpacker.unpack()
        if not isinstance(header, dict) or header.get(b"format") != b"cB":
            raise ValueError("not a cBpack word list")
        self._starts: list[int] = []  # bucket i is packed[starts[i]:starts[i + 1]]
        for _ in range(buckets):
            self._starts.append(unpacker.tell())
            unpacker.skip()
        self._starts.append(unpacker.tell())  # where the last one ends
        self._packed = packed
        self._decoded: dict[int, bytes] = {}
        self._asked = 0
        self._map: dict[bytes, int] | None = None

    def bucket(self, word: bytes) -> int | None:
        """The word's bucket (UTF-8, lower case), or None if the list lacks it."""
        if self._map is not None:
            return self._map.get(word)
        self._asked += 1
        if self._asked >= self.SEARCHED_WORDS:
            self._map = {w: index for index, bucket in enumerate(self._buckets()) for w in bucket}
            return self._map.get(word)
        return self._search(word)

    def _search(self, word: bytes) -> int | None:
        import msgpack  # imported by `__init__` already: a look-up in sys.modules

        needle = msgpack.packb(word.decode())  # as the list's words are written
        at = self._packed.find(needle, self._starts[0])
        while at >= 0:
            index = bisect.bisect_right(self._starts, at) - 1
            if index >= len(self._starts) - 1:
                return None
            if _BETWEEN_WORDS + word + _BETWEEN_WORDS in self._words_of(index):
                return index
            at = self._packed.find(needle, at + 1)  # inside a longer word: look further
        return None

    def _words_of(self, index: int) -> bytes:
        """Bucket `index`'s words, each between two `_BETWEEN_WORDS`: a word is looked for with one search of
        these bytes, in C. (A set of the bucket's thousand words, built to look up one, cost their hashes, and
        every full pass of the garbage collector went through it.)"""
        if index not in self._decoded:
            piece = self._packed[self._starts[index]:self._starts[index + 1]]
            import msgpack

            words = msgpack.unpackb(piece, raw=True)
            self._decoded[index] = _BETWEEN_WORDS + _BETWEEN_WORDS.join(words) + _BETWEEN_WORDS
        return self._decoded[index]

    def _buckets(self) -> list[list[bytes]]:
        import msgpack

        return msgpack.unpackb(self._packed, raw=True)[1:]

    def words(self) -> Iterator[bytes]:
        """Every word, most common first."""
        return (word for bucket in self._buckets() for word in bucket)


_BETWEEN_WORDS = b"\xff"  # a byte UTF-8 never holds: it parts a bucket's words, and no word's bytes hold it


@cache
def frequency_list() -> FrequencyList:
    """wordfreq's large English list, read from its wheel (words in UTF-8).

    Importing wordfreq and building its frequency table costs 0.34 s and
    30 MB in every process that makes a card (its tokenizer pulls in
    langcodes, regex and ftfy); the list itself, read directly, takes 0.01 s.
    Its words stay bytes: only ASCII words are looked up here (see `zipf`).
    `tests/test_words.py` checks the values against `zipf_frequency`.
    """
    path = package_folder("wordfreq") / "data" / "large_en.msgpack.gz"
    try:
        return FrequencyList(gunzip(path))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


# --- parts of speech and word forms ---------------------------------------------------------------


class Entry(NamedTuple):
    """One line of lemminflect's lemma table: a word as one category, and that category's first lemma."""

    category: str  # lemminflect's category, lower case: noun, verb, adj, adv, aux
    lemma: str


class Lexicon:
    """lemminflect's lemma table, looked up word by word in its sorted lines.

    The table ships in lemminflect's wheel (`resources/lemma_lu.csv.gz`, lines
    of `word,category,lemma/lemma…` sorted by word, plus `lemma_overrides.csv`
    in the same shape). Its own loader builds a dict of dicts of tuples: 0.2 s
    and 40 MB on every build that makes a card. Here the table stays the
    text it is (1.8 MB, unzipped in 6 ms; splitting it into 80,000 lines
    took twice that again). A line start every `SAMPLE_BYTES`, with its word,
    is read when the table is (900 of them, in 0.4 ms); a word is looked for
    between the two samples around it, by bisection over their words and
    one search of the bytes between them, both in C: 3 µs a word where a
    binary search over the lines, in Python, took 10 (a full build asks
    about ten thousand words).
    """

    SAMPLE_BYTES = 2048

    def __init__(self, table: bytes, overrides: dict[str, tuple[Entry, ...]]):
        self._table = table
        self._overrides = overrides
        self._found: dict[str, tuple[Entry, ...]] = {}  # each word searched once: its categories, lemma, singular
        self._sample_starts: list[int] = []  # line starts, about `SAMPLE_BYTES` apart
        self._sample_words: list[bytes] = []  # the word of each (sorted, as the lines are)
        for at in range(0, len(table), self.SAMPLE_BYTES):
            start = table.rfind(b"\n", 0, at) + 1  # the line `at` is in
            if not self._sample_starts or start > self._sample_starts[-1]:  # a long line holds two samples
                self._sample_starts.append(start)
                self._sample_words.append(table[start:table.index(b",", start)])

    def entries(self, word: str) -> tuple[Entry, ...]:
        """Every reading of `word` (exact case), the table's lines first, then the overrides."""
        found = self._found.get(word)
        if found is None:
            found = self._found[word] = self._search(word)
        return found

    def _search(self, word: str) -> tuple[Entry, ...]:
        table, found = self._table, []
        prefix = word.encode() + b","
        at = self._first_line_of(word.encode())
        while at >= 0 and table.startswith(prefix, at):
            end = self._line_end(at)
            found.append(_entry(table[at:end].decode()))
            at = end + 1
        return (*found, *self._overrides.get(word, ()))

    def _first_line_of(self, word: bytes) -> int:
        """Where the first line about `word` starts, or -1 when no line is about it.

        Every line about it lies after the last sample of an earlier word and
        before the first sample of a later one (UTF-8 sorts as the words do:
        byte order is code point order); between them, its first line is the
        first place where a line break, the word and a comma stand.
        """
        table, starts = self._table, self._sample_starts
        before = bisect.bisect_left(self._sample_words, word) - 1
        after = bisect.bisect_right(self._sample_words, word)
        begin = starts[before] if before >= 0 else 0
        end = starts[after] if after < len(starts) else len(table)
        if begin == 0 and table.startswith(word + b",", 0):
            return 0  # the table's first line: no line break before it
        at = table.find(b"\n" + word + b",", begin, end)
        return at + 1 if at >= 0 else -1

    def _line_end(self, start: int) -> int:
        end = self._table.find(b"\n", start)
        return len(self._table) if end < 0 else end

    def words(self) -> list[str]:
        """Every word of the table, sorted (for tests: lookups never need the whole list)."""
        return sorted({word_of(line) for line in self._table.decode().splitlines()} | set(self._overrides))

    def categories(self, word: str) -> tuple[str, ...]:
        """lemminflect's categories of `word`, lower case (`noun`, `verb`, …), in the table's order."""
        return tuple(entry.category for entry in self.entries(word))

    def verb_lemma(self, word: str) -> str:
        """The lemma of the first verb reading, or ""."""
        return next((entry.lemma for entry in self.entries(word) if entry.category == "verb"), "")

    def singular(self, word: str) -> str:
        """The singular of a lower-case plural noun (`children` → `child`, `data` → `datum`), or ""."""
        if not word.islower():
            return ""
        return next((e.lemma for e in self.entries(word) if e.category == "noun" and e.lemma != word), "")


def word_of(line: str) -> str:
    """The word a line of lemminflect's table is about (`began,verb,begin` → `began`)."""
    return line[:line.index(",")]


def _entry(line: str) -> Entry:
    _, category, forms = line.split(",", 2)
    return Entry(category.lower(), forms.split("/", 1)[0])


@cache
def lexicon() -> Lexicon:
    """lemminflect's lemma table, read once per process; the package is located without importing it."""
    resources = package_folder("lemminflect") / "resources"
    table = gunzip(resources / "lemma_lu.csv.gz")
    overrides: dict[str, tuple[Entry, ...]] = {}
    for raw in (resources / "lemma_overrides.csv").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word = word_of(line)
            overrides[word] = (*overrides.get(word, ()), _entry(line))
    return Lexicon(table, overrides)


@lru_cache(maxsize=8192)
def parts_of_speech(word: str) -> frozenset[str]:
    """What English uses a word as (NOUN, VERB, ADJ, ADV, AUX), from lemminflect's lexicon; {""} if unknown.

    Looked up in lower case, as lemminflect's `getAllLemmas` does.
    """
    found = lexicon().categories(word.lower())
    if not found:
        return UNKNOWN
    return frozenset("AUX" if part == "modal" else part.upper() for part in found)


@lru_cache(maxsize=8192)
def is_plural(word: str) -> bool:
    """A plural noun: lemminflect's lexicon knows `children`, `data`, `stations`; for a word it does not
    know, an `-s` that is no `-ss`, `-us` or `-is` (`clasts`, `passkeys`)."""
    lower = word.lower().removesuffix("'s")
    if lexicon().singular(lower) or lower in PLURAL_ONLY:
        return True
    if "noun" in lexicon().categories(lower) or lower in STOPWORDS:
        return False
    return lower.endswith("s") and not lower.endswith(("ss", "us", "is"))


def rough_singular(word: str) -> str:
    """`fabs` → `fab`: an -s dropped, for counting a word and its plural as one (no lexicon needed)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=8192)
def singular(word: str) -> str:
    """The singular of a lower-case noun as the lexicon has it (`knives` → `knife`, `glasses` → `glass`,
    `children` → `child`), else `rough_singular`'s (`fabs` → `fab`): a word and its plural are one word."""
    return lexicon().singular(word) or rough_singular(word)


@lru_cache(maxsize=8192)
def verb_lemma(word: str) -> str:
    """The base form of a verb form (`began` → `begin`), or "" when the word is no verb."""
    return lexicon().verb_lemma(word.lower())


@lru_cache(maxsize=16384)
def irregular_past(word: str) -> bool:
    """`left`, `began`, `grew`: a verb form that is neither its base form nor made with -s or -ed (lemminflect)."""
    if word.endswith(("s", "ed", "ing")):
        return False
    base = verb_lemma(word)
    return bool(base) and base != word


def lemma(word: str) -> str:
    """The base form of `moves`, `carries`, `joined`, `left`: lemminflect's, else the most common candidate."""
    known = verb_lemma(word)
    if known:
        return known
    options = []
    if word.endswith(("ies", "ied")):
        options.append(word[:-3] + "y")
    if word.endswith("es"):
        options.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        options.append(word[:-1])
    if word.endswith("ed"):
        options += [word[:-2], word[:-1]]
        if len(word) > 4 and word[-3] == word[-4]:
            options.append(word[:-3])
    options = [o for o in options if len(o) > 1]
    return max(options, key=zipf) if options else word
