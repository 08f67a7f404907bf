"""MkDocs hooks: the benchmark results are pages of the site, read where they are kept.

``benchmarks/RESULTS.md`` and ``benchmarks/notes/*.md`` live beside the scripts that
produced their numbers and link to each other relatively; they are added to the site
under the same paths (``benchmarks/RESULTS.md`` -> ``benchmarks/RESULTS/``), so their
links hold unchanged and nothing is copied into ``docs/``.

A page may include one section of such a file, as it is when the site is built::

    <!-- include benchmarks/RESULTS.md ## Overview: the neural nets on each data set today -->

The section runs from that heading (left out: the page writes its own) to the next
heading of the same or a higher level; its relative links are rewritten to hold from the
including page (``#weather-quick-3-seeds`` -> ``benchmarks/RESULTS.md#weather-quick-3-seeds``).
A heading that is not in the file fails the build.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
#: Markdown files outside docs/ that are pages of the site, by glob under the repository.
MOUNTED = ("benchmarks/RESULTS.md", "benchmarks/notes/*.md")

_INCLUDE = re.compile(r"^<!-- include (?P<path>\S+) (?P<heading>#+ .+?) -->$", re.MULTILINE)
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def on_files(files, config, **kwargs):
    for pattern in MOUNTED:
        for path in sorted(ROOT.glob(pattern)):
            uri = path.relative_to(ROOT).as_posix()
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def on_page_markdown(markdown, page, **kwargs):
    return _INCLUDE.sub(lambda m: section(m["path"], m["heading"], page.file.src_uri),
                        markdown)


def section(path: str, heading: str, page_uri: str) -> str:
    """The section of ``path`` under ``heading``, its links relative to ``page_uri``."""
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    if heading not in lines:
        raise PluginError(f"{page_uri} includes {heading!r} from {path}, which has no such "
                          "heading")
    start = lines.index(heading) + 1
    level = len(heading) - len(heading.lstrip("#"))
    stop = next((i for i in range(start, len(lines))
                 if re.match(rf"#{{1,{level}}} ", lines[i])), len(lines))
    return _LINK.sub(lambda m: f"]({relink(m['target'], path, page_uri)})",
                     "\n".join(lines[start:stop]))


def relink(target: str, source: str, page_uri: str) -> str:
    """A link written in ``source`` (a path under the repository, as in the site), as
    ``page_uri`` must write it."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
        return target  # a URL or an absolute path
    anchor = ""
    if "#" in target:
        target, anchor = target.split("#", 1)
        anchor = f"#{anchor}"
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target or
                                                 posixpath.basename(source)))
    return posixpath.relpath(resolved, posixpath.dirname(page_uri) or ".") + anchor
