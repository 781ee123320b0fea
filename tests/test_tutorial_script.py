"""scripts/tutorial, which CI uses to follow docs/tutorial.md: how it reads the page."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "tutorial"


def load_script():
    loader = importlib.machinery.SourceFileLoader("dcrf_tutorial_script", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


tutorial = load_script()


@pytest.mark.parametrize(
    ("first_line", "path", "how"),
    [
        ("# chat/models.py", "chat/models.py", "write"),
        ("<!-- chat/templates/chat/index.html -->", "chat/templates/chat/index.html", "write"),
        ("# mysite/settings.py, at the end", "mysite/settings.py", "append"),
        ("# chat/consumers.py, at the end (inside RoomConsumer)", "chat/consumers.py", "append"),
        ("# chat/consumers.py (excerpt)", "chat/consumers.py", "read"),
    ],
)
def test_a_block_names_its_file_on_its_first_line(first_line, path, how):
    """The first line says which file a block is and whether to write, append or only read."""
    name = tutorial.FILE_NAME.match(first_line)
    assert name is not None and name["path"] == path
    found = "append" if name["append"] else "read" if name["excerpt"] else "write"
    assert found == how


def test_a_comment_that_names_no_file_is_not_a_file_name():
    """An ordinary comment on the first line is not taken for a file name."""
    assert tutorial.FILE_NAME.match("# One server process is enough") is None


def test_the_page_has_a_file_name_on_every_file_block():
    """Every python, html and ini block of docs/tutorial.md names its file."""
    page = tutorial.PAGE.read_text(encoding="utf-8")
    blocks = [b for b in tutorial.FENCE.finditer(page) if b["lang"] in tutorial.FILE_LANGUAGES]
    assert len(blocks) >= 10
    for block in blocks:
        assert tutorial.FILE_NAME.match(block["body"].partition("\n")[0]), block["body"][:80]


def test_only_the_install_from_the_clone_and_createsuperuser_are_changed(tmp_path):
    """The wheel replaces ../djangochannelsrestframework; createsuperuser gets --noinput."""
    wheel = tmp_path / "djangochannelsrestframework-1.4.0-py3-none-any.whl"
    assert tutorial.adapt("pip install ../djangochannelsrestframework daphne", wheel) == (
        f"pip install {wheel} daphne"
    )
    assert tutorial.adapt("python manage.py createsuperuser --username bob", wheel) == (
        "python manage.py createsuperuser --username bob --noinput --email bob@example.com"
    )
    assert tutorial.adapt("python manage.py migrate", wheel) == "python manage.py migrate"
