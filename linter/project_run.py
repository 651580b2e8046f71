"""A project run: the files given, grown to their packages, each module checked after the
project modules it imports, with their summaries (engine.md, "The project index").

The order comes from a byte-level scan of each file's imports (`project.scan_imports`): the
modules form a graph whose strongly connected components are checked dependencies first. A
module is parsed only when it can matter: it imports an HTTP or retry library (the pre-filter),
it binds a method name (`POST = "POST"`), or a module it imports offers something (a wrapper, a
client, a constant). The modules of one import cycle are first checked in an order of their
imports (`_first_round_order`), each with the summaries of the peers checked before it, then
those whose questions to the other modules get another answer once more with all of them: the
order comes from the imports alone, not from when the workers finish, so `--jobs` never
changes the result.

With the cache, a module whose content and whose imports' summaries are unchanged is not read
again: its findings and its summary come from the cache, so a pre-commit run on five files
still sees the summaries of the whole project.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from collections import Counter
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from methodlint.analysis.summary import ModuleSummary
from methodlint.cache import Cache, Entry
from methodlint.diagnostics import Diagnostic
from methodlint.engine import EngineSettings, FileLinter
from methodlint.line_start import AtLineStart
from methodlint.notebook import is_notebook
from methodlint.project import ProjectFile, components, discover, scan_imports
from methodlint.project_screen import imported_words, reexports
from methodlint.regular_files import read_regular
from methodlint.runner import _Dispatcher, _Profile
from methodlint.worker import Job, Outcome

if TYPE_CHECKING:
    from methodlint.analysis.foreign import ProjectView

# A module-level or class-level binding of a method name, a constant other modules may use:
# `POST = "POST"` at the start of a line or one indentation level in, alone on its line (a
# keyword argument `method="POST",` of a call is none).
_CONSTANT = AtLineStart(
    rb"(?:    |\t)?[A-Za-z_]\w*[ \t]*(?::[^=\n]*)?=[ \t]*"
    rb"[\"'](?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)[\"'][ \t]*(?:#[^\n]*)?\r?$",
    re.MULTILINE | re.IGNORECASE,
)
_FILE_CODES = frozenset({"ML001", "ML002", "ML003"})
# Rounds after the first for the modules of an import cycle: a wrapper chain of that many
# modules inside one cycle is followed end to end.
_CYCLE_ROUNDS = 3


@dataclass
class _Cycle:
    """The modules of one import cycle, and the round they are in."""

    members: list[int]
    pending: int = 0  # members of the current round not done
    round: int = 0
    changed: set[int] = field(default_factory=set)
    # The members' module names, and those two members share: one set for the whole cycle
    # (a set per member would be quadratic: kubernetes' models make cycles of 1,400).
    modules: frozenset[str] = frozenset()
    twice: frozenset[str] = frozenset()
    # The first round: each member waits for the peers it imports that come before it in
    # an order of the cycle (`_first_round_order`), and sees their summaries.
    first: bool = True


@dataclass(frozen=True)
class _Modules:
    """The module names of an import cycle, less one member's own (its peers), or all."""

    names: frozenset[str]
    less: str | None = None
    known: frozenset[str] = frozenset()  # peers whose summaries the member sees already

    def __contains__(self, module: object) -> bool:
        return module != self.less and module in self.names and module not in self.known


_NO_MODULES = _Modules(frozenset())


@dataclass(slots=True)  # ten thousand of them in a large project: no dict each
class _Node:
    file: ProjectFile
    display: str
    given: bool
    stat: os.stat_result | None = None
    entry: Entry | None = None  # the cache's entry for the file, if any
    fresh: bool = False  # its size and modification time are the entry's
    scan: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    indented: frozenset[int] = frozenset()  # the imports of `scan` written indented
    reason: str = ""  # why it is parsed by its own bytes: "http", "constant", or ""
    # A module parsed for its own bytes ("http") whose bytes use nothing its imports offer:
    # importing them is no reason for the worker's screen to parse it (`_decide`).
    imports_used: bool = True
    deps: list[int] = field(default_factory=list)  # nodes of other components it imports
    # The nodes of its import cycle, itself among them: one list the whole cycle shares (a
    # list of the others for each would be quadratic: stripe's resources make a cycle of
    # 1,451 modules); empty outside a cycle.
    peers: list[int] = field(default_factory=list)
    # The peers it imports that are checked before it in the first round of its cycle, and
    # the peers that import it and wait for it there.
    before: list[int] = field(default_factory=list)
    followers: list[int] = field(default_factory=list)
    imports: set[int] = field(default_factory=set)  # every node it imports
    eager: set[int] = field(default_factory=set)  # those it imports unindented (in a cycle)
    dependents: list[int] = field(default_factory=list)
    waiting: int = 0
    _summary: ModuleSummary | None = None
    _summary_json: str | None = None  # a cached summary, parsed when it is first needed
    ran: bool = False
    outcome: Outcome | None = None

    relevant: bool = False  # its summary offers something (see `_Schedule.offers`)
    # The modules its summary points at (`referenced_modules`), for the summary they are of.
    _references: tuple[ModuleSummary, set[str]] | None = None
    cycle: int = -1  # its import cycle, if it is in one
    rounds: int = 0  # the rounds of its cycle it was checked again in
    next_summary: ModuleSummary | None = None
    # A member of an import cycle checked in this run: the summaries its last check was given,
    # and the questions its analysis asked of them (`ProjectView.questions`).
    sent: dict[str, ModuleSummary] | None = None
    questions: frozenset[tuple[Hashable, ...]] | None = None

    @property
    def fresh_outcome(self) -> bool:
        """Its outcome came from the cache: its whole cycle is unchanged."""
        return self.outcome is not None and self.outcome.unchanged and not self.ran

    _digest: str | None = None

    @property
    def summary(self) -> ModuleSummary | None:
        if self._summary is None and self._summary_json is not None:
            self._summary = ModuleSummary.from_json(self._summary_json)
        return self._summary

    @summary.setter
    def summary(self, value: ModuleSummary | None) -> None:
        self._summary, self._summary_json = value, None

    @property
    def digest(self) -> str:
        if not self.relevant:
            return ""
        if self._digest is None:
            summary = self.summary
            if summary is None or summary.empty:
                return ""
            self._digest = summary.digest()
        return self._digest


