"""The documentation site: every public name has an entry in the API pages.

The site itself is built by ``mkdocs build --strict`` in ``.ci/run`` (never here); these
tests read the pages' ``::: name`` directives and the hooks, without MkDocs.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

import tsforecast as tsf

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: The public modules: each name in their ``__all__`` needs an entry in the API pages.
PUBLIC_MODULES = (
    "tsforecast", "tsforecast.forecasters", "tsforecast.data", "tsforecast.datasets",
    "tsforecast.evaluation", "tsforecast.nets", "tsforecast.training", "tsforecast.benchmark",
    "tsforecast.benchmark.protocols",
)
_DIRECTIVE = re.compile(r"^::: (\S+)", re.MULTILINE)


def directives(docs: Path = DOCS) -> dict[str, str]:
    """Every ``::: dotted.path`` of the docs pages -> the page it is on."""
    found = {}
    for page in sorted(docs.rglob("*.md")):
        for path in _DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            found[path] = page.relative_to(docs).as_posix()
    return found


def undocumented(docs: Path = DOCS) -> list[str]:
    """The public names that no directive of ``docs`` names (by identity: an entry under
    the defining module, ``tsforecast.data.windows.WindowDataset``, counts too)."""
    documented = {id(resolve(path)) for path in directives(docs)}
    return [f"{module}.{name}" for module in PUBLIC_MODULES
            for name in importlib.import_module(module).__all__
            if id(getattr(importlib.import_module(module), name)) not in documented]


def resolve(path: str):
    """The object a dotted path names: the longest importable module, then attributes (as
    the API pages' renderer reads it: ``tsforecast.evaluation.evaluate`` is the module, not
    the function of the same name that the package exports)."""
    parts = path.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for name in parts[k:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


def test_every_directive_names_an_object():
    stale = []
    for path, page in directives().items():
        try:
            resolve(path)
        except (ImportError, AttributeError) as exc:
            stale.append(f"{page}: ::: {path} ({type(exc).__name__}: {exc})")
    assert not stale, "directives naming nothing:\n" + "\n".join(stale)


def test_every_public_name_has_an_api_entry():
    missing = undocumented()
    assert not missing, ("public names without an entry (add a ::: line to a page under "
                         f"docs/api/): {missing}")


def test_registered_forecasters_are_all_documented():
    # the registry-made classes are public names too, under their class names
    documented = {id(resolve(path)) for path in directives()}
    assert tsf.list_forecasters()
    for name in tsf.list_forecasters():
        cls = tsf.get_forecaster(name)
        assert id(cls) in documented, f"{name} ({cls.__name__}) has no entry in docs/api/"


def test_coverage_check_sees_a_missing_name(tmp_path):
    # the check fails when a public name loses its directive
    for source in DOCS.rglob("*.md"):
        target = tmp_path / source.relative_to(DOCS)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        target.write_text(text.replace("::: tsforecast.evaluation.smape\n", ""), "utf-8")
    assert undocumented(tmp_path) == ["tsforecast.evaluation.smape"]


def test_generated_init_is_named_as_its_class_method():
    # inspectors (help, griffe for the API pages) find __init__ on the class, not elsewhere
    for cls in (tsf.NaiveForecaster, tsf.LSTMForecaster, tsf.ThetaForecaster):
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
        assert cls.__init__.__module__ == cls.__module__


def test_neural_module_lists_the_net_forecasters():
    from tsforecast.forecasters import neural

    names = {tsf.get_forecaster(n).__name__ for n in tsf.list_forecasters(tag="neural")}
    assert names <= set(dir(neural))
    assert all(getattr(neural, n) is getattr(tsf, n) for n in names)


def test_section_include_rewrites_links_for_the_including_page():
    pytest.importorskip("mkdocs")
    hooks = _load(DOCS / "hooks.py", "docs_hooks")
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    heading = next(line for line in results.splitlines() if line.startswith("## Overview"))
    text = hooks.section("benchmarks/RESULTS.md", heading, "results.md")
    assert text and heading not in text and "\n## " not in text
    assert "](#" not in text and "](notes/" not in text  # each link holds from results.md
    assert "](benchmarks/RESULTS.md#" in text
    assert hooks.relink("notes/x.md#a", "benchmarks/RESULTS.md", "guide/p.md") == \
        "../benchmarks/notes/x.md#a"
    assert hooks.relink("https://example.org/#x", "benchmarks/RESULTS.md", "r.md") == \
        "https://example.org/#x"
    with pytest.raises(Exception, match="no such heading"):
        hooks.section("benchmarks/RESULTS.md", "## Not a heading there", "results.md")


def test_docstring_roles_read_as_markdown():
    pytest.importorskip("griffe")
    roles = _load(DOCS / "griffe_roles.py", "docs_griffe_roles")
    assert roles.to_markdown("see :class:`~.base.Protocol` and :func:`tsforecast.train`") == \
        "see `Protocol` and `tsforecast.train`"
    assert roles.to_markdown(":mod:`.options` (:data:`the list <a.b.C>`)") == \
        "`options` (`the list`)"
    assert roles.to_markdown("From Python::\n\n    run()") == "From Python:\n\n    run()"
    # a definition list of code terms reads as a list, not one paragraph
    assert roles.to_markdown("hooks:\n\n``_fit(a)``\n    Learn\n    it.\n``min_history``\n"
                             "    Rows.\n\nAfter.") == \
        "hooks:\n\n- ``_fit(a)``: Learn it.\n- ``min_history``: Rows.\n\nAfter."
    # a generated Parameters line keeps its name; the default is not a type
    assert roles.to_markdown("horizon : default 24\n    steps to forecast.") == \
        "horizon\n    steps to forecast."


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
