"""The engine contract suite: the behaviour of every storage engine, through the role protocols.

No test here names an engine class, runs SQL or touches a private attribute; each gets its store
from ``open_store`` (see ``conftest.py``), so the same tests run against every engine listed in
``ENGINES``.
"""
