"""Every setting a command uses, resolved in one place, with where each came from.

    the command line → the configuration file → the environment → defaults

A flag overrides the file, and the file overrides the environment's generic
variables (`ANKI_BASE`, `OPENAI_BASE_URL`, which other programs read too) and
the defaults. `cards config` prints the result, setting by setting.

The configuration file is TOML, read with `tomllib`, found where the platform
keeps such files (`platformdirs`: `~/.config/cards/config.toml` on Linux);
`CARDS_CONFIG` names another. It never holds a password or an API key: those
stay in the environment (`CARDS_SYNC_PASSWORD`, `OPENAI_API_KEY`). Its keys:

    sources = ["~/Obsidian/Snipd"]            # the notes (PATHS)
    out = "~/anki-decks"                      # --out
    collection = "~/cards/collection.anki2"   # --collection (or: profile = "User 1", --profile)
    server = "https://sync.example.org/"      # --server
    user = "me"                               # --user
    [writer]
    kind = "rules"                            # --writer rules|llm
    model = "llama3.1"                        # --llm-model
    url = "http://localhost:11434/v1"         # --llm-url

A path in the file may start with `~`; a relative one is taken from the
file's own folder, so that no setting depends on the current folder.

Without a file, and in a checkout of cards' own source (see `find_checkout`),
the notes are its `seeds/` and the output its `decks/`: the README's first
command. Anywhere else the output goes to a folder in the user's data folder
(`platformdirs.user_data_path`), never into the current folder.

platformdirs and tomllib are imported only when a command resolves its
settings: `cards --version` and `--help` need neither.
"""

from __future__ import annotations

import enum
import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

from cards.errors import CardsError, ConfigError, UsageError

T = TypeVar("T")

CONFIG_VARIABLE = "CARDS_CONFIG"
CONFIG_NAME = "config.toml"
APP_NAME = "cards"
PROJECT_NAME = "snipcards"  # the distribution's name in pyproject.toml: how a checkout is recognised
CHECKOUT_SOURCES = "seeds"
CHECKOUT_OUT = "decks"


class WriterKind(enum.StrEnum):
    """`--writer` and the file's `[writer] kind`: the rules, or a language model (see `cards.cardmaker.writer`)."""

    RULES = "rules"
    LLM = "llm"


WRITER_KINDS = tuple(kind.value for kind in WriterKind)
# The environment variables cards reads, named here only: this module is light enough for any command.
PASSWORD_VARIABLE = "CARDS_SYNC_PASSWORD"  # the sync server's password
API_KEY_VARIABLE = "OPENAI_API_KEY"  # the language model's API key (OpenAI's SDK reads the same)
BASE_URL_VARIABLE = "OPENAI_BASE_URL"  # its server, when neither --llm-url nor the file names one
# Keys a configuration file never holds: a secret on disk is what the environment variables avoid.
SECRETS = {"password": PASSWORD_VARIABLE, "api_key": API_KEY_VARIABLE, "key": API_KEY_VARIABLE,
           "token": API_KEY_VARIABLE, "hkey": PASSWORD_VARIABLE}
TOP_KEYS = ("sources", "out", "collection", "profile", "server", "user")
WRITER_KEYS = ("kind", "model", "url")


class Origin(enum.Enum):
    """Where a setting's value came from."""

    FLAG = "flag"
    ENVIRONMENT = "environment"
    FILE = "file"
    DEFAULT = "default"


class Setting(NamedTuple, Generic[T]):
    """One setting's value and where it came from (`detail`: which flag, variable or file)."""

    value: T
    origin: Origin
    detail: str = ""


# --- what the command line gave ---------------------------------------------------------

class WriterInput(NamedTuple):
    """The card writer as the command line or the file's [writer] table gives it; None: not given.

    On the command line: --writer, --llm-model and --llm-url.
    """

    kind: str | None = None  # rules or llm
    model: str | None = None  # the language model's name
    url: str | None = None  # its API's URL


class Flags(NamedTuple):
    """What a command was given on its command line; None (or no paths): not given."""

    paths: tuple[str, ...] = ()
    out: str | None = None
    collection: str | None = None
    profile: str | None = None
    server: str | None = None
    user: str | None = None
    writer: WriterInput = WriterInput()


