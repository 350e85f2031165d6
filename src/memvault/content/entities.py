"""Entities in a text, without a model: mentions, tags, code identifiers, paths, URLs, issue
references, versions and proper names, each with a key that spellings share.

Graphiti and mem0 ask an LLM on every write; here a handful of regular expressions run in tens
of microseconds, in the write path, and give the same answer every time (a reindex restores the
same entities). The extractors run in a fixed order and each masks what it took, so a path is not
also an identifier and a URL's host is not also a name: URLs, then issue references, mentions,
tags, paths, versions, identifiers, and last the proper names, from what is left.

Proper names are runs of capitalised words. A sentence's first word is capitalised anyway, so
there it counts only when it is not a common word (``COMMON``) and does not look like a verb or
adverb (``-ed``, ``-ing``, ``-ly``): "Ana prefers tea" finds Ana, "Deployed the fix" finds
nothing. That misses a name that is also a common word at the start of a sentence ("Will said
so") and keeps a rare capitalised word there; both are cheap mistakes next to a model's.

Keys (:func:`entity_key`): the words of a name or identifier, split at ``_ - .``, spaces and
case changes, lower-cased, accents dropped, and glued (``parseConfig``, ``parse_config``,
``parse-config`` and ``ParseConfig`` are all ``parseconfig``; ``@Ana`` and ``Ana`` are ``ana``;
``PostgreSQL`` and ``postgresql`` meet because the parts are glued, not joined). Dotted names keep
their dots; paths, URLs, issues and versions have keys of their own kind.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator

from memvault.core.entity_records import EntityKind, EntityMention, in_kind_order
from memvault.core.errors import InvalidInputError
from memvault.core.terms import STOPWORDS

ALL_KINDS = frozenset(EntityKind)
KINDS_SETTING = "entities.kinds"  # "all" (the default), "none", or kinds joined by commas
MAX_ENTITY_NAME = 500
MAX_ENTITIES = 64  # per text: a long document names more, and its chunks carry them

_WORD_END = re.compile(r"\s")
_NOT_ALNUM = re.compile(r"[\W_]+")
_URL = re.compile(r"(?i:\bhttps?://[^\s<>\"'`()\[\]{}]+)")
_ISSUE = re.compile(
    r"(?<![\w/#])(?:(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)#(?P<repo_number>\d+)"
    r"|#(?P<number>\d+)\b"
    r"|(?P<tracker>\b[A-Z][A-Z0-9]{1,9})-(?P<tracker_number>\d+)\b)"
)
_MENTION = re.compile(r"(?<![\w@.+-])@(?P<who>[A-Za-z][\w.-]*[A-Za-z0-9_]|[A-Za-z])")
_TAG = re.compile(r"(?<![\w#&/])#(?P<tag>[A-Za-z][\w/-]*[\w]|[A-Za-z])")
_EXTENSIONS = (
    "py|pyi|md|txt|rst|js|mjs|ts|tsx|jsx|json|toml|yaml|yml|ini|cfg|conf|sql|sh|bash|zsh|rs|go|"
    "java|kt|c|h|cc|cpp|hpp|cs|rb|php|swift|html|css|scss|vue|svelte|lock|csv|tsv|xml|proto|tf|"
    "db|log|env|pdf|ipynb|dockerfile"
)
_PATH = re.compile(
    r"(?i:(?<![\w:/.@-])(?:"
    r"(?:~|\.{1,2})?/?(?:[\w.@+-]+/)+[\w.@+-]*\w"  # with a slash: a/b, ./a, ~/a/b, /etc/x
    rf"|[\w-]+(?:\.[\w-]+)*\.(?:{_EXTENSIONS})\b"  # a file name with a known extension
    r"))"
)
_VERSION = re.compile(
    r"(?<![\w.])(?:[vV]\d+(?:\.\d+)+|\d+\.\d+\.\d+(?:\.\d+)*)(?:-[0-9A-Za-z.]+)?(?![\w.]*\w)"
)
_CALL = re.compile(r"\b[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*\(\)")
_DOTTED = re.compile(r"\b(?<![@.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b(?!@)")
_SNAKE = re.compile(r"\b_*[A-Za-z0-9]+(?:_+[A-Za-z0-9]+)+_*\b")
_CAMEL = re.compile(r"\b(?:[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+)\b")
_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME_PARTICLE_WORDS = "de|da|del|der|van|von|la|le|di|du"
# A run of capitalised words (and the particles names have inside: Ana de la Cruz).
# The look-behind comes after the first letter so the engine can scan for capitals first.
_NAME_RUN = re.compile(
    rf"[{_UPPER}](?<![\w.@#/-][{_UPPER}])[\w'\u2019-]*"
    rf"(?: (?:[{_UPPER}][\w'\u2019-]*|(?:{_NAME_PARTICLE_WORDS})\b))*"
)
_SENTENCE_END = re.compile(r"[.!?:;]\s*$|^\s*$|\n\s*(?:[-*+>]|\d+[.)])?\s*$")
_NAME_PARTICLES = frozenset({"de", "da", "del", "der", "van", "von", "la", "le", "di", "du"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitalised at a sentence's start for being first, not for being a name.
COMMON = STOPWORDS | _words(
    """
    a about above after again against all also always am an and any anyone anything are as at
    back be because been before being below between both but by can cannot could did do does
    doing done down during each either else even ever every few first for from further get gets
    got had has have having he her here hers herself him himself his how however i if in into is
    it its itself just last later least less let like made make makes many may maybe me might
    more most much must my myself never new next no nobody none nor not nothing now of off often
    old on once one only or other others our ours ourselves out over own perhaps please rather
    same she should since so some someone something sometimes soon still such than that the
    their theirs them themselves then there these they this those though through thus to today
    tomorrow tonight too under until up upon us use used uses using very via was we well were
    what whatever when whenever where whether which while who whom whose why will with within
    without would yes yet yesterday you your yours yourself
    add added adds avoid check create delete do don't fix keep move need needs note notes open
    read remember run see set start stop try update write ask asked call change consider ensure
    find found follow give go good bad great important instead look make prefer prefers put
    remove replace return said say says show take tell think turn wait want wants watch
    decision lesson fact preference event error warning step steps todo ok okay hello hi thanks
    monday tuesday wednesday thursday friday saturday sunday january february march april june
    july august september october november december
    """
)


def entity_key(text: str) -> str:
    """The key every spelling of ``text`` shares (also for a query: ``search --entity``)."""
    raw = text.strip()
    if _URL.fullmatch(raw):
        return _url_key(raw)
    issue = _ISSUE.fullmatch(raw)
    if issue is not None:
        return _issue_key(issue)
    if raw[:1] in "@#":
        raw = raw[1:]
    if raw.endswith("()"):
        raw = raw[:-2]
    if _VERSION.fullmatch(raw):
        return raw.lstrip("vV").lower()
    if "/" in raw or raw.startswith("~"):
        return raw.removeprefix("./")
    return ".".join(_glued(part) for part in raw.split(".") if part) or _glued(raw)


def entity_keys(names: Iterable[str]) -> tuple[str, ...]:
    """The keys of entities a caller names (``search --entity``): one line of error for a
    name that is empty or has no key."""
    found: list[str] = []
    for name in names:
        if not isinstance(name, str) or len(name) > MAX_ENTITY_NAME:
            raise InvalidInputError(f"an entity is a name of at most {MAX_ENTITY_NAME} characters")
        key = entity_key(name)
        if not key:
            raise InvalidInputError(f"entity {name!r} names nothing (give a word, @name, #tag…)")
        found.append(key)
    return tuple(dict.fromkeys(found))


def extract_entities(
    text: str, *, tags: Iterable[str] = (), kinds: frozenset[EntityKind] = ALL_KINDS
) -> tuple[EntityMention, ...]:
    """The entities ``text`` mentions and the memory's ``tags``, each key once (its first
    spelling kept), at most ``MAX_ENTITIES``, in the order they appear."""
    found: dict[str, EntityMention] = {}
    if _worth_scanning(text):
        taken = _scan(text, kinds, found)
        if EntityKind.NAME in kinds and not text.islower():
            _names(text, taken, found)
    if EntityKind.TAG in kinds:
        for tag in tags:
            _add(found, EntityKind.TAG, tag)
    return tuple(found.values())[:MAX_ENTITIES]


def entity_mention(kind: EntityKind, name: str) -> EntityMention | None:
    """An entity a person or a file names, with the key its kind gives it (None: no key)."""
    found: dict[str, EntityMention] = {}
    _add(found, kind, name)
    return next(iter(found.values()), None)


def mentions_from_mapping(value: object) -> tuple[EntityMention, ...]:
    """The entities of a front matter's or an export's ``entities`` (kind -> names), checked:
    an unknown kind or a name that is not text is an ``InvalidInputError`` saying which."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise InvalidInputError("entities must be a mapping of kind to a list of names")
    found: list[EntityMention] = []
    for kind_name, names in value.items():
        try:
            kind = EntityKind(str(kind_name).strip().lower())
        except ValueError as exc:
            known = ", ".join(EntityKind)
            raise InvalidInputError(f"entities: unknown kind {kind_name!r} ({known})") from exc
        for name in [names] if isinstance(names, str) else names or ():
            if not isinstance(name, str | int | float) or isinstance(name, bool):
                raise InvalidInputError(f"entities: each {kind} must be a name")
            mention = entity_mention(kind, str(name))
            if mention is not None:
                found.append(mention)
    return in_kind_order(found)


