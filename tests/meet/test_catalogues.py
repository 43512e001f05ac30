"""The translation catalogues: valid for GNU gettext, and complete for Vietnamese.

Issue 12: a stray ``#|`` line made GNU ``msgfmt`` (and so Django's own
``makemessages``/``compilemessages``) reject a catalogue that polib compiled without a
word, and interface strings were missing from the catalogues, so the Vietnamese UI showed
them in English. Both tests fail on the next such slip instead of a teacher finding it.
"""

from __future__ import annotations

import ast
import io
import shutil
import subprocess
import tokenize
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest

from tests.conftest import missing_service

ROOT = Path(__file__).resolve().parents[2]
# Folders with no interface strings of ours (tests build their own, the rest is tooling).
NOT_INTERFACE = {"tests", "bench", "scripts", "docs", "deploy", "static", "locale", "node_modules"}
# gettext's names as the project imports them (``gettext as _`` ...): argument positions of
# (context, singular, plural); the JS gets its texts from templates, so no JS catalogue.
CALLS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}

Message = tuple[str | None, str]  # (msgctxt, msgid)


def po_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("locale/*/LC_MESSAGES/*.po")
        if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    )


def source_files(suffix: str) -> Iterator[Path]:
    for path in sorted(ROOT.rglob(f"*{suffix}")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in NOT_INTERFACE or any(part.startswith(".") for part in parts):
            continue
        yield path


def _calls_in_python(source: str) -> Iterator[tuple[str, list[object]]]:
    """Every gettext call with its literal arguments (None where one is not a literal)."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in CALLS:
            args: list[object] = [
                arg.value if isinstance(arg, ast.Constant) else None for arg in node.args
            ]
            yield str(name), args


def _calls_in_template(source: str, origin: str) -> Iterator[tuple[str, list[object]]]:
    """The gettext calls Django's makemessages sees in a template (its own templatize)."""
    from django.utils.translation.template import templatize

    # Its output is Python-like calls among filler, not a module: drop the indentation that
    # filler leaves so the tokenizer does not read it as blocks.
    text = "\n".join(line.lstrip() for line in templatize(source, origin=origin).splitlines())
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    for index, token in enumerate(tokens[:-1]):
        is_call = token.type == tokenize.NAME and tokens[index + 1].string == "("
        if not is_call or token.string not in CALLS:
            continue
        args: list[object] = []
        for argument in tokens[index + 2 :]:
            if argument.string == ")":
                break
            if argument.type == tokenize.STRING:
                args.append(ast.literal_eval(argument.string))
            elif argument.type == tokenize.NAME:
                args.append(None)
        yield token.string, args


def _messages(calls: Iterator[tuple[str, list[object]]]) -> Iterator[Message]:
    for name, args in calls:
        context_at, singular_at, plural_at = CALLS[name]
        wanted = [at for at in (context_at, singular_at, plural_at) if at is not None]
        if len(args) <= max(wanted) or not all(isinstance(args[at], str) for at in wanted):
            continue  # gettext(variable): the literal is marked elsewhere (gettext_noop)
        context = args[context_at] if context_at is not None else None
        yield (context if isinstance(context, str) else None), str(args[singular_at])


def interface_messages() -> dict[Message, str]:
    """Every (context, msgid) the code and templates translate, with one place it is used."""
    found: dict[Message, str] = {}
    for path in source_files(".py"):
        for message in _messages(_calls_in_python(path.read_text(encoding="utf-8"))):
            found.setdefault(message, str(path.relative_to(ROOT)))
    for path in source_files(".html"):
        source = path.read_text(encoding="utf-8")
        for message in _messages(_calls_in_template(source, str(path))):
            found.setdefault(message, str(path.relative_to(ROOT)))
    return found


def vietnamese_catalogues() -> list[Path]:
    """The vi catalogues Django merges: LOCALE_PATHS, every installed app's, Django's own."""
    import django
    from django.apps import apps
    from django.conf import settings

    folders = [Path(folder) for folder in settings.LOCALE_PATHS]
    folders += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    folders.append(Path(django.__file__).parent / "conf" / "locale")
    return [path for folder in folders for path in sorted(folder.glob("vi/LC_MESSAGES/django.po"))]


def translated_messages() -> set[Message]:
    """What the vi .mo files hold: non-empty, non-fuzzy, not obsolete (as msgfmt compiles)."""
    translated: set[Message] = set()
    for path in vietnamese_catalogues():
        for entry in polib.pofile(str(path)):
            if entry.obsolete or entry.fuzzy:
                continue
            strings = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
            if strings and all(text.strip() for text in strings):
                translated.add((entry.msgctxt, entry.msgid))
    return translated


@pytest.mark.parametrize("po", po_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_catalogue_passes_gnu_msgfmt_check(po: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        missing_service("GNU msgfmt")
    result = subprocess.run(
        [str(msgfmt), "--check", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_extraction_finds_the_interface_strings() -> None:
    # Guards the test below: an extraction that finds nothing would pass it vacuously.
    found = interface_messages()
    assert (None, "Add equipment") in found
    assert len(found) > 300


def test_every_interface_string_has_a_vietnamese_translation() -> None:
    translated = translated_messages()
    used = interface_messages()
    missing = {message: where for message, where in used.items() if message not in translated}
    listing = "\n".join(
        f"  {where}: {message[1]!r}" + (f" (context {message[0]!r})" if message[0] else "")
        for message, where in sorted(missing.items(), key=lambda item: (item[1], item[0][1]))
    )
    assert not missing, f"{len(missing)} interface strings have no vi translation:\n{listing}"


def test_catalogue_text_is_nfc() -> None:
    import unicodedata

    for po in po_files():
        text = po.read_text(encoding="utf-8")
        assert unicodedata.normalize("NFC", text) == text, f"{po} is not NFC"


def our_catalogues(language: str) -> list[Path]:
    """The project's and every installed app's catalogues of one language (not Django's)."""
    from django.apps import apps
    from django.conf import settings

    folders = [Path(folder) for folder in settings.LOCALE_PATHS]
    folders += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    ours = [
        folder
        for folder in folders
        if folder.resolve().is_relative_to(ROOT)
        and not any(part.startswith(".") for part in folder.resolve().relative_to(ROOT).parts)
    ]
    return [path for folder in ours for path in sorted(folder.glob(f"{language}/LC_MESSAGES/*.po"))]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_one_text_has_one_translation_in_every_catalogue(language: str) -> None:
    """Django merges the catalogues and the first one that holds a text wins everywhere: a
    participant's "Remove" ("Mời ra") showed as "Xóa", the slides' "Show" as "Xem", an
    archived recording's title as "Đang ghi hình". A text that means two things needs a
    context (pgettext, ``{% translate ... context ... %}``), not two translations."""
    texts: dict[Message, dict[str, str]] = {}
    for path in our_catalogues(language):
        for entry in polib.pofile(str(path)):
            if entry.obsolete or entry.fuzzy or not (entry.msgstr or entry.msgstr_plural):
                continue
            text = entry.msgstr or repr(sorted(entry.msgstr_plural.items()))
            where = str(path.relative_to(ROOT))
            texts.setdefault((entry.msgctxt, entry.msgid), {})[where] = text
    assert len(texts) > 300  # the catalogues were read
    clashes = {message: found for message, found in texts.items() if len(set(found.values())) > 1}
    listing = "\n".join(
        f"  {message[1]!r}"
        + (f" (context {message[0]!r})" if message[0] else "")
        + "".join(f"\n    {where}: {text!r}" for where, text in sorted(found.items()))
        for message, found in sorted(clashes.items(), key=lambda item: item[0][1])
    )
    assert not clashes, f"{len(clashes)} texts are translated two ways:\n{listing}"


def test_texts_with_two_meanings_show_each_meaning_in_vietnamese() -> None:
    from django.utils import translation

    with translation.override("vi"):
        shown = {
            "remove a participant": translation.pgettext("participant", "Remove"),
            "remove a juror": translation.gettext("Remove"),
            "show the slides": translation.pgettext("slides", "Show"),
            "show a filtered list": translation.gettext("Show"),
            "recording badge": translation.pgettext("in progress", "Recording"),
            "a recording's page": translation.gettext("Recording"),
            "a unit's kind": translation.pgettext("unit", "Kind"),
            "a session's kind": translation.gettext("Kind"),
        }
    assert shown == {
        "remove a participant": "Mời ra",
        "remove a juror": "Xóa",
        "show the slides": "Trình chiếu",
        "show a filtered list": "Xem",
        "recording badge": "Đang ghi hình",
        "a recording's page": "Bản ghi hình",
        "a unit's kind": "Loại đơn vị",
        "a session's kind": "Loại",
    }