# --- what the file holds ----------------------------------------------------------------

class ConfigFile(NamedTuple):
    """The configuration file's settings (None: not in the file); `found` is False when there is no file."""

    path: Path
    found: bool = False
    sources: tuple[str, ...] | None = None
    out: str | None = None
    collection: str | None = None
    profile: str | None = None
    server: str | None = None
    user: str | None = None
    writer: WriterInput = WriterInput()


# --- the settings in force -------------------------------------------------------------

class WriterSettings(NamedTuple):
    """The card writer in force. `url` None: OpenAI's own (`cards.cardmaker.llm.llm_settings`)."""

    kind: Setting[str]
    model: Setting[str | None]
    url: Setting[str | None]


class Settings(NamedTuple):
    """Every setting a command uses, each with its origin."""

    config: Setting[Path]
    config_found: bool
    sources: Setting[tuple[str, ...]]  # empty: none anywhere (see `notes`)
    out: Setting[str]
    collection: Setting[str | None]
    profile: Setting[str | None]
    server: Setting[str | None]
    user: Setting[str | None]
    writer: WriterSettings
    checkout: Path | None = None

    def notes(self, command: str) -> tuple[str, ...]:
        """The notes to read; a usage error that says how to name them when there are none."""
        if self.sources.value:
            return self.sources.value
        where = (f"the configuration file {self.config.value} names none" if self.config_found
                 else f"there is no configuration file ({self.config.value})")
        raise UsageError(f"which notes? None were named and {where}: name the folder of your Snipd notes "
                         f"(cards {command} ~/Obsidian/Snipd), or run cards init to keep it in a configuration file")


# --- resolving --------------------------------------------------------------------------

