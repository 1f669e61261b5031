from cards.cli import run

run()
