"""Interface text: Bahasa Indonesia is the source language (the msgids), English comes from a gettext catalog.

Text is marked where it is written, so `make messages` can extract it (babel.cfg): `_()`, `gettext()` and
`ngettext()` translate at once, `N_()` and `Nn_()` only mark text translated where it is shown, and the first
argument of a Refusal (or of a subclass named in babel.cfg) is a message too. The English catalog is
shared/translations/en/LC_MESSAGES/messages.po, compiled to messages.mo by `make deps`.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LANGUAGES = ("id", "en")
SOURCE_LANGUAGE = "id"  # the msgids: needs no catalog
TRANSLATIONS = Path(__file__).resolve().with_name("translations")
DOMAIN = "messages"
COMPILE_COMMAND = "make deps (or: pybabel compile -d shared/translations)"


class CatalogError(RuntimeError):
    """A compiled catalog is missing or older than its .po: English screens would silently show Indonesian."""


def N_(text: str) -> str:
    """Mark text for extraction only; it is translated where it is shown."""
    return text


@dataclass(frozen=True)
class Plural:
    """A message whose words follow a count, the parameter `num`: "1 minute", "2 minutes"."""

    singular: str
    plural: str


def Nn_(singular: str, plural: str) -> Plural:
    """Mark a message with a count for extraction; Indonesian writes both forms alike."""
    return Plural(singular, plural)


def catalog_path(lang: str, directory: Path | None = None) -> Path:
    """Where the compiled catalog of a language lives."""
    return (directory or TRANSLATIONS) / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def check_catalogs(directory: Path | None = None) -> None:
    """Raise CatalogError unless every translated language has a compiled catalog at least as new as its .po."""
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        compiled = catalog_path(lang, directory)
        source = compiled.with_suffix(".po")
        if not compiled.is_file():
            raise CatalogError(
                f"the {lang} interface text is not compiled: {compiled} is missing; run {COMPILE_COMMAND}"
            )
        if source.is_file() and compiled.stat().st_mtime < source.stat().st_mtime:
            raise CatalogError(f"{compiled} is older than {source.name}: run {COMPILE_COMMAND}")


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The translations into a language, loaded once; the source language and unknown ones translate nothing."""
    if lang == SOURCE_LANGUAGE or lang not in LANGUAGES:
        return NullTranslations()
    check_catalogs()
    with catalog_path(lang).open("rb") as compiled:
        return Translations(compiled, domain=DOMAIN)


def translate(text: str, lang: str) -> str:
    """Indonesian interface text in the given language, outside a request (a refusal, a printout)."""
    return catalog(lang).gettext(text) if text else text  # gettext("") is the catalog's header


def translate_plural(message: Plural, num: int, lang: str) -> str:
    """The form of a counted message that fits num, in the given language."""
    return catalog(lang).ngettext(message.singular, message.plural, num)


class Refusal(ValueError):
    """A request that cannot be granted; its Indonesian message template is translated when shown.

    The template takes str.format parameters: `{desk}`. A template marked with Nn_() is chosen by `num`.
    """

    def __init__(self, template: str | Plural, **params: object) -> None:
        self.template, self.params = template, params
        super().__init__(self.text(SOURCE_LANGUAGE))

    def text(self, lang: str) -> str:
        """The message in the given language."""
        if isinstance(self.template, Plural):
            num = self.params["num"]
            assert isinstance(num, int), "a counted message needs num=<int>"
            words = translate_plural(self.template, num, lang)
        else:
            words = translate(self.template, lang)
        return words.format(**{k: translate(str(v), lang) for k, v in self.params.items()})
