"""`methodlint server`: a Language Server Protocol server over standard input and output.

Diagnostics are published for text documents on open and save at once, and on change after a
pause in typing (`DEBOUNCE` seconds, from the unsaved buffer); for notebook documents, per cell,
the code cells being linted together as the command line lints a notebook file. Code actions
offer the safe fixes and a `# noqa: CODE` comment; hovering over a finding shows its rule's
documentation. Each buffer is analysed in this process, one at a time on a worker thread, so
that the server keeps answering while it runs; a failure of one analysis is logged and the
server carries on.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import PositionCodec

from methodlint import __version__
from methodlint.config import ConfigError
from methodlint.diagnostics import Diagnostic, Edit, Severity
from methodlint.docs import explain
from methodlint.fix import is_safe
from methodlint.lsp.analysis import BufferLinter, noqa_edit, split_lines
from methodlint.notebook import Cell
from methodlint.registry import by_code

# Seconds without a change before a changed buffer is linted again.
DEBOUNCE = 0.25
SOURCE = "methodlint"
_UNNECESSARY = frozenset({"ML901"})

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Published:
    """A document's last findings, with the text they were computed on (for code actions)."""

    text: str
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class _Job:
    """What one analysis needs, read from the workspace when it starts: the documents whose
    diagnostics it publishes (uri, text, version) and the function that lints them."""

    documents: tuple[tuple[str, str, int | None], ...]
    run: Callable[[], dict[str, list[Diagnostic]]]


