from __future__ import annotations

import threading
from itertools import pairwise

import pytest

from memvault.content.chunking import ChunkLimits, language_for
from memvault.content.chunking.code import _parser, chunk_code
from memvault.core.errors import InvalidInputError
from tests.content.chunking.exact import assert_exact

PYTHON = '''\
"""Module docstring."""

import os
from pathlib import Path

LIMIT = 3  # trailing comment stays with its line


# Loads the config.
# Two comment lines.
@cache
@other(arg=1)
def load_config(path: Path) -> dict:
    return {}


class Vault:
    """A vault."""

    def method(self) -> None:
        pass


async def fetch() -> None:
    pass

if __name__ == "__main__":
    main()
'''

JAVASCRIPT = """\
import { x } from "./x.js";

/** Renders things. */
function render(node) {
  return node;
}

// An arrow bound to a name.
const handler = async (event) => {
  return event;
};

export class Widget {
  draw() {}
}

export default function () {}

const plain = 42;
console.log(plain);
"""

TYPESCRIPT = """\
import type { A } from "./a";

// Shape of a user.
export interface User {
  name: string;
}

type Id = string | number;

enum Color {
  Red,
}

@Component({ selector: "x" })
export class Panel {}

function area(r: number): number;
function area(r: string): number;
function area(r: any): number {
  return 0;
}

export const toId = (u: User): Id => u.name;
"""

TSX = """\
import React from "react";

// A button.
export function Button(props: { label: string }) {
  return <button>{props.label}</button>;
}

const App = () => <Button label="hi" />;
export default App;
"""

GO = """\
package main

import (
\t"fmt"
)

// Server serves.
// It has two comment lines.
type Server struct {
\tport int
}

func main() {
\tfmt.Println("hi")
}

// Start starts.
func (s *Server) Start() error {
\treturn nil
}

var version = "1"
"""

RUST = """\
//! Crate docs belong to the module.
use std::fmt;

/// A parsed thing.
#[derive(Debug)]
pub struct Thing {
    value: i32,
}

enum Kind {
    A,
}

impl fmt::Display for Thing {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.value)
    }
}

pub trait Named {
    fn name(&self) -> String;
}

mod inner {
    pub fn helper() {}
}

/// Parses.
pub fn parse(input: &str) -> Thing {
    Thing { value: input.len() as i32 }
}

const MAX: i32 = 10;
"""

EXPECTED = {
    "python": (
        PYTHON,
        [
            (None, 1, 6),
            ("def load_config", 9, 14),
            ("class Vault", 17, 21),
            ("async def fetch", 24, 25),
            (None, 27, 28),
        ],
    ),
    "javascript": (
        JAVASCRIPT,
        [
            (None, 1, 1),
            ("function render", 3, 6),
            ("const handler", 8, 11),
            ("class Widget", 13, 15),
            ("export default function", 17, 17),
            (None, 19, 20),
        ],
    ),
    "typescript": (
        TYPESCRIPT,
        [
            (None, 1, 1),
            ("interface User", 3, 6),
            ("type Id", 8, 8),
            ("enum Color", 10, 12),
            ("class Panel", 14, 15),
            ("function area", 17, 21),
            ("const toId", 23, 23),
        ],
    ),
    "tsx": (
        TSX,
        [(None, 1, 1), ("function Button", 3, 6), ("const App", 8, 8), (None, 9, 9)],
    ),
    "go": (
        GO,
        [
            (None, 1, 5),
            ("type Server", 7, 11),
            ("func main", 13, 15),
            ("func (s *Server) Start", 17, 20),
            (None, 22, 22),
        ],
    ),
    "rust": (
        RUST,
        [
            (None, 1, 2),
            ("struct Thing", 4, 8),
            ("enum Kind", 10, 12),
            ("impl fmt::Display for Thing", 14, 18),
            ("trait Named", 20, 22),
            ("mod inner", 24, 26),
            ("fn parse", 28, 31),
            (None, 33, 33),
        ],
    ),
}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_top_level_definitions_are_chunks_of_their_own(language: str) -> None:
    source, expected = EXPECTED[language]
    chunks = chunk_code(source, language)
    assert_exact(chunks, source)
    assert [(c.heading, c.line_start, c.line_end) for c in chunks] == expected


