"""MkDocs hooks (mkdocs.yml): publish the repository's own Markdown files with the docs.

README.md (with the compatibility section the docs link to), CHANGELOG.md,
benchmarks/README.md and clients/js/README.md live outside ``docs/``, and the pages link to
them as repository files (``../README.md#compatibility-with-13``), which is right on a code
host. Here they become pages under ``project/``, and every relative link is resolved from
the file's place in the repository and rewritten to the page it lands on; links to other
files are left alone, so ``mkdocs build --strict`` reports them.

Headings get GitHub's anchors, so that one ``#anchor`` works in both places.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
DOCS = "docs/"
# Repository file -> its page in the site.
REPOSITORY_PAGES = {
    "README.md": "project/readme.md",
    "CHANGELOG.md": "project/changelog.md",
    "benchmarks/README.md": "project/benchmarks.md",
    "clients/js/README.md": "project/js-client.md",
}
_SOURCES = {page: source for source, page in REPOSITORY_PAGES.items()}
# A Markdown link or image target: ](target) or ](target "title").
_LINK = re.compile(r"(\]\()([^)\s]+)([^)]*\))")


def github_slug(value: str, separator: str = "-") -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, each space a
    hyphen (``get_throttles(action) / check_throttles(...)`` → ``get_throttlesaction--...``)."""
    return re.sub(r"[^\w\- ]", "", value.strip().lower()).replace(" ", separator)


def on_config(config: Any) -> Any:
    config.mdx_configs.setdefault("toc", {})["slugify"] = github_slug
    return config


def on_files(files: Files, config: Any) -> Files:
    for source, page in REPOSITORY_PAGES.items():
        content = (ROOT / source).read_text(encoding="utf-8")
        files.append(File.generated(config, page, content=content))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    src_uri = page.file.src_uri
    repository_path = _SOURCES.get(src_uri, DOCS + src_uri)
    return _LINK.sub(
        lambda match: match[1] + _rewrite(match[2], repository_path, src_uri) + match[3],
        markdown,
    )


def _rewrite(target: str, repository_path: str, src_uri: str) -> str:
    """``target`` as written in ``repository_path``, relative to the page at ``src_uri``."""
    if target.startswith(("#", "/")) or re.match(r"^[a-z][a-z0-9+.-]*:", target):
        return target
    path, hash_, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(repository_path), path))
    if resolved in REPOSITORY_PAGES:
        destination = REPOSITORY_PAGES[resolved]
    elif resolved.startswith(DOCS):
        destination = resolved[len(DOCS) :]
    else:
        return target
    relative = posixpath.relpath(destination, posixpath.dirname(src_uri) or ".")
    return relative + hash_ + anchor
