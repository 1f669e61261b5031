"""Key point → cloze targets and a question."""

from __future__ import annotations

import pytest

from cards.lexicon import STOPWORDS, tokens
from cards.make import context_label, plan_cards


def deletions(key_point: str, podcast: str = "Pod", episode: str = "Ep") -> list[str]:
    return [t.text for t in plan_cards(key_point, podcast, episode).deletions]


@pytest.mark.parametrize(
    ("key_point", "first"),
    [
        ("A marathon is 42.195 kilometers long.", "42.195 kilometers"),
        ("Norway gets over 90% of its electricity from hydropower.", "90%"),
        ("The Magna Carta limited the power of the English king in 1215.", "1215"),
        ("The Gulf Stream carries about 30 million cubic meters of water per second past Florida.",
         "30 million cubic meters"),
        ("Richard Chang left TSMC for China, accelerating their semiconductor industry.", "TSMC"),
        ("Basque is a language isolate with no known relatives.", "Basque"),
        ("Coral bleaching occurs when stressed corals expel their symbiotic algae.", "Coral bleaching"),
    ],
)
def test_preferred_target(key_point, first):
    assert deletions(key_point)[0] == first


def test_approximators_stay_outside_the_deletion():
    assert deletions("A neutron star packs more mass than the Sun into a sphere about 20 kilometers across.")[0] \
        == "20 kilometers"


def test_short_key_point_gets_one_deletion_long_one_at_most_two():
    assert len(deletions("Insulin is produced by beta cells in the pancreas.")) == 1
    long = "The Rosetta Stone allowed Jean-François Champollion to decipher hieroglyphs in 1822 after years of work."
    assert 1 <= len(deletions(long)) <= 2


def test_a_word_shown_twice_is_never_the_answer():
    assert "Beijing" not in deletions("SMIC is building 7nm capacity in Beijing and 5nm in Beijing.")


def test_enumerations_are_never_deleted_whole():
    for text in deletions("Researchers measure yield, performance, and power in every experiment."):
        assert "," not in text and " and " not in text


def test_never_a_stopword_a_verb_or_more_than_five_words():
    key_points = [
        "Overfitting happens when a model memorises its training data instead of learning general patterns.",
        "Toyota pioneered just-in-time manufacturing to cut inventory costs.",
        "Inflation erodes the purchasing power of cash savings over time.",
        "It is like, right, basically that.",
    ]
    for key_point in key_points:
        for text in deletions(key_point):
            words = tokens(text)
            assert 1 <= len(words) <= 5
            assert not (len(words) == 1 and words[0].lower in STOPWORDS)
    assert "pioneered" not in deletions(key_points[1]) and "erodes" not in deletions(key_points[2])


def test_context_label_drops_the_episode_title_that_would_give_the_answer_away():
    assert context_label("Dwarkesh Podcast", "Dylan Patel on Chips", ["Dylan Patel"]) == "Dwarkesh Podcast"
    assert context_label("Dwarkesh Podcast", "On Chips", ["Dylan Patel"]) == "Dwarkesh Podcast · On Chips"


def test_topic_words_from_the_episode_title_are_not_preferred():
    key_point = "Gordon Moore predicted the doubling of transistor density."
    assert plan_cards(key_point, "Pod", "Chips").deletions[0].text == "Gordon Moore"
    assert plan_cards(key_point, "Pod", "The Legacy of Gordon Moore").deletions[0].text == "transistor"


@pytest.mark.parametrize(
    ("key_point", "question", "answer"),
    [
        ("Richard Chang left TSMC for China, accelerating their semiconductor industry.",
         "Who left TSMC for China, accelerating their semiconductor industry?", "Richard Chang"),
        ("Huawei's success stems from its intense, almost military-like culture.",
         "Whose success stems from its intense, almost military-like culture?", "Huawei"),
        ("A full sleep cycle lasts about 90 minutes and repeats four to six times a night.",
         "How many minutes does a full sleep cycle last?", "90 minutes"),
        ("By 2026, single-site gigawatt clusters will exist, but multi-site scaling is key.",
         "By what year will single-site gigawatt clusters exist?", "2026"),
        ("Advanced packaging capacity is hard for the US to sanction effectively.",
         "What is hard for the US to sanction effectively?", "Advanced packaging capacity"),
        ("If Taiwan is invaded, the supply of chips to make new cars would be gone in six months.",
         "If Taiwan is invaded, in how many months would the supply of chips to make new cars be gone?",
         "six months"),
        ("Foundries consolidate as leading-edge development costs rise.",
         "What consolidates as leading-edge development costs rise?", "Foundries"),
        ("Semiconductor expertise requires extensive formal education, unlike AI.",
         "What requires extensive formal education, unlike AI?", "Semiconductor expertise"),
        ("The Beatles recorded Abbey Road in the summer of 1969.",
         "The Beatles recorded Abbey Road in the summer of what year?", "1969"),
        ("Usain Bolt ran the 100 meters in 9.58 seconds in 2009.",
         "In how many seconds did Usain Bolt run the 100 meters in 2009?", "9.58 seconds"),
        ("Cold, salty water sinks in the North Atlantic and spreads along the ocean floor.",
         "Where does cold, salty water sink?", "North Atlantic"),
        ("Bach wrote the Brandenburg Concertos as a job application to a margrave.",
         "Who wrote the Brandenburg Concertos as a job application to a margrave?", "Bach"),
        ("Adults need seven to nine hours of sleep per night to stay healthy.",
         "What needs seven to nine hours of sleep per night to stay healthy?", "Adults"),
    ],
)
def test_questions(key_point, question, answer):
    made = plan_cards(key_point, "Pod", "Ep").question
    assert (made.text, made.answer) == (question, answer)


@pytest.mark.parametrize(
    "key_point",
    [
        "This would address sanctions and maximize large-scale training potential.",  # leans on another
        "They claim the tools imported for this are for 28nm production.",
        "Look for existing infrastructure like Bitcoin mining sites for faster deployment.",  # imperative
    ],
)
def test_no_question_rather_than_a_bad_one(key_point):
    assert plan_cards(key_point, "Pod", "Ep").question is None


def test_proper_names_keep_their_capitals_in_questions():
    plan = plan_cards("China excels at physical infrastructure, while rivals dominate chip making.",
                      "Pod", "Ep", frozenset({"China"}))
    assert "china" not in plan.question.text