def test_decorators_and_comments_above_belong_to_the_definition() -> None:
    chunks = chunk_code(PYTHON, "python")
    assert chunks[1].text.startswith("# Loads the config.\n# Two comment lines.\n@cache\n")
    rust = chunk_code(RUST, "rust")
    assert rust[1].text.startswith("/// A parsed thing.\n#[derive(Debug)]\npub struct")
    assert rust[0].text.startswith("//! Crate docs")  # inner docs stay with the module


def test_methods_stay_inside_their_class() -> None:
    vault = chunk_code(PYTHON, "python")[2]
    assert "def method(self)" in vault.text
    assert all(c.heading != "def method" for c in chunk_code(PYTHON, "python"))


def test_a_comment_separated_by_a_blank_line_is_not_attached() -> None:
    source = "# About the module.\n\ndef f():\n    pass\n"
    chunks = chunk_code(source, "python")
    assert [(c.heading, c.line_start) for c in chunks] == [(None, 1), ("def f", 3)]


def test_a_trailing_comment_stays_with_its_code() -> None:
    source = "x = 1  # about x\ndef f():\n    pass\n"
    chunks = chunk_code(source, "python")
    assert [(c.heading, c.line_start, c.line_end) for c in chunks] == [
        (None, 1, 1),
        ("def f", 2, 3),
    ]


def test_definitions_sharing_a_line_become_one_chunk() -> None:
    source = "function a() {} function b() {}\nfunction c() {}\n"
    chunks = chunk_code(source, "javascript")
    assert [(c.heading, c.line_start, c.line_end) for c in chunks] == [
        ("function a", 1, 1),
        ("function c", 2, 2),
    ]


def test_an_oversized_definition_is_split_and_every_piece_keeps_its_heading() -> None:
    body = "\n".join(f"    value_{n} = compute({n})  # step {n}" for n in range(80))
    source = f"import os\n\n\ndef big() -> None:\n{body}\n\n\ndef small() -> None:\n    pass\n"
    limits = ChunkLimits(max_chars=500, overlap_chars=100)
    chunks = chunk_code(source, "python", limits)
    assert_exact(chunks, source, limits)
    big = [c for c in chunks if c.heading == "def big"]
    assert len(big) > 4
    assert big[0].line_start == 4
    assert big[-1].line_end == 84
    for before, after in pairwise(big):
        assert after.line_start <= before.line_end
    assert chunks[-1].heading == "def small"


def test_a_syntax_error_still_yields_the_intact_definitions() -> None:
    source = "def good():\n    return 1\n\n\ndef broken(:\n    pass\n"
    chunks = chunk_code(source, "python")
    assert_exact(chunks, source)
    assert chunks[0].heading == "def good"


def test_line_numbers_survive_non_ascii_text_and_crlf() -> None:
    source = "# ünïcödé\r\nx = 'é'\r\n\r\n# Dōc.\r\ndef f():\r\n    return '日本'\r\n"
    chunks = chunk_code(source, "python")
    assert_exact(chunks, source)
    assert [(c.heading, c.line_start, c.line_end) for c in chunks] == [
        (None, 1, 2),
        ("def f", 4, 6),
    ]


def test_empty_source_has_no_chunks() -> None:
    assert chunk_code("", "go") == []


def test_unknown_language_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="cobol"):
        chunk_code("x", "cobol")


def test_parsers_are_cached_per_language_and_thread() -> None:
    assert _parser("rust") is _parser("rust")
    assert _parser("rust") is not _parser("go")
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(_parser("rust")))
    thread.start()
    thread.join()
    assert other[0] is not _parser("rust")


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a.py", "python"),
        ("stubs/a.pyi", "python"),
        ("a.js", "javascript"),
        ("a.jsx", "javascript"),
        ("a.mjs", "javascript"),
        ("a.cjs", "javascript"),
        ("a.ts", "typescript"),
        ("a.d.ts", "typescript"),
        ("a.mts", "typescript"),
        ("a.cts", "typescript"),
        ("A.TSX", "tsx"),
        ("cmd/main.go", "go"),
        ("src/lib.rs", "rust"),
        ("README.md", None),
        ("Makefile", None),
        (".py", None),
    ],
)
def test_language_for(path: str, language: str | None) -> None:
    assert language_for(path) == language
