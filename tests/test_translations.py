"""The French and Spanish catalogues: complete, current with the code, compiled, and used.

The .po files are read with a small parser of our own so that these tests need nothing
beyond the standard library; the up-to-date check needs GNU gettext and skips without it.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation
from django.views.defaults import server_error

import haven
from tests.conftest import client_for

PACKAGE_DIR = Path(haven.__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
LANGUAGES = ["fr", "es"]

# The names makemessages extracts from Python (xgettext's defaults plus Django's keywords).
EXTRACTED_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}

# Words a template may show untranslated: the product's name.
UNTRANSLATED_WORDS = {"Haven"}


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


def _unquote(text: str) -> str:
    # PO strings are C string literals; Python's literal syntax agrees for the escapes
    # gettext writes (\n, \t, \", \\).
    value = ast.literal_eval(text)
    assert isinstance(value, str)
    return value


def read_catalogue(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """Parse a .po file into its header fields and its live (not obsolete) entries."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
                flags = set()
                target = None
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if line.startswith('"'):
            assert current is not None, f"{path}: stray string {line}"
            assert target is not None, f"{path}: stray string {line}"
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, name, (getattr(current, name) or "") + _unquote(line))
            continue
        if keyword in ("msgctxt", "msgid") and current is not None and current.msgstr:
            finish()
        if current is None:
            current = Entry(msgid="", flags=flags)
            flags = set()
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        elif keyword in ("msgid", "msgid_plural", "msgctxt"):
            setattr(current, keyword, _unquote(rest))
            target = (keyword, 0)
        else:
            raise AssertionError(f"{path}: cannot read {line!r}")
    finish()

    header = next(entry for entry in entries if entry.msgid == "" and entry.msgctxt is None)
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    fields["#fuzzy"] = "yes" if "fuzzy" in header.flags else "no"
    return fields, [entry for entry in entries if entry is not header]


def _po(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def _nplurals(header: dict[str, str]) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header["Plural-Forms"])
    assert match, header["Plural-Forms"]
    return int(match.group(1))


PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")


