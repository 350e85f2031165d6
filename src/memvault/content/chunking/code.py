"""Source code cut by top-level definition, using tree-sitter's syntax trees.

A search hit in code is most useful as a whole function or class: cutting every N lines splits
a function from its signature and glues unrelated ones together. tree-sitter parses all six
languages with the same API and recovers from syntax errors, so a half-written file still
yields its intact definitions. Comments, decorators and attributes directly above a definition
(no blank line between) are its documentation and travel with it; everything between
definitions (imports, constants, top-level statements) becomes chunks of its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import cache

import tree_sitter_go
import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_rust
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from memvault.content.chunking.chunks import Chunk, ChunkLimits
from memvault.content.chunking.lines import cut, grouped, split_lines
from memvault.core.errors import InvalidInputError

_GRAMMARS: dict[str, Callable[[], object]] = {
    "python": tree_sitter_python.language,
    "javascript": tree_sitter_javascript.language,
    "typescript": tree_sitter_typescript.language_typescript,
    "tsx": tree_sitter_typescript.language_tsx,
    "go": tree_sitter_go.language,
    "rust": tree_sitter_rust.language,
}
LANGUAGES = tuple(_GRAMMARS)

_EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",  # the JavaScript grammar parses JSX
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",  # a grammar of its own: `<T>x` is a cast in .ts but JSX in .tsx
    ".go": "go",
    ".rs": "rust",
}

# Node types that document the definition right below them.
_ATTACHED = {
    "python": {"comment"},
    "javascript": {"comment"},
    "typescript": {"comment", "function_signature"},  # overloads precede their implementation
    "tsx": {"comment", "function_signature"},
    "go": {"comment"},
    "rust": {"line_comment", "block_comment", "attribute_item"},
}

_SIMPLE = {  # node type -> heading keyword, for definitions named by their `name` field
    "function_definition": "def",
    "class_definition": "class",
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "class_declaration": "class",
    "abstract_class_declaration": "class",
    "interface_declaration": "interface",
    "type_alias_declaration": "type",
    "enum_declaration": "enum",
    "module": "module",
    "internal_module": "namespace",
    "function_item": "fn",
    "struct_item": "struct",
    "enum_item": "enum",
    "union_item": "union",
    "trait_item": "trait",
    "macro_definition": "macro_rules!",
}
_FUNCTION_VALUES = {
    "arrow_function",
    "function_expression",
    "function",
    "generator_function",
    "class",
}

_local = threading.local()  # a Parser is not safe to share between threads


def language_for(path: str) -> str | None:
    """The tree-sitter language for a file name, or None if it is not code we can parse."""
    return _EXTENSIONS.get(os.path.splitext(path)[1].lower())


def chunk_code(text: str, language: str, limits: ChunkLimits = ChunkLimits()) -> list[Chunk]:
    """One chunk per top-level definition plus chunks for the code between definitions."""
    parser = _parser(language)
    source = text.encode("utf-8", errors="surrogatepass")
    tree = parser.parse(source)
    lines = split_lines(text)
    chunks: list[Chunk] = []
    position = 0  # first line not yet chunked
    for start, end, heading in _definitions(tree.root_node, language, source.split(b"\n")):
        chunks.extend(grouped(lines, position, start, limits))
        chunks.extend(cut(lines, start, end + 1, limits, heading=heading))
        position = end + 1
    chunks.extend(grouped(lines, position, len(lines), limits))
    return chunks


@cache
def _language(name: str) -> Language:
    return Language(_GRAMMARS[name]())


def _parser(language: str) -> Parser:
    if language not in _GRAMMARS:
        raise InvalidInputError(
            f"no code chunker for {language!r}; expected one of {', '.join(LANGUAGES)}"
        )
    parsers: dict[str, Parser] = _local.__dict__.setdefault("parsers", {})
    if language not in parsers:
        parsers[language] = Parser(_language(language))
    return parsers[language]


def _definitions(
    root: Node, language: str, source_lines: list[bytes]
) -> list[tuple[int, int, str]]:
    """``(first_row, last_row, heading)`` of each top-level definition, rows 0-based."""
    found: list[tuple[int, int, str]] = []
    children = root.children
    for index, node in enumerate(children):
        heading = _heading(node, language)
        if heading is None:
            continue
        start = node.start_point.row
        above = index - 1
        while above >= 0 and _documents(children[above], language, start, source_lines):
            start = children[above].start_point.row
            above -= 1
        end = _last_row(node)
        if found and start <= found[-1][1]:
            # Two definitions share a line (`function a() {} function b() {}`): keep them
            # together, since a chunk is a range of whole lines.
            first, last, first_heading = found.pop()
            start, end, heading = first, max(last, end), first_heading
        found.append((start, end, heading))
    return found


def _documents(node: Node, language: str, below: int, source_lines: list[bytes]) -> bool:
    """Whether ``node`` is a comment (or decorator-like item) directly above row ``below``."""
    if node.type not in _ATTACHED[language] or _last_row(node) < below - 1:
        return False
    if node.child_by_field_name("inner") is not None:
        return False  # Rust `//!` documents the enclosing module, not the next item
    row, column = node.start_point
    # A comment after code on its line (`x = 1  # why`) belongs to that code.
    return not source_lines[row][:column].strip()


def _last_row(node: Node) -> int:
    # Some grammars (Rust line comments) end a node at column 0 of the next line.
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point.row else row


def _heading(node: Node, language: str) -> str | None:
    """The definition's heading ("def load_config", "impl Display for Foo"), or None."""
    kind = node.type
    if kind == "decorated_definition":
        inner = node.child_by_field_name("definition")
        return _heading(inner, language) if inner is not None else None
    if kind == "export_statement":
        return _export_heading(node, language)
    if kind == "expression_statement" and node.named_child_count == 1:
        only = node.named_children[0]  # TypeScript parses `namespace N {}` as an expression
        return _heading(only, language) if only.type == "internal_module" else None
    if kind == "ambient_declaration":  # `declare function f(): void;`, `declare module "x" {}`
        inner = node.named_children[0] if node.named_children else None
        if inner is not None and inner.type == "function_signature":
            return f"declare function {_name(inner)}"
        heading = _heading(inner, language) if inner is not None else None
        return f"declare {heading}" if heading else None
    if kind == "function_signature":
        return None  # an overload: it is attached to the implementation below it
    if kind in {"lexical_declaration", "variable_declaration"}:
        return _variable_heading(node)
    if kind == "function_definition" and node.children and node.children[0].type == "async":
        return f"async def {_name(node)}"
    if kind == "mod_item" and node.child_by_field_name("body") is not None:
        return f"mod {_name(node)}"  # `mod x;` without a body is an import, not a definition
    if kind == "impl_item":
        trait = node.child_by_field_name("trait")
        target = _text(node.child_by_field_name("type"))
        return f"impl {_text(trait)} for {target}" if trait is not None else f"impl {target}"
    if kind == "method_declaration":  # Go
        receiver = _text(node.child_by_field_name("receiver"))
        return f"func {receiver} {_name(node)}"
    if kind == "function_declaration" and language == "go":
        return f"func {_name(node)}"
    if kind == "type_declaration":  # Go, possibly a group: type ( A int; B string )
        specs = [c for c in node.named_children if c.type in {"type_spec", "type_alias"}]
        return f"type {', '.join(_name(spec) for spec in specs)}" if specs else None
    if kind in _SIMPLE:
        return f"{_SIMPLE[kind]} {_name(node)}"
    return None


def _export_heading(node: Node, language: str) -> str | None:
    declaration = node.child_by_field_name("declaration")
    if declaration is not None:
        return _heading(declaration, language)
    value = node.child_by_field_name("value")  # export default <expression>
    if value is None or value.type not in _FUNCTION_VALUES:
        return None
    keyword = "class" if value.type == "class" else "function"
    name = value.child_by_field_name("name")
    return f"{keyword} {_text(name)}" if name is not None else f"export default {keyword}"


def _variable_heading(node: Node) -> str | None:
    """`const render = () => ...`: a function (or class) bound to a name is a definition."""
    for declarator in node.named_children:
        if declarator.type != "variable_declarator":
            continue
        value = declarator.child_by_field_name("value")
        if value is not None and value.type in _FUNCTION_VALUES:
            return f"{_text(node.children[0])} {_name(declarator)}"
    return None


def _name(node: Node) -> str:
    return _text(node.child_by_field_name("name"))


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return " ".join(node.text.decode("utf-8", errors="replace").split())