class _Schedule:
    """Releases each module once the modules it imports are done (`runner.Schedule`)."""

    def __init__(
        self, nodes: list[_Node], models: Mapping[str, ModuleSummary] | None = None
    ) -> None:
        self.nodes = nodes
        # Summaries of modelled modules outside the project (`analysis.models`).
        self.models = models or {}
        self.by_module = {n.file.module: n for n in nodes if n.file.module is not None}
        self._cycle = _NO_MODULES
        self.cycles: list[_Cycle] = []
        self.index_of = {id(node): index for index, node in enumerate(nodes)}
        for node in nodes:
            if node.peers and node.cycle < 0:
                cycle = _Cycle(list(node.peers))
                cycle.pending = len(cycle.members)
                names = [m for i in cycle.members if (m := nodes[i].file.module) is not None]
                cycle.modules = frozenset(names)
                cycle.twice = frozenset(m for m, n in Counter(names).items() if n > 1)
                for member in cycle.members:
                    nodes[member].cycle = len(self.cycles)
                self.cycles.append(cycle)
                _first_round_order(nodes, cycle.members)
        # The peers each member of a cycle has seen in the first round, transitively.
        self._ancestors: dict[int, frozenset[int]] = {}

    def _seen(self, node: _Node, with_peers: bool = False) -> dict[str, _Node]:
        """The modules whose summaries a module is checked with: those it imports (and its
        import cycle's, in a later round), and what their summaries point at in other
        modules (a re-exported wrapper, an inherited method), transitively."""
        seen: dict[str, _Node] = {}
        pending: list[str] = []
        own = self.index_of[id(node)]
        peers = [i for i in node.peers if i != own] if with_peers else []
        # In the first round of its cycle, the peers checked before it, and only those.
        seen_first: frozenset[int] | None = None
        if not with_peers and node.cycle >= 0 and self.cycles[node.cycle].first:
            peers = node.before
            seen_first = self._ancestors_of(own)
        for other in (self.nodes[i] for i in node.deps + peers):
            if other.file.module is not None:
                seen[other.file.module] = other
                if other.digest:
                    pending.extend(self._references(other))
        while pending:
            module = pending.pop()
            found = self.by_module.get(module)
            if module in seen or found is None or found is node:
                continue
            if (
                seen_first is not None
                and found.cycle == node.cycle
                and self.index_of[id(found)] not in seen_first
            ):
                continue
            seen[module] = found
            if found.digest:
                pending.extend(self._references(found))
        return seen

    def _dependency_digests(self, node: _Node) -> dict[str, str]:
        """What a module's result depends on: the summaries of the modules it imports,
        and of those its analysis looked at (a re-exported wrapper's own module)."""
        found = {}
        for index in node.deps:
            other = self.nodes[index]
            if other.file.module is not None:
                found[other.file.module] = other.digest
        used = node.outcome.used if node.outcome is not None else frozenset()
        for module in sorted(used - found.keys()):
            seen = self.by_module.get(module)
            if seen is None or seen is node:
                continue
            # Its import cycle's members count through the cycle's freshness.
            if node.cycle < 0 or seen.cycle != node.cycle:
                found[module] = seen.digest
        return found

    def _dependencies_unchanged(self, node: _Node, stored: object) -> bool:
        """The summaries a cached result was computed with are those of now: every module
        it recorded (`_dependency_digests`) has the same digest, and it records every module
        it imports."""
        if not isinstance(stored, dict):
            return False
        for index in node.deps:
            module = self.nodes[index].file.module
            if module is not None and module not in stored:
                return False
        for module, digest in stored.items():
            other = self.by_module.get(module)
            if other is None or other.digest != digest:
                return False
        return True

    def _cached(self, node: _Node) -> Outcome | None:
        """The cached outcome of a module, when nothing it was checked with has changed."""
        entry = node.entry
        if not node.fresh or entry is None or entry.project is None:
            return None
        if not self._dependencies_unchanged(node, entry.project.get("deps")):
            return None
        # A member of an import cycle keeps its cached result too: it was checked with its
        # peers' final summaries, and `_cycle_done` checks it again if one of them changes.
        summary = entry.project.get("summary")
        digest = entry.project.get("digest")
        if summary and digest and "relevant" in entry.project:
            # As computed when it was stored: nothing it was computed from has changed.
            node.summary = None
            node._summary_json = summary
            node._digest = digest
            node.relevant = bool(entry.project["relevant"])
        else:
            self.keep(node, ModuleSummary.from_json(summary) if summary else None)
        return Outcome(entry.diagnostics, unchanged=True)

    def _peer_modules(self, node: _Node) -> _Modules:
        """The module names of the other members of its import cycle."""
        if node.cycle < 0:
            return _NO_MODULES
        cycle = self.cycles[node.cycle]
        own = node.file.module
        # A name another member shares stays in (as a set of the peers' names has it).
        return _Modules(cycle.modules, None if own in cycle.twice else own)

    def _unknown_peers(self, node: _Node) -> _Modules:
        """The module names of the members of its import cycle whose summaries it does not
        see: in the first round, those not checked before it (`_ancestors`); after, all."""
        peers = self._peer_modules(node)
        if node.cycle < 0 or not self.cycles[node.cycle].first:
            return peers
        cycle = self.cycles[node.cycle]
        index = self.index_of[id(node)]
        known = frozenset(
            module
            for i in self._ancestors_of(index)
            if (module := self.nodes[i].file.module) is not None and module not in cycle.twice
        )
        return replace(peers, known=known) if known else peers

    def _ancestors_of(self, index: int) -> frozenset[int]:
        """The peers a member of an import cycle sees in the first round: those it imports
        that come before it, and what they saw, transitively. Fixed by the order alone, not
        by when the workers finish, so that the result never depends on `--jobs`."""
        found = self._ancestors.get(index)
        if found is not None:
            return found
        stack = [index]
        while stack:
            top = stack[-1]
            missing = [i for i in self.nodes[top].before if i not in self._ancestors]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            if top in self._ancestors:
                continue
            seen: set[int] = set()
            for i in self.nodes[top].before:
                seen.add(i)
                seen |= self._ancestors[i]
            self._ancestors[top] = frozenset(seen)
        return self._ancestors[index]

    def _references(self, node: _Node) -> set[str]:
        """`referenced_modules` of a module's summary (which has a digest)."""
        summary = node.summary
        assert summary is not None
        cached = node._references
        if cached is None or cached[0] is not summary:
            cached = node._references = (summary, referenced_modules(summary))
        return cached[1]

    def keep(self, node: _Node, summary: ModuleSummary | None) -> None:
        node.summary = summary
        node._digest = None
        # Its own module is known (the summary just kept); its peers' summaries are not
        # until its import cycle is done (but for those checked before it in the first round),
        # so what they offer counts (`_cycle_done` then decides again with all of them).
        self._cycle = self._unknown_peers(node)
        node.relevant = summary is not None and self.offers(summary, {summary.module})

    def _imports_offer(self, node: _Node) -> bool:
        """What the module imports from other project modules offers it something: a name it
        imports is a wrapper, a client, a constant, a decorator, or a class with one. What
        the peers of its import cycle offer counts only for those checked before it in the
        first round (`_unknown_peers`); the others' is known after the round (`_again`)."""
        self._cycle = self._unknown_peers(node)
        for module, names in node.scan:
            if module in self._cycle:
                continue  # what the cycle offers is only known after it: not a reason
            if not names or "*" in names:
                target = self.by_module.get(module)
                if target is not None and target.digest:
                    return True
                continue
            for name in names:
                if f"{module}.{name}" in self._cycle:
                    continue
                submodule = self.by_module.get(f"{module}.{name}")
                if submodule is not None:
                    if submodule.digest:
                        return True
                    continue
                target = self.by_module.get(module)
                if target is None or not target.digest:
                    continue
                assert target.summary is not None
                if self._name_offers(target.summary, name):
                    return True
        return False

    def _outside_cycle(self, node: _Node) -> list[tuple[str, tuple[str, ...]]]:
        return [(m, names) for m, names in node.scan if m not in self._cycle]

    def _offering(self, module: str) -> ModuleSummary | None:
        """The summary of a project module that offers something, None otherwise. None too
        for a peer whose summary is not known yet (`_cycle`): one that finished first is
        not seen either, so that what a module is decided by never depends on `--jobs`."""
        found = self.by_module.get(module)
        if found is None or not found.digest or module in self._cycle:
            return None
        return found.summary

    def _uses_offers(self, node: _Node) -> bool:
        """The module's bytes use what its imports offer (`project_screen`): a call of a
        wrapper, a client used, a subclass. Called after `_imports_offer` (its cycle)."""
        words = imported_words(
            self._outside_cycle(node), self._offering, self._summary_of, self.by_module
        )
        if words.unknown:
            return True
        try:
            data = read_regular(node.file.path)
        except OSError:
            return True  # the worker says why it cannot be read (or that it is no file)
        return words.found_in(data)

    def _reexports(self, node: _Node, peers: bool = False) -> ModuleSummary | None:
        """The summary of a module that is not parsed: what it imports from modules outside
        its import cycle (with `peers`, from its peers too, once they are known). A peer
        bound as a module (`from pkg import sub` among modules that import each other) is
        left out: what it offers reaches the importers through the peer itself."""
        if node.file.module is None:
            return None
        peer_modules = self._peer_modules(node)
        if peers:
            self._cycle = _NO_MODULES
            imports = node.scan
        else:
            self._cycle = self._unknown_peers(node)
            imports = self._outside_cycle(node)
        summary = reexports(
            node.file.module,
            imports,
            self._offering,
            lambda module: self._offering(module) is not None,
        )
        if summary is None:
            return None
        names = {
            name: shape
            for name, shape in summary.names.items()
            if shape[0] != "module" or shape[1] not in peer_modules
        }
        return ModuleSummary(summary.module, names) if names else None

    def _name_offers(self, summary: ModuleSummary, name: str) -> bool:
        if name in summary.functions:
            return True
        if name in summary.classes:
            return self._class_offers(summary.module, name, set())
        if name in summary.names:
            return self._shape_offers(summary.names[name], set())
        return False

    def offers(self, summary: ModuleSummary, seen: set[str]) -> bool:
        """A summary offers something to the modules that import it: a wrapper, a client, a
        method constant, a retry decorator, a class with any of these or with an attribute
        holding one. A reference to a module not analysed yet (of an unfinished import
        cycle) counts, so that the result cannot depend on the order modules finish in."""
        if summary.functions:
            return True
        pairs: set[tuple[str, str]] = set()
        return any(
            self._class_offers(summary.module, name, pairs, summary) for name in summary.classes
        ) or any(self._shape_offers(shape, pairs) for shape in summary.names.values())

    def _class_offers(
        self,
        module: str,
        name: str,
        seen: set[tuple[str, str]],
        summary: ModuleSummary | None = None,
    ) -> bool:
        if (module, name) in seen:
            return False
        seen.add((module, name))
        summary = summary or self._summary_of(module)
        if summary is None:
            return True  # not known yet
        cls = summary.classes.get(name)
        if cls is None:
            return False
        if cls.methods or cls.client or cls.constants or cls.retry:
            return True
        return any(self._shape_offers(shape, seen) for shape in cls.attributes.values())

    def _shape_offers(self, shape: tuple[str, ...], seen: set[tuple[str, str]]) -> bool:
        kind = shape[0]
        if kind in ("client", "text", "decorator", "function"):
            return True
        if kind in ("instance", "class"):
            return self._class_offers(shape[1], shape[2], seen)
        if kind == "module":
            summary = self._summary_of(shape[1])
            return summary is None or bool(summary.functions or summary.classes or summary.names)
        return False

    def _summary_of(self, module: str) -> ModuleSummary | None:
        """A module's summary; None when it is not analysed yet. A module outside the
        project, or one that offers nothing, has an empty one."""
        if module in self._cycle:
            return None  # of the import cycle being checked: taken as offering
        node = self.by_module.get(module)
        if node is None:
            return self.models.get(module) or ModuleSummary(module)
        if node.summary is None and node.outcome is None:
            return None
        return node.summary or ModuleSummary(module)

    def _decide(self, index: int) -> tuple[int, Outcome | None]:
        node = self.nodes[index]
        cached = self._cached(node)
        if cached is not None:
            return index, cached
        if node.reason == "http" and not node.peers:
            # Its imports are done (not of its import cycle): whether its bytes use what
            # they offer is known, as for a module without a reason of its own.
            node.imports_used = self._imports_offer(node) and self._uses_offers(node)
        offered = node.reason or (self._imports_offer(node) and self._uses_offers(node))
        if not offered:
            # Nothing to look for: not parsed. What it imports it re-exports.
            self.keep(node, self._reexports(node))
            return index, Outcome([])
        node.ran = True
        return index, None

    def initial(self) -> list[tuple[int, Outcome | None]]:
        return [self._decide(i) for i, node in enumerate(self.nodes) if not node.waiting]

    def done(self, index: int, outcome: Outcome) -> list[tuple[int, Outcome | None]]:
        node = self.nodes[index]
        node.outcome = outcome
        node.questions = outcome.questions
        if node.rounds:
            # Another round of an import cycle: checked with the summaries of the round
            # before; the new summaries are taken once the whole round is done.
            node.next_summary = outcome.summary
        elif node.ran:
            if outcome.unchanged and node.entry is not None and node.entry.project is not None:
                summary = node.entry.project.get("summary")
                self.keep(node, ModuleSummary.from_json(summary) if summary else None)
                node._digest = entry_digest(node.entry)
            elif outcome.screened and not node.imports_used:
                # Not parsed: what it imports it re-exports, as a module without a reason.
                self.keep(node, self._reexports(node))
            else:
                self.keep(node, outcome.summary)
        if not node.peers:
            return self._release(node)
        cycle = self.cycles[node.cycle]
        released = self._release(node, node.followers) if cycle.first else []
        cycle.pending -= 1
        if cycle.pending:
            return released
        return released + self._cycle_done(cycle)

    def _cycle_done(self, cycle: _Cycle) -> list[tuple[int, Outcome | None]]:
        """A round of an import cycle is done: another round for the members that import a
        member whose summary changed, or the cycle is done and its dependents may go."""
        if cycle.first:
            cycle.first = False
            for index in cycle.members:
                self._ancestors.pop(index, None)
        changed = set(cycle.changed)
        # Members whose cached result was checked with another summary than a peer has now.
        really = set(changed)
        if cycle.round == 0:  # the first round: every summary is news to the others
            changed = {i for i in cycle.members if self.nodes[i].digest}
            really = {
                i
                for i in cycle.members
                if not self.nodes[i].fresh_outcome
                and self.nodes[i].digest != _stored_digest(self.nodes[i])
            }
        for index in cycle.members:
            node = self.nodes[index]
            if node.rounds and node.next_summary != node.summary:
                self.keep(node, node.next_summary)
                changed.add(index)
                really.add(index)
        for index in self._reexported(cycle):
            changed.add(index)
            really.add(index)
        again = [i for i in cycle.members if self._again(self.nodes[i], changed, really)]
        if again and cycle.round < _CYCLE_ROUNDS:
            cycle.round += 1
            cycle.pending = len(again)
            cycle.changed = set()
            for index in again:
                self.nodes[index].rounds += 1
                self.nodes[index].ran = True
            return [(index, None) for index in again]
        # The cycle is done: whether each member offers something is now known, not assumed
        # (a cycle wholly from the cache keeps what was stored, decided so the last time).
        if any(self.nodes[i].ran for i in cycle.members):
            self._cycle = _NO_MODULES
            for index in cycle.members:
                node = self.nodes[index]
                summary = node.summary
                node.relevant = summary is not None and self.offers(summary, {summary.module})
                node._digest = None
        released: list[tuple[int, Outcome | None]] = []
        for index in cycle.members:
            node = self.nodes[index]
            node.sent = node.questions = None
            released.extend(self._release(node))
        return released

    def _again(self, node: _Node, changed: set[int], really: set[int]) -> bool:
        """A member of a cycle is checked once more: it imports a member whose summary is
        news to it and offers it something, and, if it was not parsed, its bytes use that
        (`project_screen`, as for what is imported from outside the cycle). A result from
        the cache is checked again when a member it imports has another summary than it
        had then (`really`), whether or not that one still offers something."""
        if node.fresh_outcome:
            return bool(node.imports & really)
        if not (node.imports & changed) or not self._peers_offer(node, changed):
            return False
        if self._unparsed(node):
            return self._uses_peer_offers(node, changed)
        return self._answers_differ(node)

    def _answers_differ(self, node: _Node) -> bool:
        """A question its last check asked of the other modules has another answer with the
        summaries it would be checked with now: only then can another check differ (the
        analysis sees nothing else of them). True when its questions are not known."""
        if node.questions is None or node.sent is None:
            return True
        before = self._view(node, node.sent)
        now = self._view(node, self._index(node, with_peers=True))
        return any(before.answer(q) != now.answer(q) for q in node.questions)

    def _view(self, node: _Node, index: dict[str, ModuleSummary]) -> ProjectView:
        from methodlint.analysis.foreign import ProjectView

        view = ProjectView(index, node.file.module, node.file.is_package, node.imports_used)
        if self.models:
            view.add(self.models)
        return view

    @staticmethod
    def _unparsed(node: _Node) -> bool:
        """A module of this run that was not parsed: nothing of its own to look for, and
        nothing it imports from outside its cycle used (its summary is what it re-exports)."""
        return not node.reason and not node.ran and not node.fresh_outcome

    def _uses_peer_offers(self, node: _Node, changed: set[int]) -> bool:
        """The module's bytes use what it imports from the changed members of its cycle."""
        self._cycle = _NO_MODULES
        modules = {self.nodes[i].file.module for i in changed}

        def offering(module: str) -> ModuleSummary | None:
            return self._offering(module) if module in modules else None

        words = imported_words(node.scan, offering, self._summary_of, self.by_module)
        if words.unknown:
            return True
        try:
            data = read_regular(node.file.path)
        except OSError:
            return True
        return words.found_in(data)

    def _reexported(self, cycle: _Cycle) -> set[int]:
        """The members not parsed take what they import from their peers too, as they
        re-export it: those whose summary changed so (repeated while one does, for a name
        re-exported through several members)."""
        changed: set[int] = set()
        unparsed = [i for i in cycle.members if self._unparsed(self.nodes[i])]
        for _ in range(len(unparsed)):
            news = False
            for index in unparsed:
                node = self.nodes[index]
                summary = self._reexports(node, peers=True)
                if summary != node.summary:
                    self.keep(node, summary)
                    changed.add(index)
                    news = True
            if not news:
                break
        return changed

    def _peers_offer(self, node: _Node, changed: set[int]) -> bool:
        """What the module imports from the changed modules of its cycle offers something."""
        self._cycle = _NO_MODULES
        for module, names in node.scan:
            for name in names or ("",):
                target = self.by_module.get(f"{module}.{name}") if name else None
                if target is not None:
                    name = ""
                else:
                    target = self.by_module.get(module)
                index = self.index_of.get(id(target)) if target is not None else None
                if target is None or index not in changed or not target.digest:
                    continue
                assert target.summary is not None
                if not name or name == "*" or self._name_offers(target.summary, name):
                    return True
        return False

    def _release(
        self, node: _Node, waiting: list[int] | None = None
    ) -> list[tuple[int, Outcome | None]]:
        """The modules that wait for it (its dependents, or `waiting`: the members of its
        cycle that wait for it in the first round) whose wait is over."""
        released = []
        for dependent in node.dependents if waiting is None else waiting:
            other = self.nodes[dependent]
            other.waiting -= 1
            if not other.waiting:
                released.append(self._decide(dependent))
        return released

    def _index(self, node: _Node, with_peers: bool) -> dict[str, ModuleSummary]:
        """The summaries a module is checked with (`_seen`, those that offer something)."""
        summaries: dict[str, ModuleSummary] = {}
        for module, other in self._seen(node, with_peers).items():
            if other.digest:
                assert other.summary is not None
                summaries[module] = other.summary
        return summaries

    def job(self, index: int) -> Job:
        node = self.nodes[index]
        with_peers = bool(node.rounds)
        summaries = self._index(node, with_peers)
        # A member of an import cycle may be checked again after this round: what it asks of
        # these summaries says whether that would change anything (`_answers_differ`).
        record = bool(node.peers)
        node.sent = summaries if record else None
        digest = None
        entry = node.entry
        if (
            entry is not None
            and entry.project is not None
            and not with_peers
            and self._dependencies_unchanged(node, entry.project.get("deps"))
        ):
            digest = entry.digest  # unchanged content: the cached result stands
        return Job(
            node.file.path,
            node.display,
            digest,
            module=node.file.module,
            package=node.file.is_package,
            index=summaries,
            imports_used=node.imports_used,
            record=record,
        )