def kinds_from_setting(value: str | None) -> frozenset[EntityKind]:
    """The extractors a vault runs (setting ``entities.kinds``): all, none, or a list."""
    text = (value or "all").strip().lower()
    if text == "all":
        return ALL_KINDS
    if text == "none":
        return frozenset()
    kinds: set[EntityKind] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            kinds.add(EntityKind(part))
        except ValueError as exc:
            known = ", ".join(EntityKind)
            raise InvalidInputError(
                f"{KINDS_SETTING}: unknown kind {part!r} (all, none, or some of {known})"
            ) from exc
    return frozenset(kinds)


def setting_of_kinds(kinds: frozenset[EntityKind]) -> str:
    """The setting's text for ``kinds`` (the inverse of :func:`kinds_from_setting`)."""
    if kinds == ALL_KINDS:
        return "all"
    return ",".join(k.value for k in EntityKind if k in kinds) or "none"


# --- inside ----------------------------------------------------------------------------------
def _worth_scanning(text: str) -> bool:
    """Cheap first test: a text of lower-case words and spaces has no entity but its tags."""
    return bool(text) and (not text.islower() or any(c in text for c in "@#/_.(0123456789"))


def _scan(
    text: str, kinds: frozenset[EntityKind], found: dict[str, EntityMention]
) -> list[tuple[int, int]]:
    """Every extractor but the names, in the order of ``_SCANS``: a match overlapping what an
    earlier one took is skipped (a path's parts are not also identifiers). The spans taken,
    for the names to stay out of."""
    taken: list[tuple[int, int]] = []
    for kind, pattern, hint in _scans_of(kinds):
        if not (hint in text if isinstance(hint, str) else hint.search(text)):
            continue
        for match in _matches(pattern, hint, text):
            start, end = match.span()
            if taken and _overlaps(taken, start, end):
                continue  # inside what an earlier extractor took
            name = _trimmed(match.group())
            if kind is EntityKind.PATH and not _is_path(name):
                continue
            if kind is EntityKind.IDENTIFIER and _is_plain_word(name):
                continue
            _add(found, kind, name)
            taken.append((start, end))
    return taken


