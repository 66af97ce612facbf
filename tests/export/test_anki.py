"""`tcptutor export anki`: the whole shipped bank as an .apkg, imported by the official `anki`
package (the library Anki itself runs on) into a fresh collection.

The notes read back one per question variant, with the grader's answers on their backs; a
second export imported into the same collection updates those notes instead of adding
copies (stable note GUIDs, note type id and deck id).

Without the anki package these tests skip outside CI and fail in CI (CI=true).
"""

from __future__ import annotations

import html
import subprocess
import sys
from pathlib import Path

import pytest
from readers import unavailable
from sqlalchemy.orm import Session

from tcptutor.bank import queries
from tcptutor.export import load_formats
from tcptutor.export.anki import FIELDS, MODEL_ID, MODEL_NAME
from tcptutor.export._fields import has_fields, number_text, text_html
from tcptutor.grading.grader import show
from tcptutor.questions.variants import make_variant

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = 2
SEED = 31


@pytest.fixture(scope="module")
def anki():
    try:
        import genanki  # noqa: F401
        from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
    except ImportError as err:
        unavailable(f"the anki and genanki packages are needed: {err}")
    return Collection, ImportAnkiPackageRequest, ImportAnkiPackageOptions


def export(selection, path: Path) -> Path:
    assert load_formats()["anki"](selection, path) == [path]
    return path


class Imported:
    def __init__(self, anki, folder: Path):
        Collection, self._request, self._options = anki
        folder.mkdir(parents=True, exist_ok=True)
        self.col = Collection(str(folder / "collection.anki2"))

    def load(self, apkg: Path):
        return self.col.import_anki_package(self._request(package_path=str(apkg), options=self._options()))

    def notes(self) -> dict[str, object]:
        return {n.guid: n for n in (self.col.get_note(i) for i in self.col.find_notes(""))}


@pytest.fixture(scope="module")
def collection(anki, selection, tmp_path_factory):
    folder = tmp_path_factory.mktemp("anki")
    imported = Imported(anki, folder / "profile")
    first = imported.load(export(selection, folder / "first.apkg"))
    yield imported, first, folder
    imported.col.close()


def test_every_variant_is_one_note(collection, selection):
    imported, first, _ = collection
    variants = sum(len(i.variants) for i in selection.items)
    assert imported.col.note_count() == variants == len(first.log.new)
    assert imported.col.card_count() == variants
    (model,) = [m for m in imported.col.models.all_names_and_ids() if m.name == MODEL_NAME]
    assert model.id == MODEL_ID
    assert [f["name"] for f in imported.col.models.get(model.id)["flds"]] == list(FIELDS)
    # Anki files the notes by deck name (it gives an imported deck its own id)
    deck = imported.col.decks.id_for_name(f"tcptutor::{selection.title}")
    assert deck and len(imported.col.find_cards(f"did:{deck}")) == variants


def test_notes_read_back_with_the_graders_answers(collection, selection, bank):
    import genanki

    imported, _, _ = collection
    notes = imported.notes()
    with Session(bank[1]) as session:
        loaded = {i.question.id: queries.load_question(session, i.question.id) for i in selection.items}
    for item in selection.items:
        q, lq = item.question, loaded[item.question.id]
        for k in range(VARIANTS):
            variant = make_variant(lq.question, SEED + k, lq.scenarios)
            note = notes[genanki.guid_for(q.id, SEED + k)]
            assert note["Id"] == f"{q.id} v{k + 1} (seed {SEED + k})"
            assert note["Seed"] == str(SEED + k)
            back = html.unescape(note["Answer"])
            assert note["Question"].startswith(text_html(variant.prompt))  # this seed's numbers in the prompt
            if has_fields(q):
                for name, value in variant.answer_key.items():
                    shown = number_text(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else show(value)
                    assert f"{name} = {shown}" in back, f"{q.id} {name}"
                if q.kind == "predict":
                    assert note["Ladder"].startswith('<pre class="ladder"')
                    assert "CLIENT" in note["Ladder"] and "SERVER" in note["Ladder"]
            else:
                value = variant.answer_key["answer"]
                if q.kind == "ordering":
                    shown = [q.items[i] for i in variant.order]
                    value = "".join(chr(65 + shown.index(t)) for t in value)
                elif q.kind == "numeric":
                    value = number_text(value)
                else:
                    value = show(value)
                assert f"Answer: {value}" in back, q.id
            assert set(note.tags) >= set(q.topics)


def test_a_second_export_updates_instead_of_duplicating(collection, selection, anki):
    imported, _, folder = collection
    before = imported.col.note_count()
    ids = set(imported.col.find_notes(""))
    some = imported.col.get_note(sorted(ids)[0])
    some["Answer"] = "edited in the collection"
    imported.col.update_note(some)
    second = imported.load(export(selection, folder / "second.apkg"))
    assert imported.col.note_count() == before
    assert set(imported.col.find_notes("")) == ids  # the same notes, not copies
    assert len(second.log.new) == 0
    assert len(second.log.updated) + len(second.log.duplicate) == before
    assert len([m for m in imported.col.models.all_names_and_ids() if m.name.startswith(MODEL_NAME)]) == 1
    assert len([d for d in imported.col.decks.all_names_and_ids() if d.name.startswith("tcptutor::")]) == 1


def test_cli_export_anki(bank, anki, tmp_path):
    url, _ = bank
    out = tmp_path / "hs.apkg"
    done = subprocess.run([sys.executable, "-m", "tcptutor", "export", "anki", "--out", str(out), "--db", url,
                           "--lesson", "handshake", "--variants", "2"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    imported = Imported(anki, tmp_path / "profile")
    try:
        log = imported.load(out)
        assert imported.col.note_count() == len(log.log.new) > 0
        assert any(n["Id"].startswith("hs-synack-numbers v2 ") for n in imported.notes().values())
    finally:
        imported.col.close()


def test_answers_are_the_parts_without_their_wrong_answers(selection):
    """Anki's back shows each part's answer and worked solution through _fields.answers,
    which skips the misconception search: the same texts as parts() gives."""
    from tcptutor.export import _fields

    for item in selection.items:
        for variant in item.variants:
            if has_fields(variant.question):
                light = _fields.answers(variant)  # before parts(): its own, lighter path
                assert light == [(p.field, p.shown, p.solution) for p in _fields.parts(variant)]
                assert _fields.answers(variant) == light  # and after, from parts()' cache
