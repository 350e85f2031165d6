"""Front matter: the YAML block between ``---`` fences at the top of a note.

Notes are written by people in their own editors, so a broken block must be reported where they
can fix it: every error names the line *of the file*, not of the YAML snippet. Dates stay the
strings they were written as (memvault keeps times as ISO-8601 text), so reading a note and
writing it back never turns ``2024-01-01`` into a ``datetime`` nor changes how it is spelled.
``render`` is the inverse of ``parse``: ``parse(render(fm, body))`` gives back ``fm`` and ``body``
exactly, whatever strings they hold.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import yaml

from memvault.core.errors import InvalidInputError

_BOM = "\ufeff"
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_KINDS = {bool: "true/false", int: "a number", float: "a number", type(None): "null"}
_SHAPES = {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}


class FrontMatterError(InvalidInputError):
    """The front matter of a note cannot be read; ``line`` is the 1-based line in the file."""

    def __init__(self, message: str, *, line: int, source: str | None = None) -> None:
        where = f"{source}:{line}" if source else f"line {line}"
        super().__init__(f"{where}: {message}")
        self.reason = message
        self.line = line
        self.source = source

    def __reduce__(self) -> tuple[Any, ...]:
        # The keyword-only arguments defeat the default pickling of exceptions, and errors do
        # travel between processes (workers report them to the parent).
        rebuild = functools.partial(type(self), line=self.line, source=self.source)
        return (rebuild, (self.reason,))


@dataclass(frozen=True, slots=True)
class MarkdownDocument:
    """A note split into its front matter and its body, the body byte-exact as in the file."""

    front_matter: dict[str, Any]  # {} when the file has none
    body: str  # everything after the closing fence line
    body_start_line: int  # 1-based file line where the body begins (1 without front matter)


class _Loader(yaml.SafeLoader):
    """``yaml.safe_load``, except that dates and times stay the text they were written as."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_timestamp(loader: _Loader, node: yaml.Node) -> str:
    # An explicit ``!!timestamp`` would still build a datetime; it stays text as well.
    return str(loader.construct_scalar(cast(yaml.ScalarNode, node)))


_Loader.add_constructor(_TIMESTAMP_TAG, _construct_timestamp)


