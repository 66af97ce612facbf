"""Which language tcptutor speaks, and its message catalogs (stdlib gettext).

One standard mechanism: every sentence the CLI, the grader and the ladder say is marked
with `_()` (or `ngettext`, `pgettext`), extracted by Babel (`pybabel extract`) into
tcptutor/locale/<lang>/LC_MESSAGES/tcptutor.po and compiled to the .mo read here.

The choice is made once, by the CLI (`use()`): `--lang`, else TCPTUTOR_LANG, else the POSIX
locale (LC_ALL, LC_MESSAGES, LANG: the first one set decides, as in setlocale(3)). Until
then the language is English, so library code and tests that never call `use()` see the
msgids themselves. Pure apart from reading the catalog file: no locale calls, no printing.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

DOMAIN = "tcptutor"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "zh")  # en: the msgids themselves; zh: 简体中文 (zh_CN, zh_TW, zh_HK ... all map here)
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


class UnknownLanguage(ValueError):
    """A language asked for by name (--lang, TCPTUTOR_LANG) that tcptutor has no catalog for."""


def language_of(tag: str) -> str | None:
    """The language of a tag or locale name ("zh", "zh_CN.UTF-8", "zh-TW", "en_US"), or None."""
    base = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_").lower()
    primary = base.split("_", 1)[0]
    return primary if primary in LANGUAGES else None


def choose(option: str | None, environ: Mapping[str, str]) -> str:
    """The language: `--lang`, else TCPTUTOR_LANG, else the locale; English when none says.

    A language asked for by name must exist (UnknownLanguage); a locale that names another
    language ("de_DE.UTF-8", "C") means English: the user did not ask tcptutor for it."""
    for value, where in ((option, "--lang"), (environ.get("TCPTUTOR_LANG"), "TCPTUTOR_LANG")):
        if value:
            lang = language_of(value)
            if lang is None:
                raise UnknownLanguage(f"unknown language {value!r} in {where}: choose one of {', '.join(LANGUAGES)}")
            return lang
    for key in LOCALE_VARIABLES:
        value = environ.get(key)
        if value:
            return language_of(value) or "en"
    return "en"


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog for `lang` (English: none, the msgids are English). A missing .mo for a
    listed language is an installation error, raised, not papered over with English."""
    if lang not in LANGUAGES:
        raise UnknownLanguage(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


_active: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def use(lang: str) -> None:
    """Speak `lang` from now on (the CLI calls this once, from its callback)."""
    global _active, _language
    _active = translations(lang)
    _language = lang


def language() -> str:
    return _language


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Speak `lang` for a while (one student's handout or feedback), then the language before."""
    global _active, _language
    before = _active, _language
    use(lang)
    try:
        yield
    finally:
        _active, _language = before


_titles: dict[str, str] = {}


def set_titles(titles: Mapping[str, str]) -> None:
    """The scenario titles of the content in the language spoken (the CLI reads them from the
    bank's translations, or the shipped titles.toml): content, not tcptutor's own messages."""
    _titles.clear()
    _titles.update(titles)


def title(text: str) -> str:
    """A scenario's title in the language spoken (itself where none is translated)."""
    return _titles.get(text, text) if _language != "en" else text


def _(message: str) -> str:
    return _active.gettext(message)


def N_(message: str) -> str:
    """Marks a constant for extraction (`pybabel extract -k N_`); `_()` translates it where used."""
    return message


def NP_(context: str, message: str) -> str:
    """N_ for a message with a context (`-k NP_:1c,2`); `pgettext(context, message)` translates it."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A message whose msgid alone is ambiguous ("SYN-SENT" the state vs anything else)."""
    return _active.pgettext(context, message)


class Said(str):
    """A sentence kept with its message and values, so it can be said again in another language.

    The string itself is the English (what `--json` carries, whatever the language, and what
    code and tests compare); `local()` says it in the active language. The message is marked
    where it is written: `Said(N_("sent FIN ({rfc})"), rfc=...)`; a count's two forms through
    `Said.ngettext`, which pybabel extracts as it extracts `ngettext`. A value that is itself
    Said (or a Term) is said in the same language as the sentence; a list of them is joined
    with `pgettext("list", sep)`.
    """

    message: str
    plural: str | None
    values: dict

    def __new__(cls, message: str, /, plural: str | None = None, **values):
        self = super().__new__(cls, _say(message if plural is None or values.get("n") == 1 else plural,
                                         values, False))
        self.message, self.plural, self.values = message, plural, values
        return self

    @classmethod
    def ngettext(cls, singular: str, plural: str, n: int, /, **values) -> Said:
        return cls(singular, plural, n=n, **values)

    def __reduce__(self):
        """Pickled as its English and its message and values (a problem found in a worker of
        `build`'s process pool is said in Chinese by the parent): Term and Listed too, whose
        __new__ takes other arguments."""
        return _unpickle, (type(self), str(self), self.__dict__)

    def local(self) -> str:
        if _language == "en":
            return str(self)
        text = _(self.message) if self.plural is None else ngettext(self.message, self.plural, self.values["n"])
        return _say(text, self.values, True)


class Term(Said):
    """A name said with its context: an endpoint (pgettext("endpoint", "client") 客户端) or a
    state, whose RFC name stays beside its textbook name ("同步已发送 SYN-SENT", as the ladder
    writes it; the no-break space keeps the pair on one line)."""

    def __new__(cls, context: str, name: str):
        self = str.__new__(cls, name)
        self.message, self.plural, self.values, self.context = name, None, {}, context
        return self

    def local(self) -> str:
        shown = pgettext(self.context, self.message)
        if self.context == "TCP state" and shown != self.message:
            return f"{shown}\u00a0{self.message}"
        return shown


class Listed(Said):
    """Said items joined by a list separator (", " or "; ", pgettext("list", sep) when said)."""

    def __new__(cls, sep: str, items):
        items = list(items)
        self = str.__new__(cls, sep.join(items))
        self.message, self.plural, self.values, self.sep = sep, None, {"items": items}, sep
        return self

    def local(self) -> str:
        return pgettext("list", self.sep).join(_value(i, True) for i in self.values["items"])


def _unpickle(cls: type, text: str, state: dict) -> Said:
    self = str.__new__(cls, text)
    self.__dict__.update(state)
    return self


def local(text: str) -> str:
    """`text` in the active language if it is Said, else as it is (text from outside tcptutor)."""
    return text.local() if isinstance(text, Said) else text


def reason(err: BaseException) -> str:
    """An exception's message for a sentence that quotes it (`Said(..., err=reason(err))`):
    the Said it was raised with, so it is said in the sentence's language, else `str(err)`."""
    return err.args[0] if len(err.args) == 1 and isinstance(err.args[0], Said) else str(err)


def _value(value, translate: bool):
    if isinstance(value, Said):
        return value.local() if translate else str(value)
    return value


def _say(text: str, values: Mapping, translate: bool) -> str:
    return text.format(**{k: _value(v, translate) for k, v in values.items()}) if values else text
