"""The context pack: what an agent needs to know at the start of a session, in a token budget.

One call gathers, in this order of priority: the latest handoffs of the project (where work
stopped), the user's preferences, pinned and important memories, recent decisions and lessons,
and, with a query, the best hybrid hits among memories, notes and past messages. Superseded
memories are left out, and so are the messages of sessions other agents are still running.

The budget is split by fixed quotas (``QUOTAS``: 30 % handoffs, 10 % preferences, 20 % pinned,
15 % recent, 25 % relevant). A section that needs less gives the rest to the others in priority
order, so when the budget is short the sections lose items in the reverse order: relevant hits
first, then recent decisions, pinned memories, preferences, and the handoff last (shortened
rather than dropped). Tokens are counted with the bundled tokenizer on the JSON an agent
receives. Every item carries its id and why it is there; the pack says what it left out and
why, and why it is empty when it is. It also names the entities of the current work, those its
handoffs, recent items and hits share (``pack_entities``), within the same budget. It is fenced
as data, never as instructions. No model is involved: the same vault state gives the same pack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from memvault.core import inputs
from memvault.core.entity_records import EntityKind, EntityMention
from memvault.core.errors import InvalidInputError
from memvault.core.records import (
    DEFAULT_NAMESPACE,
    WEAK_BELOW,
    Memory,
    MemoryFilter,
    MessageScope,
    SearchMode,
)
from memvault.core.session_records import Handoff, Session, SessionStatus
from memvault.embedding.tokens import compact, count_many, count_tokens, cut
from memvault.service import pack_entities
from memvault.service.pack_records import NOTICE, ContextPack, PackItem, PackSection
from memvault.service.search import Searcher
from memvault.storage.roles import Store

QUOTAS: tuple[tuple[str, float], ...] = (
    ("handoff", 0.30),
    ("preferences", 0.10),
    ("pinned", 0.20),
    ("recent", 0.15),
    ("relevant", 0.25),
)
MIN_BUDGET = inputs.MIN_TOKEN_BUDGET
MAX_BUDGET = inputs.MAX_TOKEN_BUDGET
PINNED_TAG = "pinned"
IMPORTANT = 0.8  # importance from which a memory is in the pack without being pinned
TRUSTED = 0.3  # below this confidence (refuted), a memory is not offered as a fact
_PER_SECTION = 12  # candidates per section: more than a 2,000-token pack holds
_PREFERENCES_LOOKED_AT = 100  # other users' preferences must not crowd out the user's
TRUNCATED = " …[truncated]"
HANDOFF_FLOOR = 100  # tokens a cut handoff keeps at least, room permitting
TOUCHED_LOOKED_AT = 50  # of a handoff's touched memories, for its entities
# The entities of the work get what the items leave, and from this budget on a twentieth of it
# is kept for them (below it, every token goes to the items first).
ENTITY_RESERVE_FROM = 1_000
ENTITY_SHARE = 20


class ContextPacker:
    def __init__(self, store: Store, searcher: Searcher) -> None:
        self._store = store
        self._searcher = searcher

    def pack(
        self,
        *,
        project: str | None = None,
        query: str | None = None,
        budget: int = 2_000,
        user: str | None = None,
        session_id: str | None = None,
        include_running: bool = False,
    ) -> ContextPack:
        """The pack for a session of ``project`` (``session_id``: the caller's own session,
        whose messages it has already; ``include_running``: also what other agents' running
        sessions said)."""
        project = None if project is None else inputs.namespace(project)
        query = None if query is None or not query.strip() else inputs.utf8_text(query, "query")
        if isinstance(budget, bool) or not isinstance(budget, int):
            raise InvalidBudget()
        if not MIN_BUDGET <= budget <= MAX_BUDGET:
            raise InvalidBudget()
        candidates = {
            "handoff": self._handoffs(project, session_id, include_running),
            "preferences": self._preferences(inputs.label(user, "user")),
            "pinned": self._pinned(project),
            "recent": self._recent(project),
            "relevant": []
            if query is None
            else self._relevant(query, project, session_id, include_running),
        }
        candidates = _counted(_without_repeats(candidates))
        room, reserve = _room(candidates, budget, project)
        while True:
            items, sections = _fill(candidates, room, project, query)
            empty = None if items else _empty_reason(project)
            pack = ContextPack(project, query, budget, tuple(items), tuple(sections), empty)
            over = pack.tokens + reserve - budget  # the section notes and the envelope count too
            if over <= 0 or room <= 0:
                return _naming_entities(pack)
            room -= over

    # --- candidates, best first ------------------------------------------------------------------
    def _handoffs(
        self, project: str | None, own: str | None, include_running: bool
    ) -> list[PackItem]:
        found: list[PackItem] = []
        sessions: set[str] = set()
        kinds = self._store.entity_kinds  # a handoff's text is read as a write's would be
        for session, handoff in self._store.handoffs(project=project, limit=_PER_SECTION):
            running = session.status in (SessionStatus.ACTIVE, SessionStatus.PAUSED)
            if running and session.id != own and not include_running:
                continue  # another agent's session in progress: isolated unless asked
            if session.id in sessions:
                continue  # an earlier checkpoint of a session whose latest handoff is in
            sessions.add(session.id)
            # The session's id: what to look at for more (memvault session show ID).
            text = _handoff_text(handoff)
            item = _item("handoff", session.id, "handoff", text, _handoff_why(session))
            found.append(replace(item, entities=self._handoff_entities(handoff, kinds)))
            if len(found) == 2:
                break
        return found

    def _handoff_entities(
        self, handoff: Handoff, kinds: frozenset[EntityKind]
    ) -> tuple[EntityMention, ...]:
        touched = self._store.memories_by_id(handoff.touched[:TOUCHED_LOOKED_AT])
        return pack_entities.handoff_entities(
            [handoff.done, handoff.stopped_at or "", *handoff.next_steps, *handoff.open_questions],
            [mention for memory in touched.values() for mention in memory.entities or ()],
            kinds,
        )

    def _preferences(self, user: str | None) -> list[PackItem]:
        where = MemoryFilter(kinds=("preference",), include_chunks=False)
        found: list[PackItem] = []
        for memory in self._store.list_memories(where, limit=_PREFERENCES_LOOKED_AT):
            if len(found) == _PER_SECTION:
                break
            owner = memory.metadata.get("user")
            if owner is not None and user is not None and owner != user:
                continue
            found.append(_memory_item("preferences", memory, "a preference to respect"))
        return found

    def _pinned(self, project: str | None) -> list[PackItem]:
        pinned = self._own(project, tags=(PINNED_TAG,))
        important = self._own(project, min_importance=IMPORTANT)
        chosen = {m.id: m for m in [*pinned, *important] if m.confidence >= TRUSTED}
        ordered = sorted(
            chosen.values(),
            key=lambda m: (PINNED_TAG not in m.tags, -m.importance, -m.confidence, m.id),
        )
        return [
            _memory_item(
                "pinned",
                m,
                "pinned" if PINNED_TAG in m.tags else f"importance {m.importance:.2f}",
            )
            for m in ordered
        ]

    def _recent(self, project: str | None) -> list[PackItem]:
        found = self._own(project, kinds=("decision", "lesson"))
        found = [m for m in found if m.confidence >= TRUSTED]
        found.sort(key=lambda m: (m.created_at, m.id), reverse=True)
        return [_memory_item("recent", m, f"recent {m.kind} ({m.created_at[:10]})") for m in found]

    def _relevant(
        self, query: str, project: str | None, own: str | None, include_running: bool
    ) -> list[PackItem]:
        where = MemoryFilter(messages=MessageScope.INCLUDE)
        # Weak hits are not about the query: a pack spends its budget on what is.
        hits = self._searcher.search(
            query, where, k=_PER_SECTION * 2, mode=SearchMode.HYBRID, min_relevance=WEAK_BELOW
        )
        # The project's own memories, notes and messages, and what is nobody's (``default``).
        scope = None if project is None else {project, DEFAULT_NAMESPACE}
        sessions: dict[str, Session | None] = {}
        found: list[PackItem] = []
        for hit in hits:
            memory = hit.memory
            if scope is not None and memory.namespace not in scope:
                continue
            if len(found) == _PER_SECTION:
                break
            if memory.session_id is not None:
                if memory.session_id == own:
                    continue  # the caller's own messages: it has them already
                if memory.session_id not in sessions:
                    sessions[memory.session_id] = self._store.get_session(memory.session_id)
                session = sessions[memory.session_id]
                if session is not None and session.is_open and not include_running:
                    continue
            where_from = f", in {memory.location.path}" if memory.location else ""
            if memory.session_id:
                where_from = f", said in session {memory.session_id}"
            found.append(_memory_item("relevant", memory, f"matches the query{where_from}"))
        return found

    def _own(
        self,
        project: str | None,
        *,
        kinds: tuple[str, ...] = (),
        tags: tuple[str, ...] = (),
        min_importance: float | None = None,
    ) -> list[Memory]:
        """Current memories of their own, of the project and the default namespace."""
        namespaces: Sequence[str | None] = (
            [None] if project is None else sorted({project, DEFAULT_NAMESPACE})
        )
        found: list[Memory] = []
        for namespace in namespaces:
            where = MemoryFilter(
                namespace=namespace,
                kinds=kinds,
                tags=tags,
                include_chunks=False,
                min_importance=min_importance,
            )
            found += self._store.list_memories(where, limit=_PER_SECTION)
        return found


class InvalidBudget(InvalidInputError):
    def __init__(self) -> None:
        super().__init__(
            f"budget must be a whole number of tokens from {MIN_BUDGET} to {MAX_BUDGET:,}"
        )


# --- filling the budget ------------------------------------------------------------------------
def _fill(
    candidates: dict[str, list[PackItem]], room: int, project: str | None, query: str | None
) -> tuple[list[PackItem], list[PackSection]]:
    """Three passes, each in priority order: the best item of every section (the latest
    handoff shortened if it is too long), then more items of each section within its quota,
    then whatever still fits of what was left out."""
    kept: dict[str, list[PackItem]] = {name: [] for name, _ in QUOTAS}
    used = 0

    def take(name: str, item: PackItem, limit: int) -> None:
        nonlocal used
        if item.tokens <= limit:
            kept[name].append(item)
            used += item.tokens

    heads = {name: items[0] for name, items in candidates.items() if items}
    for name, share in QUOTAS:
        if name not in heads:
            continue
        best = heads[name]
        if name == "handoff":
            # The latest handoff is cut rather than dropped: to its quota or to what the other
            # sections' best items leave, whichever is more (and never below a useful size).
            others = sum(h.tokens for n, h in heads.items() if n != name)
            limit = max(int(room * share), room - used - others, HANDOFF_FLOOR)
            if best.tokens > limit:
                best = _shortened(best, min(limit, room - used))
        take(name, best, room - used)
    for name, share in QUOTAS:
        for item in candidates[name][1:]:
            quota = int(room * share) - sum(i.tokens for i in kept[name])
            take(name, item, min(quota, room - used))
    for name, _ in QUOTAS:
        for item in candidates[name]:
            if all(k.id != item.id for k in kept[name]):
                take(name, item, room - used)
    for name, chosen in kept.items():  # each section's items in their own order
        order = [c.id for c in candidates[name]]
        chosen.sort(key=lambda i: order.index(i.id))
    return _sections(candidates, kept, project, query)


def _sections(
    candidates: dict[str, list[PackItem]],
    kept: dict[str, list[PackItem]],
    project: str | None,
    query: str | None,
) -> tuple[list[PackItem], list[PackSection]]:
    items: list[PackItem] = []
    sections = []
    for name, _ in QUOTAS:
        dropped = len(candidates[name]) - len(kept[name])
        items += kept[name]
        sections.append(
            PackSection(
                name,
                sum(i.tokens for i in kept[name]),
                len(kept[name]),
                dropped,
                _note(name, kept[name], dropped, project, query),
            )
        )
    return items, sections


def _shortened(item: PackItem, tokens: int) -> PackItem:
    """The item with its text cut (and marked) so that the whole item takes ``tokens`` at most;
    the item as it is when not even a few words would fit."""
    empty = count_tokens(compact(replace(item, text="").to_dict()))
    target = tokens - empty - count_tokens(TRUNCATED)
    while target >= 8:
        shorter = replace(item, text=cut(item.text, target) + TRUNCATED)
        shorter = replace(shorter, tokens=count_tokens(compact(shorter.to_dict())))
        if shorter.tokens <= tokens:
            return shorter
        target -= max(1, shorter.tokens - tokens)  # JSON escapes count too: cut a bit more
    return item


def _note(
    name: str, kept: list[PackItem], dropped: int, project: str | None, query: str | None
) -> str | None:
    if dropped:
        return f"{dropped} over budget"
    if kept:
        return None
    where = f" of project {project}" if project else ""
    return {
        "handoff": f"no handoff{where} yet: end a session with one (session_end)",
        "preferences": "no preferences stored (remember them with kind preference)",
        "pinned": f"nothing pinned or of importance >= {IMPORTANT}{where}",
        "recent": f"no decisions or lessons{where}",
        "relevant": "no query given" if query is None else "nothing else matched the query",
    }[name]


def _empty_reason(project: str | None) -> str:
    where = f"for project {project} " if project else ""
    return (
        f"this vault holds nothing {where}yet: the pack fills as sessions end with handoffs "
        "and decisions, lessons and preferences are remembered"
    )


def _room(
    candidates: dict[str, list[PackItem]], budget: int, project: str | None
) -> tuple[int, int]:
    """Room for the items, and the reserve for naming the entities of the work: the budget less
    the envelope with the longest notes it can have (so that one pass usually fits; a second
    one trims what the estimate missed), less the reserve."""
    notes = {name: f"{_PER_SECTION} over budget" for name, _ in QUOTAS}
    envelope = count_tokens(compact({"notice": NOTICE, "project": project, **notes}))
    reserve = 0
    if budget >= ENTITY_RESERVE_FROM:
        offered = [(i.section, i.entities) for items in candidates.values() for i in items]
        reserve = min(budget // ENTITY_SHARE, pack_entities.naming_tokens(offered))
    return budget - envelope - reserve, reserve


def _naming_entities(pack: ContextPack) -> ContextPack:
    """The pack with the entities its items share, as many of the best as the budget holds
    (what the items leave: never an item for an entity)."""
    named = pack_entities.named_entities([(i.section, i.entities) for i in pack.items])
    for count in range(len(named), 0, -1):
        naming = replace(pack, entities=named[:count])
        if naming.tokens <= pack.budget:
            return naming
    return pack


def _without_repeats(candidates: dict[str, list[PackItem]]) -> dict[str, list[PackItem]]:
    """An item is offered once, in the first section (by priority) that has it."""
    seen: set[str] = set()
    kept: dict[str, list[PackItem]] = {}
    for name, _ in QUOTAS:
        kept[name] = [i for i in candidates[name] if i.id not in seen]
        seen.update(i.id for i in kept[name])
    return kept


# --- items -------------------------------------------------------------------------------------
def _item(section: str, item_id: str, kind: str, text: str, why: str) -> PackItem:
    """An item whose tokens are not counted yet (see :func:`_counted`)."""
    return PackItem(section, item_id, kind, text, why, 0)


def _counted(candidates: dict[str, list[PackItem]]) -> dict[str, list[PackItem]]:
    """The candidates with their tokens, counted in one batch."""
    flat = [item for items in candidates.values() for item in items]
    tokens = iter(count_many([compact(item.to_dict()) for item in flat]))
    return {
        name: [replace(item, tokens=next(tokens)) for item in items]
        for name, items in candidates.items()
    }


def _memory_item(section: str, memory: Memory, why: str) -> PackItem:
    item = _item(section, memory.id, memory.kind, memory.content, why)
    return replace(item, entities=memory.entities or ())


def _handoff_text(handoff: Handoff) -> str:
    parts = [f"Done: {handoff.done}"]
    if handoff.stopped_at:
        parts.append(f"Stopped at: {handoff.stopped_at}")
    if handoff.next_steps:
        parts.append("Next: " + "; ".join(handoff.next_steps))
    if handoff.open_questions:
        parts.append("Open: " + "; ".join(handoff.open_questions))
    if handoff.touched:
        parts.append("Touched: " + ", ".join(handoff.touched))
    return "\n".join(parts)


def _handoff_why(session: Session) -> str:
    who = f"{session.agent}, " if session.agent else ""
    return f"latest handoff ({who}{session.status.value} {session.last_active_at[:10]})"