class _Dumper(yaml.SafeDumper):
    """``yaml.safe_dump``, except for the one string PyYAML cannot read back as written."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # PyYAML writes NEL (U+0085) raw inside single quotes and then reads it as a line break;
    # double quotes escape it, which keeps the round trip exact.
    style = '"' if "\x85" in data else None
    return dumper.represent_scalar(_STR_TAG, data, style=style)


_Dumper.add_representer(str, _represent_str)


def parse(text: str, *, source: str | None = None) -> MarkdownDocument:
    """Split ``text`` into front matter and body; raise ``FrontMatterError`` if it is unreadable.

    Front matter is present when the first line is ``---``; the next line that is ``---`` or
    ``...`` closes it. ``source`` (usually the note's path) prefixes error messages.
    """
    if text.startswith(_BOM):
        text = text[1:]  # editors on Windows add it; it is not part of the first line
    first_end = text.find("\n")
    first = text if first_end == -1 else text[:first_end]
    if not _is_fence(first):
        return MarkdownDocument({}, text, 1)
    if first_end == -1:
        raise _unclosed(source)
    start = pos = first_end + 1
    line_no = 2
    while pos <= len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end == -1 else text[pos:end]
        if _is_fence(line) or line.rstrip(" \t\r") == "...":
            body = "" if end == -1 else text[end + 1 :]
            front_matter = _load(text[start:pos], source)
            return MarkdownDocument(front_matter, body, line_no + 1)
        if end == -1:
            break
        pos, line_no = end + 1, line_no + 1
    raise _unclosed(source)


def render(front_matter: Mapping[str, Any], body: str) -> str:
    """The text of a note with this front matter and body; ``parse`` reads it back exactly."""
    if not front_matter:
        if body.startswith(_BOM) or _is_fence(body.split("\n", 1)[0]):
            # Alone, this body would be read back as the start of front matter (or lose its
            # BOM); an empty block in front keeps it body.
            return f"---\n---\n{body}"
        return body
    for key in front_matter:
        if not isinstance(key, str):
            raise InvalidInputError(f"front matter keys must be text; {key!r} is not")
    return f"---\n{dump_mapping(front_matter)}---\n{body}"


def load_mapping(
    yaml_text: str, *, source: str | None = None, first_line: int = 2
) -> dict[str, Any]:
    """A YAML mapping by the rules of front matter (times stay text, keys are text), for YAML
    blocks elsewhere in a file; errors name ``first_line`` + the line within the block."""
    try:
        return _load(yaml_text, source)
    except FrontMatterError as exc:
        line = exc.line - 2 + first_line
        raise FrontMatterError(
            exc.reason.replace("front matter", "YAML block"), line=line, source=source
        ) from None


def dump_mapping(data: Mapping[str, Any]) -> str:
    """YAML text of a mapping, written the way front matter is (``load_mapping`` reads it)."""
    return yaml.dump(
        dict(data),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )


def _is_fence(line: str) -> bool:
    return line.rstrip(" \t\r") == "---"


def _unclosed(source: str | None) -> FrontMatterError:
    return FrontMatterError(
        "front matter opened with '---' is never closed; add a '---' line after it",
        line=1,
        source=source,
    )


def _load(yaml_text: str, source: str | None) -> dict[str, Any]:
    """The front matter mapping, or a ``FrontMatterError`` at the line of the file at fault."""
    try:
        return _construct(yaml_text, source)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        # A bracket or quote left open is only noticed at the end of the front matter; the line
        # where it was opened is the one to fix.
        at_end = mark is not None and not yaml_text[mark.index :].strip()
        if at_end and error.context_mark is not None:
            mark = error.context_mark
        problem = error.problem or "unreadable"
        if error.context:
            problem = f"{problem} ({error.context})"
        line = 2 if mark is None else _file_line(yaml_text, mark.index)
        raise FrontMatterError(
            f"front matter is not valid YAML: {problem}", line=line, source=source
        ) from None
    except yaml.reader.ReaderError as error:
        char = error.character
        code = f"U+{char if isinstance(char, int) else ord(char):04X}"
        raise FrontMatterError(
            f"front matter is not valid YAML: character {code} is not allowed",
            line=_file_line(yaml_text, error.position),
            source=source,
        ) from None
    except yaml.YAMLError as error:
        raise FrontMatterError(
            f"front matter is not valid YAML: {error}", line=2, source=source
        ) from None


def _construct(yaml_text: str, source: str | None) -> dict[str, Any]:
    loader = _Loader(yaml_text)
    try:
        node = loader.get_single_node()
        if node is None:  # only comments or nothing between the fences
            return {}
        data = loader.construct_document(node)
        if not isinstance(data, dict):
            shape = _SHAPES.get(type(data), type(data).__name__)
            raise FrontMatterError(
                f"front matter must be a mapping of names to values, not {shape}",
                line=2,
                source=source,
            )
        # After construction the node's pairs include merged (<<) ones, each with its position.
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                kind = _KINDS.get(type(key), type(key).__name__)
                raise FrontMatterError(
                    f"front matter key {key_node.value!r} is read as {kind}, not text; "
                    "put it in quotes",
                    line=_file_line(yaml_text, key_node.start_mark.index),
                    source=source,
                )
        return data
    finally:
        loader.dispose()


def _file_line(yaml_text: str, index: int) -> int:
    # The fence is line 1. Lines are counted on "\n" like the fences are, not on YAML's own line
    # breaks (which include U+2028 and a lone "\r"), so the number matches the editor's.
    return yaml_text.count("\n", 0, index) + 2
