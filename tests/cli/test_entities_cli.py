"""``memvault entities``, ``memvault entity NAME`` and ``neighbours --via-entities`` through the
installed command: counts, an entity's page with its notes and co-occurring entities, memories
reached through the entities they share."""

from __future__ import annotations

from tests.cli.test_vault_cli import Cli, cli  # noqa: F401 (the fixture)


def test_entities_are_listed_most_mentioned_first(cli: Cli) -> None:  # noqa: F811
    cli.json("remember", "Ana fixed parseConfig in src/app/config.py")
    cli.json("remember", "Ana reviewed parse_config")
    cli.json("remember", "@ana deployed", "--namespace", "work")
    listed = cli.json("entities")
    assert [(e["key"], e["memories"]) for e in listed["entities"]] == [
        ("ana", 3),
        ("parseconfig", 2),
        ("src/app/config.py", 1),
    ]
    assert listed["count"] == 3
    paths = cli.json("entities", "--kind", "path")["entities"]
    assert [e["name"] for e in paths] == ["src/app/config.py"]
    work = cli.json("entities", "--namespace", "work", "--limit", "5")["entities"]
    assert [(e["key"], e["memories"]) for e in work] == [("ana", 1)]
    shown = cli.run("entities", "--limit", "1").stdout
    assert "Ana" in shown and "parseConfig" not in shown
    assert "not one of" in cli.fails(1, "entities", "--kind", "people")


def test_an_entity_page_through_any_spelling(cli: Cli) -> None:  # noqa: F811
    first = cli.json("remember", "parseConfig fails on an empty file, says Ana")["id"]
    second = cli.json("remember", "Ana and Bob rewrote parse_config")["id"]
    cli.json("remember", "Bob went home")
    cli.json("note", "write", "plans/config", "--content", "# Plan\n\nparse_config gets tests.")
    page = cli.json("entity", "parse-config")
    assert (page["key"], page["name"], page["kind"]) == ("parseconfig", "parseConfig", "identifier")
    assert page["count"] == 2
    assert [m["id"] for m in page["memories"]] == [second, first]  # newest first
    assert page["first_seen"] < page["last_seen"]
    assert page["notes"] == ["plans/config.md"]
    assert [(e["key"], e["memories"]) for e in page["co_occurring"]] == [("ana", 2), ("bob", 1)]
    one = cli.json("entity", "parseConfig", "--limit", "1")
    assert [m["id"] for m in one["memories"]] == [second] and one["more"] is True
    text = cli.run("entity", "parse_config").stdout
    assert "parseConfig (identifier): 2 memories" in text and "plans/config.md" in text


def test_an_unknown_entity_is_one_line_of_error(cli: Cli) -> None:  # noqa: F811
    cli.json("remember", "Ana fixed it")
    assert "no entity 'Zed'" in cli.fails(3, "entity", "Zed")
    assert "names nothing" in cli.fails(1, "entity", "!!")


def test_neighbours_through_shared_entities(cli: Cli) -> None:  # noqa: F811
    centre = cli.json("remember", "Ana fixed parseConfig in src/app/config.py")["id"]
    two = cli.json("remember", "Ana changed parse_config again")["id"]
    one = cli.json("remember", "src/app/config.py moved")["id"]
    cli.json("remember", "nothing in common here")
    found = cli.json("neighbours", centre, "--via-entities")
    assert [(n["memory"]["id"], n["shared"]) for n in found["neighbours"]] == [(two, 2), (one, 1)]
    assert found["count"] == 2
    assert cli.json("neighbours", centre, "--via-entities", "--limit", "1")["count"] == 1
    assert "2 shared" in cli.run("neighbours", centre, "--via-entities").stdout
    assert "not edges" in cli.fails(1, "neighbours", centre, "--via-entities", "-r", "x")
    missing = "01a23cd9-41b3-7013-bb80-d67c74d5f45d"
    assert "no memory with id" in cli.fails(3, "neighbours", missing, "--via-entities")
