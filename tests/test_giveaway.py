"""What a card's front gives away of an answer."""

from __future__ import annotations

from cards.cardmaker.giveaway import context_label, core_words, only_the_topic, shows, word_set


def test_an_answer_is_recognised_by_its_content_words_without_a_possessive():
    assert core_words("about 180 copies") == ("180", "copies")
    assert core_words("the") == ("the",)  # nothing but function words: all of them
    assert shows(word_set("Patel's fabs in Taiwan"), "Patel")
    assert not shows(word_set("fabs in Taiwan"), "Dylan Patel")


def test_context_label_drops_the_episode_title_that_would_give_the_answer_away():
    assert context_label("Dwarkesh Podcast", "Dylan Patel on Chips", ["Dylan Patel"]) == "Dwarkesh Podcast"
    assert context_label("Dwarkesh Podcast", "On Chips", ["Dylan Patel"]) == "Dwarkesh Podcast · On Chips"
    assert context_label("Dwarkesh Podcast", "", ["Dylan Patel"]) == "Dwarkesh Podcast"


def test_an_answer_that_is_only_the_topic_gives_itself_away_but_a_number_never_does():
    assert only_the_topic("Tardigrades", frozenset({"tardigrades"}))
    assert not only_the_topic("Tardigrades and rotifers", frozenset({"tardigrades"}))
    assert not only_the_topic("two hours", frozenset({"two", "hours"}))