def _matches(
    pattern: re.Pattern[str], hint: str | re.Pattern[str], text: str
) -> Iterator[re.Match[str]]:
    """The pattern's matches in ``text``, searched for only in the words holding its hint: no
    match of these extractors (nor any hint) holds a space, and a look-behind still sees the
    text before a word, so the matches are the same, for a fraction of the regex engine's work
    (most of a text's words hold no hint, and most patterns cannot skip ahead by themselves)."""
    stop, length = 0, len(text)
    while True:
        if isinstance(hint, str):
            at = text.find(hint, stop)
        else:
            found = hint.search(text, stop)
            at = -1 if found is None else found.start()
        if at < 0:
            return
        start = max(text.rfind(" ", 0, at) + 1, text.rfind("\n", 0, at) + 1, stop)
        end = _WORD_END.search(text, at)
        stop = length if end is None else max(end.start(), at + 1)
        yield from pattern.finditer(text, start, stop)


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    for s, e in taken:  # noqa: SIM110 (a loop, not any(): no generator per match)
        if s < end and start < e:
            return True
    return False


def _names(text: str, taken: list[tuple[int, int]], found: dict[str, EntityMention]) -> None:
    for match in _NAME_RUN.finditer(text):
        whole = match.group()
        if whole == "I" or (len(whole) == 1 and not whole.isupper()):
            continue
        start, end = match.span()
        if taken and _overlaps(taken, start, end):
            continue
        run = [_bare(word) for word in whole.split(" ")] if " " in whole else [_bare(whole)]
        while run and run[-1] in _NAME_PARTICLES:
            run.pop()
        if (
            run
            and _ordinary_start(run[0])
            and _SENTENCE_END.search(text[max(0, start - 3) : start])
        ):
            run = run[1:]
        words = [w for w in run if len(w) > 1 or (w.isupper() and w != "I")]
        if not words or (len(words) == 1 and words[0].lower() in COMMON):
            continue
        _add(found, EntityKind.NAME, " ".join(words))


def _bare(word: str) -> str:
    """A word of a name without its possessive or trailing dashes: Ana's -> Ana."""
    word = word.rstrip("'\u2019-")
    return word[:-2] if word.endswith(("'s", "\u2019s")) else word


def _ordinary_start(word: str) -> bool:
    """A sentence's first word that is capitalised only for being first."""
    lower = word.lower()
    return lower in COMMON or (lower.endswith(("ed", "ing", "ly")) and len(lower) > 4)