def resolve(flags: Flags, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """The settings in force for a command given `flags`: flag, else file, else environment, else default."""
    environ = os.environ if environ is None else environ
    for path in flags.paths:
        check_user_path(path, "PATHS")
    for value, name in ((flags.out, "--out"), (flags.collection, "--collection")):
        if value is not None:
            check_user_path(value, name)
    config = config_location(environ)
    found = read_config(config.value)
    in_file = Origin.FILE, str(found.path)
    # The checkout's seeds/ and decks/ go together, and only where nothing else is named.
    checkout = None if found.found or flags.paths else find_checkout(cwd or current_folder())
    collection, profile = _collection(flags, found)
    return Settings(
        config=config,
        config_found=found.found,
        sources=_sources(flags, found, checkout, cwd),
        out=_out(flags, found, checkout, cwd),
        collection=collection,
        profile=profile,
        server=_first(flags.server, "--server", found.server, in_file),
        user=_first(flags.user, "--user", found.user, in_file),
        writer=_writer(flags.writer, found.writer, in_file, environ),
        checkout=checkout,
    )


UNSET: Setting[Any] = Setting(None, Origin.DEFAULT)  # no flag, nothing in the file, no default


def _first(flag: T | None, name: str, in_file: T | None, file_origin: tuple[Origin, str],
           default: Setting[T] = UNSET) -> Setting[T]:
    """The flag's value, else the file's, else the default (None unless given)."""
    if flag is not None:
        return Setting(flag, Origin.FLAG, name)
    if in_file is not None:
        return Setting(in_file, *file_origin)
    return default


def _sources(flags: Flags, found: ConfigFile, checkout: Path | None, cwd: Path | None) -> Setting[tuple[str, ...]]:
    default: Setting[tuple[str, ...]] = Setting((), Origin.DEFAULT)
    if checkout is not None:
        default = Setting((_shown(checkout / CHECKOUT_SOURCES, cwd),), Origin.DEFAULT, "the checkout's seeds/")
    return _first(tuple(flags.paths) or None, "PATHS", found.sources, (Origin.FILE, str(found.path)), default)


def _out(flags: Flags, found: ConfigFile, checkout: Path | None, cwd: Path | None) -> Setting[str]:
    if checkout is not None:
        default = Setting(_shown(checkout / CHECKOUT_OUT, cwd), Origin.DEFAULT, "the checkout's decks/")
    elif flags.out is None and found.out is None:
        default = Setting(str(default_out()), Origin.DEFAULT, "your user data folder")
    else:
        default = UNSET  # unused: the flag or the file decides (and platformdirs need not be loaded)
    return _first(flags.out, "--out", found.out, (Origin.FILE, str(found.path)), default)


def _collection(flags: Flags, found: ConfigFile) -> tuple[Setting[str | None], Setting[str | None]]:
    """--collection or --profile, else the file's collection or profile: one choice, made in one place."""
    if flags.collection is not None or flags.profile is not None:
        return Setting(flags.collection, Origin.FLAG, "--collection"), Setting(flags.profile, Origin.FLAG, "--profile")
    in_file = Origin.FILE, str(found.path)
    return _first(None, "", found.collection, in_file), _first(None, "", found.profile, in_file)


def _writer(flags: WriterInput, table: WriterInput, file_origin: tuple[Origin, str],
            environ: Mapping[str, str]) -> WriterSettings:
    return WriterSettings(
        kind=_first(flags.kind, "--writer", table.kind, file_origin, Setting(WriterKind.RULES.value, Origin.DEFAULT)),
        model=_first(flags.model, "--llm-model", table.model, file_origin),
        url=_first(flags.url, "--llm-url", table.url, file_origin, llm_url_default(environ)),
    )


def llm_url_default(environ: Mapping[str, str]) -> Setting[str | None]:
    """The language model's URL when neither --llm-url nor the file names one: OPENAI_BASE_URL, else None
    (OpenAI's own). The one place this rule is written: `cards.cardmaker.llm.llm_settings` applies it too."""
    if environ.get(BASE_URL_VARIABLE):
        return Setting(environ[BASE_URL_VARIABLE], Origin.ENVIRONMENT, BASE_URL_VARIABLE)
    return Setting(None, Origin.DEFAULT)


def _shown(path: Path, cwd: Path | None) -> str:
    """A path in the checkout as the user would type it: relative when it is just below the current folder."""
    here = cwd or current_folder()
    return path.name if path.parent == here else str(path)


# --- where things are --------------------------------------------------------------------

def config_location(environ: Mapping[str, str]) -> Setting[Path]:
    """Where the configuration file is (whether or not it exists): CARDS_CONFIG, else the platform's place."""
    named = environ.get(CONFIG_VARIABLE, "")
    if named:
        return Setting(Path(check_user_path(named, CONFIG_VARIABLE)).expanduser(), Origin.ENVIRONMENT,
                       CONFIG_VARIABLE)
    import platformdirs  # only for a command that resolves its settings

    return Setting(platformdirs.user_config_path(APP_NAME) / CONFIG_NAME, Origin.DEFAULT)


def default_out() -> Path:
    """The output folder when none is configured, outside a checkout: in the user's data folder."""
    import platformdirs

    return platformdirs.user_data_path(APP_NAME) / CHECKOUT_OUT


def current_folder() -> Path:
    """The working folder; a usage error when it was deleted (or moved) while the shell stayed in it."""
    try:
        return Path.cwd()
    except FileNotFoundError:
        raise UsageError("the current folder no longer exists (deleted or moved?); change to a folder that "
                         "exists, or name every path in full") from None


def check_user_path(value: str, name: str) -> str:
    """`value` as given, once a `~user` at its start is known to name someone on this computer (`~` alone is
    the home folder): otherwise Python cannot expand it."""
    try:
        Path(value).expanduser()
    except RuntimeError:
        raise UsageError(f"{value}: {name} starts with a ~ that names no user on this computer; give the path in "
                         "full") from None
    return value


def find_checkout(start: Path) -> Path | None:
    """The checkout of cards' own source that `start` is in, if any.

    A checkout is recognised by its `pyproject.toml`, which names the
    project `snipcards`, and its `seeds/` folder. The nearest folder at or
    above `start` that holds a `pyproject.toml` decides: another project
    inside a checkout is not the checkout.
    """
    for folder in (start, *start.parents):
        project = folder / "pyproject.toml"
        if project.is_file():
            return folder if _names_snipcards(project) and (folder / CHECKOUT_SOURCES).is_dir() else None
    return None


def _names_snipcards(project: Path) -> bool:
    import tomllib

    try:
        with open(project, "rb") as handle:
            return bool(tomllib.load(handle).get("project", {}).get("name") == PROJECT_NAME)
    except (OSError, ValueError, AttributeError):
        return False


def collection_in_force(settings: Settings, environ: Mapping[str, str] | None = None) -> Setting[str]:
    """The collection `cards sync` would open (`cards.discover.find_collection`), for `cards config`.

    Never fails: where `cards sync` would stop, the value is "none" and the detail is sync's error.
    """
    from cards.discover import anki_base, find_collection

    environ = os.environ if environ is None else environ
    collection, profile = settings.collection, settings.profile
    if collection.value is not None:
        origin, detail = collection.origin, collection.detail
    elif profile.value is not None:
        origin, detail = profile.origin, profile.detail
    elif environ.get("ANKI_BASE"):
        origin, detail = Origin.ENVIRONMENT, "ANKI_BASE"
    else:
        origin, detail = Origin.DEFAULT, ""
    try:
        path = find_collection(collection.value, profile.value, environ)
    except CardsError as error:
        return Setting("none", origin, f"{detail}: {error}" if detail else str(error))
    if collection.value is None and profile.value is not None:
        detail = f"{detail}: the profile {profile.value!r}"
    elif collection.value is None:
        detail = f"the only Anki profile in {detail or anki_base(environ)}"
    return Setting(str(path), origin, detail)


# A query parameter whose name says it holds a secret (`?key=`, `api_key`, `access_token`, `sig`, `password`)
_SECRET_PARAMETER = re.compile(r"([?&;](?:[^=&;#]*(?:key|token|secret|pass|auth|sig)[^=&;#]*)=)[^&;#]*", re.IGNORECASE)


def shown_url(url: str) -> str:
    """The URL without any user name or password in it, nor the value of a query parameter that names a secret,
    for messages: those are secrets too."""
    without_user = re.sub(r"^((?:[A-Za-z][\w+.-]*:)?//)?[^/@\s]*@", r"\1", url)
    return _SECRET_PARAMETER.sub(r"\1…", without_user)


# What a host name written in ASCII holds (RFC 3986's reg-name, without percent-encoding).
_ASCII_HOST = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=]+")
_BRACKETED_HOST = re.compile(r"(?:[^@]*@)?\[[^\[\]]*\](?::[^:]*)?")