def _first_round_order(nodes: list[_Node], members: list[int]) -> None:
    """An order of an import cycle's members for its first round, the modules a member
    imports before it where the cycle allows: a depth-first search's post-order over the
    unindented imports inside the cycle, from the lowest member on. Python itself runs a
    module's unindented imports first; an import in a function or under `if TYPE_CHECKING:`
    is how code breaks a cycle, so that import is the one left to the next round. Each member
    waits for the peers it imports that come before it (`_Node.before`) and is checked with
    their summaries, so that fewer members need another round. An import of a peer that
    comes after it closes the cycle: that peer's summary comes in the next round."""
    inside = set(members)
    position: dict[int, int] = {}
    started: set[int] = set()
    for root in members:
        if root in started:
            continue
        started.add(root)
        work = [(root, sorted(nodes[root].eager & inside, reverse=True))]
        while work:
            top, pending = work[-1]
            if pending:
                child = pending.pop()
                if child not in started:
                    started.add(child)
                    work.append((child, sorted(nodes[child].eager & inside, reverse=True)))
                continue
            work.pop()
            position[top] = len(position)
    for index in members:
        node = nodes[index]
        node.before = sorted(i for i in node.imports & inside if position[i] < position[index])
        node.waiting += len(node.before)
        for imported in node.before:
            nodes[imported].followers.append(index)