def placeholders(text: str) -> list[str]:
    """The %-format placeholders of a string, sorted, without the literal %%."""
    found = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(2) != "%":
            found.append(f"%({match.group(1)}){match.group(2)}" if match.group(1) else match[0])
    return sorted(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_catalogue_is_translated_and_none_is_fuzzy(language):
    header, entries = read_catalogue(_po(language))
    nplurals = _nplurals(header)

    assert header["Language"] == language
    assert header["#fuzzy"] == "no"
    assert len(entries) > 200
    untranslated = [
        entry.msgid
        for entry in entries
        if sorted(entry.msgstr) != list(range(nplurals if entry.msgid_plural else 1))
        or not all(text.strip() for text in entry.msgstr.values())
    ]
    assert untranslated == []
    assert [entry.msgid for entry in entries if "fuzzy" in entry.flags] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_the_english_text(language):
    _header, entries = read_catalogue(_po(language))

    wrong = []
    for entry in entries:
        expected = placeholders(entry.msgid_plural or entry.msgid)
        for text in entry.msgstr.values():
            if placeholders(text) != expected:
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_the_placeholder_check_notices_a_lost_or_renamed_placeholder():
    assert placeholders("Join %(name)s, 100%% sure") == ["%(name)s"]
    assert placeholders("Rejoindre %(nom)s") != placeholders("Join %(name)s")
    assert placeholders("Rejoindre") != placeholders("Join %(name)s")


def test_both_catalogues_hold_the_same_messages():
    assert {entry.key for entry in read_catalogue(_po("fr"))[1]} == {
        entry.key for entry in read_catalogue(_po("es"))[1]
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    _header, entries = read_catalogue(_po(language))
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.mo").open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)

    expected: dict[object, str] = {}
    for entry in entries:
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt is not None else entry.msgid
        if entry.msgid_plural:
            expected.update({(key, index): text for index, text in entry.msgstr.items()})
        else:
            expected[key] = entry.msgstr[0]
    catalog = dict(getattr(compiled, "_catalog"))  # noqa: B009 - no public way to list it
    catalog.pop("", None)
    assert catalog == expected, "run `python -m django compilemessages` in src/haven"


def _python_sources() -> Iterator[Path]:
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _hidden_gettext_imports(source: str) -> list[str]:
    hidden = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                name = alias.asname or alias.name
                if "gettext" in alias.name and name not in EXTRACTED_NAMES:
                    hidden.append(f"{alias.name} as {name}")
    return hidden


def test_code_imports_gettext_only_under_names_makemessages_extracts():
    hidden = {
        str(path.relative_to(PACKAGE_DIR)): found
        for path in _python_sources()
        if (found := _hidden_gettext_imports(path.read_text(encoding="utf-8")))
    }
    assert hidden == {}


def test_the_import_check_notices_a_gettext_alias_xgettext_would_miss():
    source = "from django.utils.translation import gettext as _, gettext_lazy as _lazy\n"
    assert _hidden_gettext_imports(source) == ["gettext_lazy as _lazy"]


def _untranslated_template_text(template: str) -> list[str]:
    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", " ", template, flags=re.S)
    text = re.sub(
        r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", " ", text, flags=re.S
    )
    text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    found = [
        value
        for value in re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', text)
        if re.search(r"[^\W\d_]{2,}", value)
    ]
    for chunk in re.split(r"<[^>]*>", text):
        words = set(re.findall(r"[^\W\d_]{2,}", chunk))
        if words - UNTRANSLATED_WORDS:
            found.append(" ".join(chunk.split()))
    return found


def test_templates_show_no_text_outside_translation_tags():
    untranslated = {
        str(path.relative_to(PACKAGE_DIR)): found
        for path in sorted(PACKAGE_DIR.rglob("templates/**/*"))
        if path.suffix in (".html", ".txt")
        and (found := _untranslated_template_text(path.read_text(encoding="utf-8")))
    }
    assert untranslated == {}


def test_the_template_check_notices_untranslated_text():
    assert _untranslated_template_text('<h1>Members</h1><a title="Edit">x</a>') == [
        "Edit",
        "Members",
    ]
    assert (
        _untranslated_template_text(
            '{% translate "Members" %}<h1>Haven</h1>{% blocktranslate %}A {{ b }}'
            "{% endblocktranslate %}{# note #}<nav aria-label=\"{% translate 'Main' %}\">"
        )
        == []
    )


@pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgmerge") and shutil.which("msguniq")),
    reason="GNU gettext (xgettext, msgmerge, msguniq) is not installed: "
    "cannot check that the catalogues are current",
)
def test_catalogues_hold_exactly_the_messages_of_the_code(tmp_path, settings, monkeypatch):
    copy = tmp_path / "haven"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("static", "__pycache__", "*.mo")
    )
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)

    call_command(
        "makemessages",
        locale=LANGUAGES,
        ignore_patterns=["static/*"],
        no_obsolete=True,
        verbosity=0,
    )

    for language in LANGUAGES:
        committed = {entry.key for entry in read_catalogue(_po(language))[1]}
        current = {
            entry.key
            for entry in read_catalogue(copy / "locale" / language / "LC_MESSAGES" / "django.po")[1]
        }
        assert sorted(current - committed, key=str) == [], (
            f"new messages missing from {language}: run makemessages, translate, compilemessages"
        )
        assert sorted(committed - current, key=str) == [], (
            f"{language} holds messages the code no longer uses: run makemessages --no-obsolete"
        )


# --- The catalogues in use -------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Les comptes sont créés sur invitation"),
        ("es", "Las cuentas se crean por invitación"),
    ],
)
def test_the_login_page_speaks_the_browsers_language(client, db, language, expected):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert f'<html lang="{language}"' in page
    assert expected in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["Membres de Coalition", "2 organisations dans 2 pays", "Partenaires (1)"]),
        ("es", ["Miembros de Coalition", "2 organizaciones en 2 países", "Entidades aliadas (1)"]),
    ],
)
def test_the_public_directory_speaks_the_language_chosen_by_cookie(
    client, coalition, language, expected
):
    client.cookies["django_language"] = language

    page = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", "", client.get("/networks/coalition/").content.decode())
    )

    for text in expected:
        assert text in page


def test_role_names_from_python_code_are_translated(alice, carol):
    client = client_for(alice)
    client.cookies["django_language"] = "fr"

    page = client.get("/o/north/staff/").content.decode()

    assert "Administrateur·rice de l\u2019organisation" in page
    assert "Intervenant·e" in page


def test_the_language_switcher_remembers_the_choice(client, db):
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/accounts/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.cookies["django_language"].value == "es"
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="es"' in page
    assert "Iniciar sesión" in page


def test_a_language_haven_does_not_offer_falls_back_to_english(client, db):
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})

    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="en"' in page
    assert "Accounts are created by invitation" in page


@pytest.mark.parametrize(
    ("language", "expected"), [("fr", "Une erreur s\u2019est produite"), ("es", "Algo ha fallado")]
)
def test_the_server_error_page_is_translated_too(rf, language, expected):
    with translation.override(language):
        page = server_error(rf.get("/")).content.decode()

    assert f'<html lang="{language}">' in page
    assert expected in page
