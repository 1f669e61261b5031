"""Settings: flag, else the configuration file, else the environment, else defaults; and the file itself."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cards.errors import ConfigError, UsageError
from cards.settings import (
    ConfigFile,
    Flags,
    Origin,
    WriterInput,
    config_text,
    find_checkout,
    read_config,
    resolve,
    shown_url,
    write_config,
)

ROOT = Path(__file__).resolve().parent.parent


def config(tmp_path: Path, text: str) -> dict[str, str]:
    """An environment whose CARDS_CONFIG is a file holding `text`."""
    path = tmp_path / "conf" / "config.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return {"CARDS_CONFIG": str(path), "HOME": str(tmp_path / "home")}


FULL = """
sources = ["~/Obsidian/Snipd", "more"]
out = "~/anki-decks"
profile = "User 1"
server = "https://sync.example.org/"
user = "me"

[writer]
kind = "llm"
model = "llama3.1"
url = "http://localhost:11434/v1"
"""


def test_without_a_file_or_flags_only_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    found = resolve(Flags(), {"CARDS_CONFIG": str(tmp_path / "none.toml")}, cwd=tmp_path)
    assert not found.config_found and found.config.origin is Origin.ENVIRONMENT
    assert (found.sources.value, found.sources.origin) == ((), Origin.DEFAULT)
    assert (found.out.value, found.out.origin) == (str(tmp_path / "data" / "cards" / "decks"), Origin.DEFAULT)
    assert [s.value for s in (found.collection, found.profile, found.server, found.user)] == [None] * 4
    assert (found.writer.kind.value, found.writer.model.value, found.writer.url.value) == ("rules", None, None)
    with pytest.raises(UsageError, match=r"^which notes\? None were named and there is no configuration file"):
        found.notes("build")


def test_the_file_gives_every_setting_with_paths_from_home_or_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    environ = config(tmp_path, FULL)
    found = resolve(Flags(), environ, cwd=tmp_path / "elsewhere")
    where = environ["CARDS_CONFIG"]
    assert found.config_found and (found.config.value, found.config.detail) == (Path(where), "CARDS_CONFIG")
    assert found.sources.value == (str(tmp_path / "home" / "Obsidian" / "Snipd"), str(tmp_path / "conf" / "more"))
    assert found.out.value == str(tmp_path / "home" / "anki-decks")
    assert (found.profile.value, found.collection.value) == ("User 1", None)
    assert (found.server.value, found.user.value) == ("https://sync.example.org/", "me")
    assert (found.writer.kind.value, found.writer.model.value, found.writer.url.value) == (
        "llm", "llama3.1", "http://localhost:11434/v1")
    for setting in (found.sources, found.out, found.profile, found.server, found.user, found.writer.kind,
                    found.writer.model, found.writer.url):
        assert (setting.origin, setting.detail) == (Origin.FILE, where)


def test_a_flag_overrides_the_file(tmp_path):
    flags = Flags(paths=("notes",), out="decks", collection="c.anki2", server="http://127.0.0.1:1/", user="you",
                  writer=WriterInput(kind="rules", model="other", url="http://x/"))
    found = resolve(flags, config(tmp_path, FULL), cwd=tmp_path)
    assert found.sources.value == ("notes",) and found.out.value == "decks"
    # --collection replaces the file's choice of collection (its profile) whole
    assert (found.collection.value, found.profile.value) == ("c.anki2", None)
    assert (found.server.value, found.user.value) == ("http://127.0.0.1:1/", "you")
    assert (found.writer.kind.value, found.writer.model.value, found.writer.url.value) == ("rules", "other",
                                                                                           "http://x/")
    assert {s.origin for s in (found.sources, found.out, found.collection, found.profile, found.server,
                               found.user, found.writer.kind, found.writer.model, found.writer.url)} == {Origin.FLAG}
    assert (found.out.detail, found.writer.url.detail) == ("--out", "--llm-url")


def test_the_file_overrides_the_environment_and_the_environment_the_default(tmp_path):
    environ = {**config(tmp_path, '[writer]\nurl = "http://file/"\n'), "OPENAI_BASE_URL": "http://env/"}
    assert resolve(Flags(), environ, cwd=tmp_path).writer.url.value == "http://file/"
    environ = {**config(tmp_path, 'user = "me"\n'), "OPENAI_BASE_URL": "http://env/"}
    url = resolve(Flags(), environ, cwd=tmp_path).writer.url
    assert (url.value, url.origin, url.detail) == ("http://env/", Origin.ENVIRONMENT, "OPENAI_BASE_URL")


@pytest.mark.parametrize(("text", "message"), [
    ("sources = [", "is not valid TOML (Invalid value (at end of document))"),
    ("out = \"a\"\nout = \"b\"", "is not valid TOML (Cannot overwrite a value (at end of document))"),
    ('colection = "x.anki2"', "colection is not a setting cards knows (it knows sources, out, collection, profile, "
                              "server, user, writer); remove it or correct its name"),
    ('password = "secret"', "holds password: a secret is never kept in a file; remove it, and set "
                            "CARDS_SYNC_PASSWORD in the environment instead"),
    ('[writer]\napi_key = "sk-1"', "holds writer.api_key: a secret is never kept in a file; remove it, and set "
                                   "OPENAI_API_KEY in the environment instead"),
    ('collection = "a.anki2"\nprofile = "User 1"', "names both a collection and a profile; keep one of them"),
    ("out = 5", 'out must be a piece of text in quotes, such as out = "..."'),
    ('out = ""', 'out is empty; give it a value, such as out = "...", or remove the line'),
    ('[writer]\nmodel = ""', 'writer.model is empty; give it a value, such as model = "...", or remove the line'),
    ("sources = [1]", 'sources must be a list of folders or files, such as sources = ["~/Obsidian/Snipd"]'),
    ('writer = "llm"', "writer must be a table ([writer], with kind, model and url)"),
    ('[writer]\nkind = "gpt"', 'writer.kind = "gpt": choose "rules" or "llm"'),
    ('out = "/decks\\u0000b"', '"/decks\\u0000b" holds a NUL character (\\u0000), which no path can hold; '
                                'remove it'),
    ("# " + "x" * (1 << 20), "is larger than a configuration file can be (1024 KB); name the right file"),
])
def test_a_file_that_cannot_be_used_is_one_sentence_naming_it(tmp_path, text, message):
    environ = config(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        resolve(Flags(), environ, cwd=tmp_path)
    assert str(raised.value) == f"{environ['CARDS_CONFIG']}: {message}"


def test_a_file_that_notepad_saved_with_a_byte_order_mark_is_read(tmp_path):
    environ = config(tmp_path, "")
    Path(environ["CARDS_CONFIG"]).write_bytes("\ufeffout = \"decks\"\n".encode())
    assert resolve(Flags(), environ, cwd=tmp_path).out.value == str(Path(environ["CARDS_CONFIG"]).parent / "decks")


@pytest.mark.parametrize(("url", "shown"), [
    ("https://me:pw@host/v1?key=abc123&model=x", "https://host/v1?key=…&model=x"),
    ("http://h/v1?api_key=abc123", "http://h/v1?api_key=…"),
    ("http://h/v1?access_token=abc123#x", "http://h/v1?access_token=…#x"),
    ("http://h/v1?sig=abc&Password=abc123", "http://h/v1?sig=…&Password=…"),
    ("http://localhost:11434/v1", "http://localhost:11434/v1"),
])
def test_a_url_is_shown_without_its_secrets(url, shown):
    assert shown_url(url) == shown


def test_a_configuration_file_that_is_a_folder_is_one_sentence(tmp_path):
    with pytest.raises(ConfigError, match="is a folder; name the configuration file itself"):
        read_config(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="a named pipe (POSIX)")
def test_a_configuration_file_that_is_a_named_pipe_is_one_sentence_and_no_wait(tmp_path):
    """Opened to be read, a FIFO blocks until something writes into it: every command hung."""
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError) as raised:
        read_config(fifo)
    assert str(raised.value) == f"{fifo}: is not a file; name the configuration file itself (config.toml)"


def test_one_source_may_be_written_as_text(tmp_path):
    assert resolve(Flags(), config(tmp_path, 'sources = "/notes"\n'), cwd=tmp_path).sources.value == ("/notes",)


# --- the checkout --------------------------------------------------------------------------


def a_checkout(folder: Path) -> Path:
    (folder / "seeds").mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", folder)
    return folder


def test_a_checkout_is_recognised_by_its_pyproject_and_seeds(tmp_path):
    checkout = a_checkout(tmp_path / "clone")
    (checkout / "tests" / "deep").mkdir(parents=True)
    assert find_checkout(checkout) == checkout
    assert find_checkout(checkout / "tests" / "deep") == checkout
    assert find_checkout(ROOT) == ROOT
    assert find_checkout(tmp_path) is None
    (checkout / "seeds").rmdir()
    assert find_checkout(checkout) is None  # a pyproject.toml of cards without its seeds/: an sdist, not a checkout


def test_another_project_is_no_checkout_even_inside_one(tmp_path):
    checkout = a_checkout(tmp_path / "clone")
    other = checkout / "vendor" / "other"
    other.mkdir(parents=True)
    (other / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    (other / "seeds").mkdir()
    assert find_checkout(other) is None
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "pyproject.toml").write_text("[project", encoding="utf-8")
    assert find_checkout(tmp_path / "broken") is None


def test_in_a_checkout_without_a_file_the_seeds_go_into_decks(tmp_path):
    checkout = a_checkout(tmp_path / "clone")
    none = {"CARDS_CONFIG": str(tmp_path / "none.toml")}
    found = resolve(Flags(), none, cwd=checkout)
    assert (found.sources.value, found.out.value, found.checkout) == (("seeds",), "decks", checkout)
    assert found.sources.detail == "the checkout's seeds/"
    inside = resolve(Flags(), none, cwd=checkout / "seeds")
    assert (inside.sources.value, inside.out.value) == ((str(checkout / "seeds"),), str(checkout / "decks"))
    # Notes named on the command line are the user's own: their decks go to the user data folder.
    named = resolve(Flags(paths=("notes",)), none, cwd=checkout)
    assert named.out.origin is Origin.DEFAULT and named.out.value.endswith("/cards/decks")
    # With a configuration file the checkout is nothing special: the file decides.
    with_file = resolve(Flags(), config(tmp_path, 'user = "me"\n'), cwd=checkout)
    assert (with_file.sources.value, with_file.checkout) == ((), None)
    assert not with_file.out.value.endswith(f"clone{Path('/decks')}")


# --- writing the file -----------------------------------------------------------------------

def test_the_written_file_reads_back_as_written(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "conf" / "config.toml"
    written = ConfigFile(path=path, found=True, sources=(str(tmp_path / "home" / "Snipd"),),
                         out=str(tmp_path / "decks"), profile="User 1", server="https://sync.example.org/",
                         user='me "quoted" \\ and ünïcode', writer=WriterInput(kind="llm", model="m"))
    write_config(written)
    text = path.read_text(encoding="utf-8")
    assert 'sources = ["~/Snipd"]' in text.splitlines()  # written as the user would type it
    assert read_config(path) == written


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1))
def test_any_text_is_written_so_that_toml_reads_it_back(text):
    """Every value goes through one escaper: quotes, backslashes, line breaks, controls and emoji survive."""
    config_file = ConfigFile(path=Path("/nowhere/config.toml"), user=text, server=text, profile=text,
                             writer=WriterInput(model=text))
    parsed = tomllib.loads(config_text(config_file))
    assert (parsed["user"], parsed["server"], parsed["profile"], parsed["writer"]["model"]) == (text,) * 4


@pytest.mark.parametrize(("flags", "message"), [
    (Flags(paths=("~nobody-here/notes",)), "~nobody-here/notes: PATHS starts with a ~ that names no user on this "
                                           "computer; give the path in full"),
    (Flags(out="~nobody-here/decks"), "~nobody-here/decks: --out starts with a ~ that names no user on this "
                                      "computer; give the path in full"),
    (Flags(collection="~nobody-here/c.anki2"), "~nobody-here/c.anki2: --collection starts with a ~ that names no "
                                               "user on this computer; give the path in full"),
])
def test_a_tilde_that_names_no_user_is_a_usage_error(tmp_path, flags, message):
    with pytest.raises(UsageError) as raised:
        resolve(flags, {"CARDS_CONFIG": str(tmp_path / "none.toml")}, cwd=tmp_path)
    assert str(raised.value) == message


def test_a_tilde_that_names_no_user_in_the_file_names_the_file(tmp_path):
    environ = config(tmp_path, 'out = "~nobody-here/decks"\n')
    with pytest.raises(ConfigError) as raised:
        resolve(Flags(), environ, cwd=tmp_path)
    assert str(raised.value) == (f"{environ['CARDS_CONFIG']}: \"~nobody-here/decks\" starts with a ~ that names "
                                 "no user on this computer; give the path in full")


@pytest.mark.usefixtures("in_a_deleted_folder")
def test_a_deleted_working_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError) as raised:
        resolve(Flags(), {"CARDS_CONFIG": str(tmp_path / "none.toml")})
    assert str(raised.value) == ("the current folder no longer exists (deleted or moved?); change to a folder that "
                                 "exists, or name every path in full")