def _stored_digest(node: _Node) -> str | None:
    """The digest a module's summary had when its result was cached (`_Node.digest`: empty
    when it offers nothing); None when nothing is cached."""
    entry = node.entry
    if entry is None or entry.project is None:
        return None
    if not entry.project.get("relevant"):
        return ""
    return entry_digest(entry) or ""


def entry_digest(entry: Entry) -> str | None:
    """The digest of the summary a cache entry holds, as computed when it was stored."""
    return entry.project.get("digest") if entry.project is not None else None


def referenced_modules(summary: ModuleSummary) -> set[str]:
    """The other modules a summary's entries point at."""
    found = {module for cls in summary.classes.values() for module, _ in cls.methods.values()}
    shapes = [*summary.names.values()]
    shapes += [v for cls in summary.classes.values() for v in cls.attributes.values()]
    found |= {shape[1] for shape in shapes if shape[0] in ("instance", "class", "function")}
    found |= {shape[1] for shape in shapes if shape[0] == "module"}
    found.discard(summary.module)
    return found


def run_project(
    displays: Sequence[tuple[str, str]],
    settings: EngineSettings,
    linter: FileLinter,
    store: Cache | None,
    workers: int,
    profile: _Profile | None = None,
) -> list[list[Diagnostic]]:
    """The diagnostics of the given files (path, display), in their order, checked as part
    of their project."""
    project = discover([path for path, _ in displays], settings.src)
    # The cache knows a file by one name, whether it was given or found by growing the
    # project (a pre-commit run on five files after a run over the whole project).
    shown = {os.path.abspath(path): display for path, display in displays}
    nodes = []
    for index, file in enumerate(project.files):
        absolute = os.path.abspath(file.path)
        display = shown.get(absolute, file.path)
        nodes.append(_Node(replace(file, path=absolute), display, index < project.given))
    _read_all(nodes, linter, store, workers)
    _link(nodes, project.modules)
    schedule = _Schedule(nodes, linter.models)
    jobs = [Job(n.file.path, n.display) for n in nodes]
    dispatcher = _Dispatcher(jobs, settings, workers, store is not None, linter, schedule)
    dispatcher.run()
    if profile:
        profile.lap("checking")
        profile.add(n.outcome for n in nodes if n.ran and n.outcome is not None)
        profile.workers, profile.prestarted = dispatcher.started, dispatcher.prestarted
        profile.checked_again = sum(n.rounds for n in nodes)
    if store is not None:
        for node in nodes:
            _remember(node, store, schedule)
    found: list[list[Diagnostic]] = []
    for node in nodes[: project.given]:
        outcome = node.outcome
        diagnostics = list(outcome.diagnostics) if outcome is not None else []
        if outcome is not None and outcome.unchanged and node.entry is not None:
            diagnostics = list(node.entry.diagnostics)
        if node.reason == "constant" and not any(nodes[d].digest for d in node.deps):
            diagnostics = [d for d in diagnostics if d.code not in _FILE_CODES]
        found.append([replace(d, path=node.display) for d in diagnostics])
    return found


