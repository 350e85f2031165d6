"""The version memvault reports is the one it is packaged as."""

import tomllib
from pathlib import Path

import memvault
from memvault.core.version import VERSION


def test_the_version_matches_the_package() -> None:
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert memvault.__version__ == VERSION == project["project"]["version"]