def server_url_problem(url: str) -> str | None:
    """Why `url` is no sync server address cards can use, in words that end a message; None when it is one.

    The address is kept on disk (the session file, the keyring's account name), so one holding a user name or
    password is refused too. Checked before any password is asked: Anki's own check comes only at the login.
    """
    from urllib.parse import urlsplit

    whole = "give the whole URL, starting with https:// or http:// (such as https://sync.example.org/)"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # a bracket left open: `http://[::1`
        return f"not a sync server address; {whole}"
    if parts.scheme not in ("http", "https") or not host:
        return f"not a sync server address; {whole}"
    if "@" in parts.netloc:
        return (f"the address holds a user name or password, which would be kept on disk; give the user with "
                f"--user (the password is asked, or read from {PASSWORD_VARIABLE})")
    try:
        port = parts.port  # a port that is not a number from 0 to 65535 raises
    except ValueError:
        port = 0
    if port == 0:
        return "the port is not a number from 1 to 65535; give the whole URL, such as http://127.0.0.1:8080/"
    if "[" in parts.netloc or "]" in parts.netloc:
        return _bracketed_host_problem(parts.netloc, host, whole)
    return None if _host_name(host) else f"the host name is no host name a server can have; {whole}"


def _bracketed_host_problem(netloc: str, host: str, whole: str) -> str | None:
    """Why a bracketed host (`[::1]`) is no address a sync can use, or None."""
    import ipaddress

    if not _BRACKETED_HOST.fullmatch(netloc):
        return f"not a sync server address; {whole}"
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return f"{host} in brackets is no IPv6 address; {whole}"
    if "%" in host:
        return "an IPv6 address with a zone (%eth0) is not one Anki can reach; give another address of the server"
    return None


