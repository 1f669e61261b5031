"""cards: turn Snipd podcast snips into Anki flashcards."""

__version__ = "0.1.0"
