"""A note's Markdown as the web page shows it: HTML escaped, wiki links followed, code kept."""

from __future__ import annotations

from memvault.content.markdown.links import link_key, wiki_links
from memvault.web.markdown_view import heading_id, render_markdown, resolver, view_url

KNOWN = resolver({"other": "ideas/Other note.md", "plan": "work/plan.md"})


def test_raw_html_in_a_note_is_shown_as_text_never_run() -> None:
    html = render_markdown(
        '<script>alert("x")</script>\n\n<img src=x onerror=alert(1)>\n\n'
        "[click](javascript:alert(1))\n",
        KNOWN,
    )
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'href="javascript' not in html and "<a " not in html


def test_wiki_links_become_links_to_the_note_they_resolve_to() -> None:
    html = render_markdown("See [[Other]], [[plan|the plan]] and [[Plan#Next Steps]].\n", KNOWN)
    assert '<a class="wikilink" href="/notes/view?path=ideas%2FOther+note.md">Other</a>' in html
    assert '<a class="wikilink" href="/notes/view?path=work%2Fplan.md">the plan</a>' in html
    assert 'href="/notes/view?path=work%2Fplan.md#h-next-steps">Plan#Next Steps</a>' in html


def test_a_link_no_note_answers_to_is_marked_missing_not_linked() -> None:
    html = render_markdown("a [[Nowhere|somewhere]] link\n", KNOWN)
    assert '<span class="wikilink missing"' in html and ">somewhere<" in html
    assert "<a " not in html


def test_a_wiki_link_in_a_code_span_or_fence_stays_code() -> None:
    body = "Write `[[Other]]` for a link.\n\n```\n[[Other]]\n```\n\n~~~md\n[[plan]]\n~~~\n"
    html = render_markdown(body, KNOWN)
    assert "<a " not in html and "wikilink" not in html
    assert "<code>[[Other]]</code>" in html and "<code>[[Other]]\n</code>" in html
    assert wiki_links(body) == []  # the index agrees: no links there


def test_links_the_page_follows_are_the_links_the_index_resolves() -> None:
    """The page keys a link as the index does, so every link it shows as live is one
    ``notes.links`` resolved."""
    body = "[[./Ideas/OTHER NOTE.md]] [[  other  ]] `x` [[Other\\|in a table]]\n"
    keys = {link_key(link.target) for link in wiki_links(body)}
    assert keys == {"ideas/other note", "other"}
    html = render_markdown(body, resolver({"ideas/other note": "ideas/Other note.md"}))
    assert html.count('href="/notes/view?path=ideas%2FOther+note.md"') == 1
    assert html.count("wikilink missing") == 2


def test_a_wiki_link_in_a_table_cell_keeps_its_escaped_pipe_as_the_alias() -> None:
    html = render_markdown("| a | b |\n|---|---|\n| [[Other\\|shown]] | 2 |\n", KNOWN)
    assert '<td><a class="wikilink" href="/notes/view?path=ideas%2FOther+note.md">shown</a>' in html


def test_headings_get_ids_that_heading_links_use() -> None:
    html = render_markdown("# Top\n\n## Set-up: steps!\n\n## Set-up: steps!\n\n[[#Top]]\n", KNOWN)
    assert '<h2 id="h-set-up-steps">' in html and '<h2 id="h-set-up-steps-2">' in html
    assert '<a class="wikilink" href="#h-top">#Top</a>' in html
    assert heading_id("Main") != "main"  # never the page's own skip target
    assert view_url("a b.md", "Top") == "/notes/view?path=a+b.md#h-top"


def test_a_label_with_markup_is_escaped_text() -> None:
    html = render_markdown("[[Other|<b>bold</b>]] [[<i>x</i>]]\n", KNOWN)
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&lt;i&gt;x&lt;/i&gt;" in html


def test_outside_links_do_not_send_the_referrer() -> None:
    html = render_markdown("[site](https://example.org) and [here](#h-top)\n", KNOWN)
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">site</a>' in html
    assert '<a href="#h-top">here</a>' in html