def _host_name(host: str) -> bool:
    """Whether `host` (lower case, no brackets) is a name or an IPv4 address a server can have: as the URL
    standard reads it, one whose last label is a number is an IPv4 address, and must be a whole one; a name in
    another script must be one IDNA can write in ASCII (no controls, separators or bidirectional overrides)."""
    import ipaddress

    labels = host.rstrip(".").split(".")
    if labels[-1].isdecimal() and labels[-1].isascii():
        try:
            ipaddress.IPv4Address(host.rstrip("."))
        except ValueError:
            return False
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
        for label in ascii_host.rstrip(".").split("."):
            if label.startswith("xn--"):  # must spell a name with something past ASCII in it
                decoded = label[4:].encode("ascii").decode("punycode")
                if not decoded or decoded.isascii() or decoded.encode("idna").decode("ascii") != label:
                    return False
    except (UnicodeError, ValueError):
        return False
    return all(labels) and bool(_ASCII_HOST.fullmatch(ascii_host))


def secret_in_force(variable: str, otherwise: str, environ: Mapping[str, str] | None = None) -> Setting[str]:
    """Whether a secret is set in the environment: never its value."""
    environ = os.environ if environ is None else environ
    if environ.get(variable):
        return Setting("set (not shown)", Origin.ENVIRONMENT, variable)
    return Setting(otherwise, Origin.DEFAULT)


# --- reading and writing the file ------------------------------------------------------------

MAX_CONFIG_BYTES = 1 << 20  # a few lines of settings: anything far larger is some other file


def read_config(path: Path) -> ConfigFile:
    """The file's settings; none when there is no file. A file that cannot be used is a usage error."""
    try:
        # Opened without waiting (a FIFO there would block every command until something wrote into it), and
        # read only when it is a file.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                kind = "a folder" if stat.S_ISDIR(os.fstat(handle.fileno()).st_mode) else "not a file"
                raise ConfigError(path, f"is {kind}; name the configuration file itself (config.toml)")
            text = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return ConfigFile(path)
    except IsADirectoryError:
        raise ConfigError(path, "is a folder; name the configuration file itself (config.toml)") from None
    except OSError as error:
        raise ConfigError(path, f"cannot be read ({error.strerror or error})") from None
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(path, f"is larger than a configuration file can be ({MAX_CONFIG_BYTES // 1024} KB); "
                                "name the right file")
    import tomllib  # 2 ms: only when there is a file to read

    try:
        data = tomllib.loads(text.decode("utf-8-sig"))  # Notepad starts a UTF-8 file with a byte order mark
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(path, f"is not valid TOML ({error})") from None
    return _config_from(path, data)


def _config_from(path: Path, data: dict[str, Any]) -> ConfigFile:
    for key in data:
        _check_key(path, key, (*TOP_KEYS, "writer"))
    if "collection" in data and "profile" in data:
        raise ConfigError(path, "names both a collection and a profile; keep one of them")
    writer = data.get("writer", {})
    if not isinstance(writer, dict):
        raise ConfigError(path, "writer must be a table ([writer], with kind, model and url)")
    for key in writer:
        _check_key(path, key, WRITER_KEYS, "writer.")
    kind = _text(path, writer, "kind", "writer.")
    if kind is not None and kind not in WRITER_KINDS:
        raise ConfigError(path, f'writer.kind = "{kind}": choose ' + " or ".join(f'"{k}"' for k in WRITER_KINDS))
    sources = data.get("sources")
    if isinstance(sources, str):
        sources = [sources]
    if sources is not None and (not isinstance(sources, list) or not all(isinstance(s, str) and s for s in sources)):
        raise ConfigError(path, 'sources must be a list of folders or files, such as sources = ["~/Obsidian/Snipd"]')
    out = _text(path, data, "out")
    collection = _text(path, data, "collection")
    return ConfigFile(
        path=path, found=True,
        sources=tuple(_file_path(path, s) for s in sources) if sources else None,
        out=_file_path(path, out) if out is not None else None,
        collection=_file_path(path, collection) if collection is not None else None,
        profile=_text(path, data, "profile"), server=_server(path, data), user=_text(path, data, "user"),
        writer=WriterInput(kind=kind, model=_text(path, writer, "model", "writer."),
                           url=_text(path, writer, "url", "writer.")),
    )


