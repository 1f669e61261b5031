"""`python -m cards` and the `cards` command: the signal handlers first, then the command."""

from cards.stopping import stop_on_signals, stopped_while_starting


def main() -> None:
    """Run the command; a signal while it loads (typer takes a tenth of a second) is its one line too."""
    stop_on_signals()
    try:
        from cards.cli import run
    except KeyboardInterrupt as stop:
        stopped_while_starting(stop)
    run()


if __name__ == "__main__":
    main()