def _read_all(nodes: list[_Node], linter: FileLinter, store: Cache | None, workers: int) -> None:
    """The imports and the reason to parse of every module (`_read`): the files the cache
    does not know are read and scanned by `workers` processes when there are many (a large
    project's scan would otherwise keep the workers waiting)."""
    unread = [node for node in nodes if _stat(node, linter, store)]
    items = [(n.file.path, n.file.module, n.file.is_package, n.given) for n in unread]
    scanned: list[_Scanned] | None = None
    if workers > 1 and len(items) >= _PARALLEL_SCAN:
        scanned = _scan_in_processes(items, linter, workers)
    if scanned is None:
        scanned = [_scanned(item, linter) for item in items]
    for node, (scan, reason, indented) in zip(unread, scanned, strict=True):
        node.scan, node.reason, node.indented = scan, reason, indented


# Files to scan from which the scan runs in worker processes.
_PARALLEL_SCAN = 500
_SCANNING: FileLinter | None = None  # the linter of the scanning processes (forked)


def _scan_in_processes(
    items: list[tuple[str, str | None, bool, bool]], linter: FileLinter, workers: int
) -> list[_Scanned] | None:
    """`_scanned` of each item in forked processes; None where they cannot run, or when one
    of them dies (killed, out of memory): the main process scans instead, and never waits
    for a scan that will not come."""
    import multiprocessing
    from concurrent.futures import BrokenExecutor, ProcessPoolExecutor

    global _SCANNING
    if "fork" not in multiprocessing.get_all_start_methods() or sys.platform == "darwin":
        return None
    _SCANNING = linter
    executor = None
    try:
        executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_quiet
        )
        chunk = max(1, len(items) // (8 * workers))
        return list(executor.map(_scan_item, items, chunksize=chunk))
    except (OSError, BrokenExecutor):
        return None  # scanned here instead
    finally:
        _SCANNING = None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


def _quiet() -> None:
    """A scanning process leaves an interruption to the main process, which ends the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _scan_item(item: tuple[str, str | None, bool, bool]) -> _Scanned:
    assert _SCANNING is not None
    return _scanned(item, _SCANNING)


def _stat(node: _Node, linter: FileLinter, store: Cache | None) -> bool:
    """Whether the file must be read for its imports: not when the cache knows it unchanged,
    nor when the worker is to say what it is (unreadable, a notebook, over max-file-size)."""
    path = node.file.path
    try:
        node.stat = os.stat(path)
    except OSError:
        node.reason = "http" if node.given else ""  # the worker says why it cannot be read
        return False
    if store is not None:
        node.entry = store.get(path)
        fresh = store.fresh(path, node.stat)
        if fresh is not None and fresh.project is not None:
            node.fresh = True
            node.scan = [(m, tuple(n)) for m, n in fresh.project.get("scan", [])]
            node.indented = frozenset(fresh.project.get("indented", ()))
            node.reason = str(fresh.project.get("reason", ""))
            return False
    if is_notebook(path):
        node.reason = "http" if node.given else ""  # no module: checked alone by the worker
        return False
    if node.stat.st_size > linter.settings.max_file_size:
        node.reason = "http"  # screened piece by piece by the worker
        return False
    return True


# A module's imports, why it is parsed by its own bytes, and which imports are indented.
_Scanned = tuple[list[tuple[str, tuple[str, ...]]], str, frozenset[int]]


def _scanned(item: tuple[str, str | None, bool, bool], linter: FileLinter) -> _Scanned:
    """A module's imports of other modules (those written indented apart), and why it is
    parsed by its own bytes: "http" (the pre-filter), "constant" (it binds a method name) or
    ""."""
    path, module, is_package, given = item
    try:
        data = read_regular(path)
    except OSError:
        return [], "http" if given else "", frozenset()
    indented: set[int] = set()
    scan = scan_imports(data, module, is_package, indented)
    reason = ""
    if linter.prefilter(data):
        reason = "http"
    elif _CONSTANT.found(data):
        reason = "constant"
    return scan, reason, frozenset(indented)


def _link(nodes: list[_Node], modules: dict[str, str]) -> None:
    """Each module's imports of project modules, and its import cycle."""
    by_module = {n.file.module: i for i, n in enumerate(nodes) if n.file.module is not None}
    keys = [n.file.module if n.file.module is not None else f"#{i}" for i, n in enumerate(nodes)]
    imported: list[set[int]] = []
    for index, node in enumerate(nodes):
        found = summary_dependencies(node.scan, by_module.keys())
        imported.append({by_module[m] for m in found if m in by_module} - {index})
    graph = {keys[i]: {keys[d] for d in deps} for i, deps in enumerate(imported)}
    component_of: dict[str, int] = {}
    members: list[list[str]] = components(graph)
    for number, component in enumerate(members):
        for key in component:
            component_of[key] = number
    index_of = {key: i for i, key in enumerate(keys)}
    indices = [sorted(index_of[k] for k in component) for component in members]
    for index, node in enumerate(nodes):
        own = component_of[keys[index]]
        node.peers = indices[own] if len(indices[own]) > 1 else []
        node.deps = sorted(d for d in imported[index] if component_of[keys[d]] != own)
        node.imports = node.eager = imported[index]
        if node.peers and node.indented:  # the order of its cycle's first round
            eager = [item for i, item in enumerate(node.scan) if i not in node.indented]
            found = summary_dependencies(eager, by_module.keys())
            node.eager = {by_module[m] for m in found if m in by_module} - {index}
        node.waiting = len(node.deps)
        for dependency in node.deps:
            nodes[dependency].dependents.append(index)


def summary_dependencies(
    imports: list[tuple[str, tuple[str, ...]]], modules: Collection[str]
) -> set[str]:
    """The project modules whose summaries a module's imports read: `import a.b` the
    longest project module of the name; `from a import b` `a.b` when that is a module, else
    `a`. Unlike `project.project_dependencies`, a submodule's import does not depend on its
    parent packages' `__init__.py`: their code runs, but the names read are the submodule's,
    and a package that re-exports its submodules would otherwise be one import cycle."""
    found: set[str] = set()
    for module, names in imports:
        if not names:
            parts = module.split(".")
            for end in range(len(parts), 0, -1):
                if ".".join(parts[:end]) in modules:
                    found.add(".".join(parts[:end]))
                    break
            continue
        for name in names:
            if f"{module}.{name}" in modules:
                found.add(f"{module}.{name}")
            elif module in modules:
                found.add(module)
    return found


def _remember(node: _Node, store: Cache, schedule: _Schedule) -> None:
    outcome = node.outcome
    if outcome is None or node.stat is None:
        return
    if not node.ran and (node.fresh or outcome.unchanged):
        return  # the cache has it
    summary = node.summary
    project: dict[str, Any] = {
        "scan": [[m, list(n)] for m, n in node.scan],
        "indented": sorted(node.indented),
        "reason": node.reason,
        "summary": summary.to_json() if summary is not None else None,
        "digest": summary.digest() if summary is not None else None,
        "relevant": node.relevant,
        "deps": schedule._dependency_digests(node),
    }
    if not node.ran:
        # Not parsed (it can offer nothing): remember its imports, keyed by its stat.
        digest = node.entry.digest if node.entry is not None else ""
        store.put(node.file.path, node.stat.st_size, node.stat.st_mtime_ns, digest, [], project)
        return
    diagnostics = outcome.diagnostics
    if outcome.unchanged and node.entry is not None:
        diagnostics = node.entry.diagnostics
    if outcome.digest is not None and outcome.size is not None and outcome.mtime_ns is not None:
        store.put(
            node.file.path, outcome.size, outcome.mtime_ns, outcome.digest, diagnostics, project
        )