class MethodlintServer(LanguageServer):
    """The server's state: the last findings per document and the analyses waiting to run."""

    def __init__(self) -> None:
        super().__init__(
            "methodlint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[
                    types.NotebookDocumentFilterWithCells(
                        cells=[types.NotebookCellLanguage(language="python")],
                        notebook="jupyter-notebook",
                    )
                ],
                save=True,
            ),
        )
        self.buffers = BufferLinter()
        self.published: dict[str, _Published] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        # One analysis at a time: the engine raises the recursion limit while it parses.
        self.analyses = ThreadPoolExecutor(max_workers=1, thread_name_prefix="methodlint-lint")

    # -- scheduling ---------------------------------------------------------------------------

    def schedule(self, key: str, delay: float, prepare: Callable[[], _Job | None]) -> None:
        """Lint `key` (a document or notebook uri) after `delay` seconds, replacing an
        analysis of it that has not started yet."""
        waiting = self.pending.pop(key, None)
        if waiting is not None and not waiting.done():
            waiting.cancel()
        self.pending[key] = asyncio.ensure_future(self._analyse(key, delay, prepare))

    async def _analyse(self, key: str, delay: float, prepare: Callable[[], _Job | None]) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            job = prepare()
            if job is None:
                return
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(self.analyses, job.run)
        except asyncio.CancelledError:
            return
        except ConfigError as error:
            self._report(f"methodlint: configuration error: {error}", show=True)
            return
        except Exception as error:
            detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            self._report(f"methodlint: the analysis of {key} failed:\n{detail}", show=False)
            return
        finally:
            if self.pending.get(key) is asyncio.current_task():
                del self.pending[key]
        for uri, text, version in job.documents:
            diagnostics = found.get(uri, [])
            self.published[uri] = _Published(text, tuple(diagnostics))
            lines = split_lines(text)  # once for all its diagnostics
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=uri,
                    version=version,
                    diagnostics=[self.to_lsp(d, lines) for d in diagnostics],
                )
            )

    def _report(self, message: str, show: bool) -> None:
        logger.error("%s", message)
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Error, message=message)
        )
        if show:
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=message)
            )

    def clear(self, uris: Sequence[str]) -> None:
        for uri in uris:
            waiting = self.pending.pop(uri, None)
            if waiting is not None:
                waiting.cancel()
            self.published.pop(uri, None)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    # -- jobs ---------------------------------------------------------------------------------

    def text_job(self, uri: str) -> _Job | None:
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        text = document.source
        path = _path_of(uri)
        # An unsaved buffer takes the configuration of the workspace.
        self.buffers.fallback_folder = self.workspace.root_path
        return _Job(
            ((uri, text, document.version),), lambda: {uri: self.buffers.lint_text(path, text)}
        )

    def notebook_job(self, notebook_uri: str) -> _Job | None:
        notebook = self.workspace.get_notebook_document(notebook_uri=notebook_uri)
        if notebook is None:
            return None
        cells: list[Cell] = []
        documents: list[tuple[str, str, int | None]] = []
        uris: dict[int, str] = {}
        for number, cell in enumerate(notebook.cells, start=1):
            if cell.kind != types.NotebookCellKind.Code:
                continue
            document = self.workspace.text_documents.get(cell.document)
            if document is None:
                continue
            text = document.source
            cells.append(Cell(number, text))
            documents.append((cell.document, text, document.version))
            uris[number] = cell.document
        path = _path_of(notebook_uri)

        def run() -> dict[str, list[Diagnostic]]:
            found: dict[str, list[Diagnostic]] = {}
            for diagnostic in self.buffers.lint_cells(path, cells):
                # Whole-file findings (ML002, ML003) have no cell: the first code cell shows them.
                number = diagnostic.cell or (cells[0].number if cells else None)
                if number in uris:
                    found.setdefault(uris[number], []).append(diagnostic)
            return found

        return _Job(tuple(documents), run)

    # -- conversions --------------------------------------------------------------------------

    @property
    def codec(self) -> PositionCodec:
        return self.workspace.position_codec

    def position(self, lines: list[str], line: int, column: int) -> types.Position:
        """A 1-based (line, column in code points) as an LSP position in the client's units."""
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return types.Position(
            line=max(line - 1, 0), character=self.codec.client_num_units(text[: column - 1])
        )

    def range(self, lines: list[str], edit_or_diagnostic: Edit | Diagnostic) -> types.Range:
        span = edit_or_diagnostic.span
        return types.Range(
            start=self.position(lines, span.line, span.column),
            end=self.position(lines, span.end_line, span.end_column),
        )

    def to_lsp(self, diagnostic: Diagnostic, lines: list[str]) -> types.Diagnostic:
        """A diagnostic as LSP has it; `lines`: its document's text (`split_lines`)."""
        d = diagnostic
        rule = by_code(d.code)
        # No link: the rule's description is in the message, its documentation in the hover.
        message = f"{d.message}\n{d.name}: {rule.summary}"
        if d.hint:
            message += f"\nhelp: {d.hint}"
        return types.Diagnostic(
            range=self.range(lines, d),
            message=message,
            severity=(
                types.DiagnosticSeverity.Error
                if d.severity is Severity.ERROR
                else types.DiagnosticSeverity.Warning
            ),
            code=d.code,
            source=SOURCE,
            tags=[types.DiagnosticTag.Unnecessary] if d.code in _UNNECESSARY else None,
            data={"name": d.name, "fixable": is_safe(d)},
        )

    def from_client(self, lines: list[str], position: types.Position) -> tuple[int, int]:
        """An LSP position as a 1-based (line, column in code points)."""
        text = lines[position.line] if position.line < len(lines) else ""
        units = 0
        column = 0
        for char in text:
            if units >= position.character:
                break
            units += self.codec.client_num_units(char)
            column += 1
        return position.line + 1, column + 1

    # -- requests -----------------------------------------------------------------------------

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        published = self.published.get(uri)
        if published is None:
            return []
        lines = split_lines(published.text)
        start = self.from_client(lines, params.range.start)
        end = self.from_client(lines, params.range.end)
        wanted = params.context.only
        actions: list[types.CodeAction] = []
        for d in published.diagnostics:
            if (d.end_line, d.end_column) < start or (d.line, d.column) > end:
                continue
            related = [self.to_lsp(d, lines)]
            if d.fix is not None and is_safe(d) and _wanted(wanted, types.CodeActionKind.QuickFix):
                edits = [
                    types.TextEdit(range=self.range(lines, edit), new_text=edit.content)
                    for edit in d.fix.edits
                ]
                actions.append(
                    self._action(f"{d.code}: {d.fix.message}", uri, edits, related, True)
                )
            suppress = noqa_edit(published.text, d)
            if suppress is not None and _wanted(wanted, types.CodeActionKind.QuickFix):
                edit = types.TextEdit(range=self.range(lines, suppress), new_text=suppress.content)
                title = f"Ignore {d.code} on this line (# noqa: {d.code})"
                actions.append(self._action(title, uri, [edit], related, False))
        return actions

    def _action(
        self,
        title: str,
        uri: str,
        edits: list[types.TextEdit],
        diagnostics: list[types.Diagnostic],
        preferred: bool,
    ) -> types.CodeAction:
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=diagnostics,
            is_preferred=preferred,
            edit=types.WorkspaceEdit(changes={uri: edits}),
        )

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        published = self.published.get(params.text_document.uri)
        if published is None:
            return None
        lines = split_lines(published.text)
        where = self.from_client(lines, params.position)
        found = [
            d
            for d in published.diagnostics
            if (d.line, d.column) <= where <= (d.end_line, d.end_column)
        ]
        if not found:
            return None
        text = "\n\n---\n\n".join(f"{d.message}\n\n{explain(by_code(d.code))}" for d in found)
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
            range=self.range(lines, found[0]),
        )