def _server(path: Path, data: dict[str, Any]) -> str | None:
    """The file's sync server, checked as --server is: the file, not a flag, is named when it is wrong."""
    server = _text(path, data, "server")
    server = server.strip() if server is not None else None  # pasted with a space or a line break around it
    problem = server_url_problem(server) if server is not None else None
    if problem:
        raise ConfigError(path, f'server = "{shown_url(server or "")}": {problem}')
    return server


def _check_key(path: Path, key: str, known: tuple[str, ...], prefix: str = "") -> None:
    if key.lower() in SECRETS:
        raise ConfigError(path, f"holds {prefix}{key}: a secret is never kept in a file; remove it, and set "
                                f"{SECRETS[key.lower()]} in the environment instead")
    if key not in known:
        raise ConfigError(path, f"{prefix}{key} is not a setting cards knows (it knows "
                                f"{', '.join(prefix + k for k in known)}); remove it or correct its name")


def _text(path: Path, table: dict[str, Any], key: str, prefix: str = "") -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(path, f"{prefix}{key} must be a piece of text in quotes, such as {key} = \"...\"")
    if not value:  # text in quotes, but none
        raise ConfigError(path, f"{prefix}{key} is empty; give it a value, such as {key} = \"...\", or remove the line")
    return value


def _file_path(config: Path, value: str) -> str:
    """A path from the file `config`: `~` is the home folder, and a relative path starts from the file's folder."""
    if "\x00" in value:
        raise ConfigError(config, f"{json.dumps(value)} holds a NUL character (\\u0000), which no path can hold; "
                                  "remove it")
    try:
        return str(config.parent / Path(value).expanduser())
    except RuntimeError:
        raise ConfigError(config, f'"{value}" starts with a ~ that names no user on this computer; give the path '
                                  "in full") from None


def toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes (\\", \\\\, \\n, \\uXXXX) are all TOML escapes too.

    JSON leaves DEL (U+007F) as it is, and TOML does not allow it unescaped.
    """
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def config_text(config: ConfigFile) -> str:
    """The file's text for these settings (never a secret: ConfigFile has no place for one)."""
    lines = [
        "# cards' settings: cards init wrote this file; cards config shows the settings in force.",
        "# A flag on the command line overrides what is here. Passwords and API keys never go here:",
        f"# cards asks for the sync password, or reads {PASSWORD_VARIABLE} and {API_KEY_VARIABLE}.",
        "",
    ]
    if config.sources:
        lines.append(f"sources = [{', '.join(toml_string(tilde(s)) for s in config.sources)}]")
    for key in TOP_KEYS[1:]:
        value = getattr(config, key)
        if value is not None:
            lines.append(f"{key} = {toml_string(tilde(value) if key in ('out', 'collection') else value)}")
    table = [f"{key} = {toml_string(getattr(config.writer, key))}" for key in WRITER_KEYS
             if getattr(config.writer, key) is not None]
    if table:
        lines += ["", "[writer]", *table]
    return "\n".join(lines) + "\n"


def tilde(path: str) -> str:
    """A path under the home folder written with `~`, so that the file reads as the user would type it."""
    home = str(Path.home())
    if path == home or path.startswith(home.rstrip(os.sep) + os.sep):
        return "~" + path[len(home.rstrip(os.sep)):]
    return path


def write_config(config: ConfigFile) -> None:
    """Write the file (into a temporary file renamed into place: a failure leaves the old one)."""
    from cards.package import write_atomically

    text = config_text(config)

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    try:
        write_atomically(config.path, write)
    except OSError as error:
        raise ConfigError(config.path, f"cannot be written ({error.strerror or error}); set {CONFIG_VARIABLE} "
                                       "to a file that can") from None
