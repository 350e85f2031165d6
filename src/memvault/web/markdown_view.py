"""A note's Markdown as HTML for its page: raw HTML shown as text, ``[[wiki links]]`` followed.

markdown-it-py renders CommonMark (with tables and strikethrough) with ``html=False``, so a
``<script>`` a note holds is escaped text, and its link check drops ``javascript:`` URLs: this
output is the one thing the templates may mark safe. Wiki links are an inline rule of the parser,
so a ``[[link]]`` inside a code span or a fenced block stays code, as the link scanner of the
index (``markdown.links.wiki_links``) leaves it out too. A link is resolved by the same key the
index uses (``link_key``), through the note's resolved links that the page passes in; a link no
note answers to is a marked "missing" span, not a link to nowhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from memvault.content.markdown.links import link_key, wiki_links

Resolve = Callable[[str], str | None]  # a link key to the path of the note it names, or None

_SLUG_DROP = re.compile(r"[^\w\- ]+")
_SPACES = re.compile(r"\s+")
HEADING_PREFIX = "h-"  # heading ids never clash with the page's own ("main")


def render_markdown(body: str, resolve: Resolve) -> str:
    """The HTML of a note's body (front matter already taken off)."""
    html: str = _PARSER.render(body, {"resolve": resolve})
    return html


def resolver(targets: Mapping[str, str | None]) -> Resolve:
    """A resolver from the note's links out: link key (``LinkView.target``) → resolved path."""
    return targets.get


def view_url(path: str, heading: str | None = None) -> str:
    """Where a note's page is (at one of its headings)."""
    anchor = f"#{heading_id(heading)}" if heading else ""
    return "/notes/view?" + urlencode({"path": path}) + anchor


def heading_id(text: str) -> str:
    """The ``id`` of a heading: lower case, punctuation dropped, spaces as hyphens."""
    normal = unicodedata.normalize("NFC", text).casefold()
    return HEADING_PREFIX + _SPACES.sub("-", _SLUG_DROP.sub("", normal).strip())


def _wiki_rule(state: StateInline, silent: bool) -> bool:
    """``[[target#heading|alias]]`` (or ``![[embed]]``, shown as a link) at the cursor; tried
    before the link and image rules, so ``[[x]]`` is never read as a reference link."""
    start = state.pos
    embed = state.src.startswith("![[", start)
    if not embed and not state.src.startswith("[[", start):
        return False
    opening = start + (3 if embed else 2)
    end = state.src.find("]]", opening)
    if end < 0:
        return False
    inner = state.src[opening:end]
    if any(char in inner for char in "[]\n"):
        return False
    target, heading, label = _parts(inner)
    if target is None and heading is None:
        return False
    if not silent:
        token = state.push("wikilink", "", 0)
        token.content = label
        token.meta = {"target": target, "heading": heading}
    state.pos = end + 2
    return True


def _parts(inner: str) -> tuple[str | None, str | None, str]:
    """The target, heading and shown label of a link's inside, read as the index reads it."""
    found = wiki_links(f"[[{inner}]]")
    written = inner.partition("|")[0].removesuffix("\\").strip()
    if found:
        link = found[0]
        return link.target, link.heading, link.alias or written
    heading = inner.partition("|")[0].partition("#")[2].strip()  # [[#Heading]]: this note
    alias = inner.partition("|")[2].strip()
    return None, heading or None, alias or written


def _render_wikilink(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    options: OptionsDict,
    env: dict[str, Any],
) -> str:
    token = tokens[index]
    label = escapeHtml(token.content)
    target: str | None = token.meta["target"]
    heading: str | None = token.meta["heading"]
    if target is None:
        assert heading is not None
        return f'<a class="wikilink" href="#{escapeHtml(heading_id(heading))}">{label}</a>'
    resolve: Resolve = env.get("resolve") or (lambda _key: None)
    path = resolve(link_key(target))
    if path is None:
        return (
            f'<span class="wikilink missing" title="no note is named this yet">{label}'
            '<span class="visually-hidden"> (missing note)</span></span>'
        )
    return f'<a class="wikilink" href="{escapeHtml(view_url(path, heading))}">{label}</a>'


def _heading_ids(state: StateCore) -> None:
    """Give each heading an ``id``, so ``[[Note#Heading]]`` lands on it (repeats get -2, -3)."""
    seen: dict[str, int] = {}
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open" or index + 1 >= len(state.tokens):
            continue
        inline = state.tokens[index + 1]
        text = "".join(child.content for child in inline.children or [])
        base = heading_id(text or inline.content)
        seen[base] = seen.get(base, 0) + 1
        token.attrSet("id", base if seen[base] == 1 else f"{base}-{seen[base]}")


def _outside_links(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    options: OptionsDict,
    env: dict[str, Any],
) -> str:
    """A link to another site opens without telling it where the reader came from."""
    token = tokens[index]
    if str(token.attrGet("href") or "").startswith(("http://", "https://", "//")):
        token.attrSet("rel", "noopener noreferrer nofollow")
    return renderer.renderToken(tokens, index, options, env)


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    parser.inline.ruler.before("link", "wikilink", _wiki_rule)
    parser.core.ruler.push("heading_ids", _heading_ids)
    parser.add_render_rule("wikilink", _render_wikilink)
    parser.add_render_rule("link_open", _outside_links)
    return parser


_PARSER = _parser()
