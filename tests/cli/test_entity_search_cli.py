"""``memvault search QUERY --entity NAME`` through the installed command: the name is read
through ``entity_key``, so any spelling finds the memories that wrote another."""

from __future__ import annotations

from tests.cli.test_vault_cli import Cli, cli  # noqa: F401 (the fixture)


def test_search_by_entity_finds_every_spelling(cli: Cli) -> None:  # noqa: F811
    camel = cli.json("remember", "parseConfig fails on an empty TOML file")["id"]
    cli.json("remember", "loadConfig fails on an empty TOML file")
    snake = cli.json("remember", "parse_config now reads an empty TOML file")["id"]
    found = cli.json("search", "empty TOML file", "--entity", "parse_config", "--mode", "keyword")
    assert {h["id"] for h in found["hits"]} == {camel, snake}
    both = cli.json("search", "TOML", "--entity", "parseConfig", "--entity", "loadConfig")
    assert both["hits"] == []
    hit = found["hits"][0]
    assert hit["entities"]["identifier"] == [hit["content"].split()[0]]


def test_an_entity_that_names_nothing_is_one_line_of_error(cli: Cli) -> None:  # noqa: F811
    cli.json("remember", "parseConfig fails")
    assert "names nothing" in cli.fails(1, "search", "parse", "--entity", "  ")


def test_the_extractors_are_a_setting_of_init(cli: Cli) -> None:  # noqa: F811
    assert cli.json("init", "--entities", "path,mention")["entities"] == "mention,path"
    made = cli.json("remember", "Ana asked @bob about src/app/config.py and parseConfig")["id"]
    got = cli.json("get", made)
    assert got["entities"] == {"mention": ["bob"], "path": ["src/app/config.py"]}
    assert "unknown kind 'people'" in cli.fails(1, "init", "--entities", "people")
    assert cli.json("init")["entities"] == "mention,path"  # kept until set again