def _add(found: dict[str, EntityMention], kind: EntityKind, name: str) -> None:
    mention = _mention(kind, name)
    if mention is not None and mention.key not in found and len(found) < MAX_ENTITIES:
        found[mention.key] = mention


def forget_spellings() -> None:
    """Empty the cache of spellings' keys (for a measurement that starts cold)."""
    _mention.cache_clear()


@functools.lru_cache(maxsize=8192)
def _mention(kind: EntityKind, name: str) -> EntityMention | None:
    """The mention a spelling gives (None: no key). Cached: a vault's texts name the same
    people, services and functions over and over (that is what makes them entities), and the
    key's subword split was two fifths of the extraction time on the bench's texts."""
    name = name.strip()
    if kind in (EntityKind.MENTION, EntityKind.TAG):
        name = name.lstrip("@#")
    key = _key_of(kind, name)
    return EntityMention(key=key, name=name, kind=kind) if key else None


def _trimmed(text: str) -> str:
    return text.rstrip(".,;:!?'\"")


def _is_path(text: str) -> bool:
    """A path has a file extension, a leading ``/ ./ ~/``, or two slashes: ``and/or`` has not."""
    if text.count("/") >= 2 or text.startswith(("/", "./", "../", "~/")):
        return True
    last = text.rsplit("/", 1)[-1]
    return re.fullmatch(rf"[\w.@+-]*\.(?:{_EXTENSIONS})", last, re.IGNORECASE) is not None


def _is_plain_word(text: str) -> bool:
    return text.isalpha() and (text.islower() or text[1:].islower())


def _key_of(kind: EntityKind, name: str) -> str:
    """:func:`entity_key` when the kind is known already (the write path: no guessing)."""
    if kind is EntityKind.PATH:
        return name.removeprefix("./")
    if kind is EntityKind.URL:
        return _url_key(name)
    if kind is EntityKind.VERSION:
        return name.lstrip("vV").lower()
    if kind is EntityKind.ISSUE:
        return entity_key(name)
    if name.endswith("()"):
        name = name[:-2]
    if "." in name:
        return ".".join(_glued(part) for part in name.split(".") if part)
    return _glued(name)


def _glued(text: str) -> str:
    """The letters and digits of ``text``, accents dropped, case folded: what its subwords
    (``core.terms.subwords``) glue to, since those cover every letter and digit of it."""
    if not text.isascii():
        folded = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in folded if not unicodedata.combining(c))
    return _NOT_ALNUM.sub("", text).casefold()


def _url_key(url: str) -> str:
    url = _trimmed(url).rstrip("/")
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def _issue_key(match: re.Match[str]) -> str:
    if match.group("repo"):
        return f"{match.group('repo').lower()}#{match.group('repo_number')}"
    if match.group("number"):
        return f"#{match.group('number')}"
    return f"{match.group('tracker').lower()}-{match.group('tracker_number')}"


# Each extractor with a cheap test of whether it can match at all (a substring, or a short
# pattern that the regex engine finds by scanning), which every match of the extractor holds
# within its word: most texts skip most extractors, and in the rest the extractor searches only
# the words holding a test's match (``_matches``). A test may let through a word its extractor
# then finds nothing in, never the other way round (a test checks this on real text). Each
# test starts with a literal or a set of characters (a look-behind, if any, after it), so the
# engine skips to the places worth trying instead of trying every position.
_Scan = tuple[EntityKind, re.Pattern[str], str | re.Pattern[str]]
_SCANS: tuple[_Scan, ...] = (
    (EntityKind.URL, _URL, "://"),
    (EntityKind.ISSUE, _ISSUE, re.compile(r"[#-]\d")),
    (EntityKind.MENTION, _MENTION, "@"),
    (EntityKind.TAG, _TAG, "#"),
    (EntityKind.PATH, _PATH, re.compile(rf"/|\.(?i:{_EXTENSIONS})\b")),
    (EntityKind.VERSION, _VERSION, re.compile(r"\.\d(?<=\d\.\d)")),
    (EntityKind.IDENTIFIER, _CALL, "()"),
    (EntityKind.IDENTIFIER, _DOTTED, re.compile(r"\.(?<=\w\.)[A-Za-z_]")),
    (EntityKind.IDENTIFIER, _SNAKE, "_"),
    (EntityKind.IDENTIFIER, _CAMEL, re.compile(r"[A-Z](?<=[a-z0-9][A-Z])")),
)


@functools.lru_cache(maxsize=64)
def _scans_of(kinds: frozenset[EntityKind]) -> tuple[_Scan, ...]:
    """The scans the vault's ``kinds`` run, in ``_SCANS``'s order."""
    return tuple(scan for scan in _SCANS if scan[0] in kinds)