def _wanted(only: Sequence[str] | None, kind: str) -> bool:
    return not only or any(kind == k or kind.startswith(f"{k}.") for k in only)


def _path_of(uri: str) -> str | None:
    """The file a document is (None for an unsaved one or a uri that names no file)."""
    if not uri.startswith("file:"):
        return None
    try:
        path: str | None = to_fs_path(uri)
    except Exception:  # pygls raises plain errors for uris it cannot read
        return None
    return path


def _notebook_of(server: MethodlintServer, cell_uri: str) -> str | None:
    notebook = server.workspace.get_notebook_document(cell_uri=cell_uri)
    return notebook.uri if notebook is not None else None


def create_server() -> MethodlintServer:
    """The server with its features registered."""
    server = MethodlintServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MethodlintServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        if _notebook_of(ls, uri) is None:
            ls.schedule(uri, 0, lambda: ls.text_job(uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MethodlintServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if _notebook_of(ls, uri) is None:
            ls.schedule(uri, DEBOUNCE, lambda: ls.text_job(uri))

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MethodlintServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if _notebook_of(ls, uri) is None:
            ls.schedule(uri, 0, lambda: ls.text_job(uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MethodlintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.clear([params.text_document.uri])

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: MethodlintServer, params: types.DidOpenNotebookDocumentParams) -> None:
        uri = params.notebook_document.uri
        ls.schedule(uri, 0, lambda: ls.notebook_job(uri))

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(
        ls: MethodlintServer, params: types.DidChangeNotebookDocumentParams
    ) -> None:
        uri = params.notebook_document.uri
        removed = []
        structure = params.change.cells.structure if params.change.cells else None
        if structure is not None and structure.did_close:
            removed = [cell.uri for cell in structure.did_close]
        if removed:
            ls.clear(removed)
        ls.schedule(uri, DEBOUNCE, lambda: ls.notebook_job(uri))

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_save(ls: MethodlintServer, params: types.DidSaveNotebookDocumentParams) -> None:
        uri = params.notebook_document.uri
        ls.schedule(uri, 0, lambda: ls.notebook_job(uri))

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: MethodlintServer, params: types.DidCloseNotebookDocumentParams) -> None:
        ls.clear([cell.uri for cell in params.cell_text_documents])

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(
        ls: MethodlintServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        return ls.code_actions(params) or None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: MethodlintServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params)

    return server


def serve() -> None:
    """Run the server on standard input and output until the client says exit."""
    logging.basicConfig(level=logging.WARNING, format="methodlint server: %(message)s")
    create_server().start_io()
