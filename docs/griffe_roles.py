"""Griffe extension for the API pages: the docstrings' reStructuredText bits, as Markdown.

The package's docstrings are numpydoc, read by ``help()`` and by this site. Two
reStructuredText habits in them do not read as Markdown: cross-reference roles
(``:class:`~.base.Protocol```) and a paragraph ending in ``::`` before a literal block.
Here a role becomes a code span of the name it shows (the last component after ``~``, the
title of ``title <target>``, the target without leading dots otherwise) and ``::`` a colon;
the indented block after it is already a code block in Markdown.

A definition list whose terms are code (``_fit(layout, series)`` on a line, its
description indented below) becomes a bulleted list; Markdown would run it into one
paragraph.

The Parameters sections generated from the declared parameters read ``horizon : default
24``; numpydoc's slot after the colon is the type, so the default is taken off that line
(the page shows it from the signature, beside the description).

An inspected attribute (``SUITES``, ``tags``) has no docstring of its own at runtime:
griffe would show its type's (``dict() -> new empty dictionary``); that text is dropped.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|obj|exc|const):`([^`]+)`")
_TITLED = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$")
_LITERAL = re.compile(r"(?<=\S)::$", re.MULTILINE)
_BARE_LITERAL = re.compile(r"^[ \t]*::[ \t]*$", re.MULTILINE)
_CODE_TERM = re.compile(r"^(?P<term>``[^\n]+)\n(?P<body>(?:    \S[^\n]*(?:\n|$))+)",
                        re.MULTILINE)
_DEFAULT_AS_TYPE = re.compile(r"^(?P<name>\w+) : default .*$", re.MULTILINE)


def role_text(reference: str) -> str:
    """What a role shows: ``~a.b.C`` -> ``C``, ``.options`` -> ``options``, ``t <a.b>`` -> ``t``."""
    titled = _TITLED.match(reference)
    if titled:
        return titled["title"]
    if reference.startswith("~"):
        return reference.lstrip("~.").rsplit(".", 1)[-1]
    return reference.lstrip(".")


def to_markdown(text: str) -> str:
    """A docstring with its roles as code spans, its ``::`` markers as colons, its
    code-term definition lists as bullets and no ``default X`` in a parameter's type slot."""
    text = _ROLE.sub(lambda m: f"`{role_text(m[1])}`", text)
    text = _DEFAULT_AS_TYPE.sub(lambda m: m["name"], text)
    text = _CODE_TERM.sub(_list_item, text)
    text = _BARE_LITERAL.sub("", text)
    return _LITERAL.sub(":", text)


def _list_item(match: re.Match) -> str:
    body = " ".join(line.strip() for line in match["body"].splitlines())
    return f"- {match['term'].strip()}: {body}\n"


class RestructuredTextRoles(griffe.Extension):
    """Rewrite each inspected object's docstring with :func:`to_markdown`; drop the
    type's docstring an attribute would show as its own."""

    def on_instance(self, *, node: Any, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        type_doc = getattr(type(getattr(node, "obj", None)), "__doc__", None)
        if obj.is_attribute and isinstance(type_doc, str) and (
                obj.docstring.value == inspect.cleandoc(type_doc)):
            obj.docstring = None
            return
        obj.docstring.value = to_markdown(obj.docstring.value)
