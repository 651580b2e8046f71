"""`methodlint server` as an editor sees it: the server runs as a subprocess and pygls's language
client speaks LSP to it over standard input and output.

One session covers initialize, a document with an ML101 (the diagnostic, its range, code,
severity and message), editing it clean (an empty list), the ML402 code action applied to the
buffer, the `# noqa` action, hover, a notebook document with diagnostics per cell, and shutdown.
Another shows that a document whose analysis fails leaves the server answering.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from helpers import cli, write

pytest.importorskip("pygls", reason="the server extra (pygls) is not installed")

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from methodlint.diagnostics import Diagnostic, Fix, Severity
from methodlint.fix import apply_fixes
from methodlint.lsp.analysis import BufferLinter, noqa_edit

# Generous: the machine may be busy; nothing here measures speed (see tests/tools/bench_server.py).
TIMEOUT = 60.0
T = TypeVar("T")

HEAD = 'import requests\n\nAPI = "https://api.example.com"\n'
ML101 = HEAD + 'requests.get(f"{API}/search", json={"q": "é😀"})\n'
CLEAN = HEAD + 'requests.get(f"{API}/search", params={"q": "é😀"})\n'
ML402 = (
    "import http.client\n\n"
    'conn = http.client.HTTPSConnection("h")\n'
    'conn.request("post", "/orders", body=b"{}")\n'
)
# How a test starts the server: `methodlint server`, after some Python of the test's own.
START = "import sys\nfrom methodlint.cli import main\nsys.argv = ['methodlint', 'server']\nmain()"


class Client:
    """A language client with the notifications the server sent, by kind."""

    def __init__(self) -> None:
        self.lsp = LanguageClient("methodlint-tests", "1")
        self.published: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()
        self.logs: list[str] = []
        self.shown: list[str] = []

        @self.lsp.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.published.put_nowait(params)

        @self.lsp.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)

        @self.lsp.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams) -> None:
            self.shown.append(params.message)

    async def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The next diagnostics published for `uri`."""
        while True:
            params = await within(self.published.get())
            if params.uri == uri:
                return list(params.diagnostics)

    def open(self, uri: str, text: str, language: str = "python") -> None:
        self.lsp.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language, version=1, text=text
                )
            )
        )

    def replace(self, uri: str, version: int, text: str) -> None:
        """An edit that replaces the whole buffer, as a client sends a full change."""
        self.lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )


async def within(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, TIMEOUT)


@asynccontextmanager
async def server(folder: Path, *, prelude: str = "") -> AsyncIterator[Client]:
    """`methodlint server` started in `folder`, initialized; shut down and exited at the end.
    `prelude` is Python run in the server process first (to inject a failure)."""
    client = Client()
    await client.lsp.start_io(sys.executable, "-c", f"{prelude}\n{START}", cwd=str(folder))
    try:
        result = await within(
            client.lsp.initialize_async(
                types.InitializeParams(
                    capabilities=types.ClientCapabilities(),
                    root_uri=folder.as_uri(),
                    workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name="project")],
                )
            )
        )
        assert result.server_info is not None and result.server_info.name == "methodlint"
        client.lsp.initialized(types.InitializedParams())
        yield client
    finally:
        if not client.lsp.stopped:
            await within(client.lsp.shutdown_async(None))
            client.lsp.exit(None)
            await within(client.lsp.stop())


def run(session: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(session())


def text_after(text: str, edits: list[types.TextEdit]) -> str:
    """`text` with LSP edits applied as a client applies them (positions in UTF-16 units)."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        line = lines[position.line] if position.line < len(lines) else ""
        units = column = 0
        while units < position.character and column < len(line):
            units += 2 if ord(line[column]) > 0xFFFF else 1
            column += 1
        return sum(len(before) for before in lines[: position.line]) + column

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[::-1]:
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


# --- the session -------------------------------------------------------------------------------


def test_a_session_diagnostics_edits_code_actions_hover_and_shutdown(project: Path) -> None:
    path = write(project, "app/search.py", ML101)
    uri = path.as_uri()
    gateway = write(project, "app/gateway.py", ML402).as_uri()

    async def session() -> None:
        async with server(project) as client:
            client.open(uri, ML101)
            (found,) = await client.diagnostics(uri)
            assert found.code == "ML101"
            assert found.source == "methodlint"
            assert found.severity == types.DiagnosticSeverity.Warning
            assert found.message.startswith("GET via requests.get sends content (json=)\n")
            assert "get-with-body" in found.message
            assert found.code_description is None
            # `json={"q": "é😀"}` on line 4: the emoji counts two UTF-16 units.
            assert found.range == types.Range(
                start=types.Position(line=3, character=30),
                end=types.Position(line=3, character=47),
            )

            hover = await within(
                client.lsp.text_document_hover_async(
                    types.HoverParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        position=types.Position(line=3, character=33),
                    )
                )
            )
            assert hover is not None
            assert isinstance(hover.contents, types.MarkupContent)
            assert "# ML101 get-with-body" in hover.contents.value
            assert "## Why is this bad?" in hover.contents.value
            nothing = await within(
                client.lsp.text_document_hover_async(
                    types.HoverParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        position=types.Position(line=0, character=1),
                    )
                )
            )
            assert nothing is None

            actions = await within(
                client.lsp.text_document_code_action_async(
                    types.CodeActionParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        range=found.range,
                        context=types.CodeActionContext(diagnostics=[found]),
                    )
                )
            )
            assert actions is not None
            (noqa,) = actions  # ML101 has no fix: only the comment is offered
            assert isinstance(noqa, types.CodeAction) and noqa.edit and noqa.edit.changes
            commented = text_after(ML101, list(noqa.edit.changes[uri]))
            assert commented.splitlines()[3].endswith('"é😀"})  # noqa: ML101')

            # The buffer, not the file, is what counts: edited clean, unsaved.
            client.replace(uri, 2, CLEAN)
            assert await client.diagnostics(uri) == []

            client.open(gateway, ML402)
            (ml402,) = await client.diagnostics(gateway)
            assert ml402.code == "ML402"
            assert ml402.severity == types.DiagnosticSeverity.Error
            actions = await within(
                client.lsp.text_document_code_action_async(
                    types.CodeActionParams(
                        text_document=types.TextDocumentIdentifier(uri=gateway),
                        range=ml402.range,
                        context=types.CodeActionContext(diagnostics=[ml402]),
                    )
                )
            )
            assert actions is not None
            titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
            assert titles == [
                "ML402: Upper-case the method to 'POST'",
                "Ignore ML402 on this line (# noqa: ML402)",
            ]
            fix = actions[0]
            assert isinstance(fix, types.CodeAction) and fix.edit and fix.edit.changes
            assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
            fixed = text_after(ML402, list(fix.edit.changes[gateway]))
            assert fixed == ML402.replace('"post"', '"POST"')

            # The client applies the edit to its buffer: the finding goes away.
            client.replace(gateway, 2, fixed)
            assert await client.diagnostics(gateway) == []

            client.lsp.text_document_did_close(
                types.DidCloseTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(uri=gateway)
                )
            )
            assert await client.diagnostics(gateway) == []

    run(session)


def test_a_notebook_document_gets_diagnostics_per_cell(project: Path) -> None:
    notebook = (project / "explore.ipynb").as_uri()
    cells = [
        ("markdown", "# Search"),
        ("python", "%pip install requests\nimport requests"),
        (
            "python",
            '!curl -s https://api.example.com\nrequests.get("https://api.example.com", json={})',
        ),
    ]

    async def session() -> None:
        async with server(project) as client:
            uris = [f"vscode-notebook-cell:/explore.ipynb#cell{i}" for i in range(len(cells))]
            client.lsp.notebook_document_did_open(
                types.DidOpenNotebookDocumentParams(
                    notebook_document=types.NotebookDocument(
                        uri=notebook,
                        notebook_type="jupyter-notebook",
                        version=1,
                        cells=[
                            types.NotebookCell(
                                kind=(
                                    types.NotebookCellKind.Markup
                                    if language == "markdown"
                                    else types.NotebookCellKind.Code
                                ),
                                document=uri,
                            )
                            for uri, (language, _) in zip(uris, cells, strict=True)
                        ],
                    ),
                    cell_text_documents=[
                        types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
                        for uri, (language, text) in zip(uris, cells, strict=True)
                    ],
                )
            )
            published: dict[str, list[types.Diagnostic]] = {}
            while len(published) < 2:
                params = await within(client.published.get())
                published[params.uri] = list(params.diagnostics)
            assert published[uris[1]] == []
            (found,) = published[uris[2]]
            # Line 2 of the third cell, in that cell's own coordinates.
            assert found.code == "ML101"
            assert found.range.start == types.Position(line=1, character=40)

            # The noqa action edits the text of the cell itself.
            actions = await within(
                client.lsp.text_document_code_action_async(
                    types.CodeActionParams(
                        text_document=types.TextDocumentIdentifier(uri=uris[2]),
                        range=found.range,
                        context=types.CodeActionContext(diagnostics=[found]),
                    )
                )
            )
            assert actions is not None
            (noqa,) = actions
            assert isinstance(noqa, types.CodeAction) and noqa.edit and noqa.edit.changes
            assert text_after(cells[2][1], list(noqa.edit.changes[uris[2]])).endswith(
                "json={})  # noqa: ML101"
            )

            # The cell edited clean: its diagnostics are emptied.
            clean = cells[2][1].replace("json={}", "params={}")
            client.lsp.notebook_document_did_change(
                types.DidChangeNotebookDocumentParams(
                    notebook_document=types.VersionedNotebookDocumentIdentifier(
                        uri=notebook, version=2
                    ),
                    change=types.NotebookDocumentChangeEvent(
                        cells=types.NotebookDocumentCellChanges(
                            text_content=[
                                types.NotebookDocumentCellContentChanges(
                                    document=types.VersionedTextDocumentIdentifier(
                                        uri=uris[2], version=2
                                    ),
                                    changes=[types.TextDocumentContentChangeWholeDocument(clean)],
                                )
                            ]
                        )
                    ),
                )
            )
            assert await client.diagnostics(uris[2]) == []

    run(session)


def test_a_document_whose_analysis_fails_leaves_the_server_answering(project: Path) -> None:
    # A failure methodlint does not turn into a finding: the engine itself raises.
    prelude = (
        "import methodlint.engine as engine\n"
        "original = engine.FileLinter.lint_bytes\n"
        "def lint_bytes(self, data, path, codes=None):\n"
        "    if b'CRASH' in data:\n"
        "        raise RuntimeError('injected failure')\n"
        "    return original(self, data, path, codes)\n"
        "engine.FileLinter.lint_bytes = lint_bytes\n"
    )
    crash = write(project, "crash.py", "import requests  # CRASH\n").as_uri()
    fine = write(project, "fine.py", ML101).as_uri()
    write(project, "broken/pyproject.toml", "[tool.methodlint]\nselect = 'ML1'\n")
    broken = write(project, "broken/app.py", ML101).as_uri()

    async def session() -> None:
        async with server(project, prelude=prelude) as client:
            client.open(crash, "import requests  # CRASH\n")
            client.open(broken, ML101)
            client.open(fine, ML101)
            (found,) = await client.diagnostics(fine)
            assert found.code == "ML101"
            assert any("injected failure" in log and "crash.py" in log for log in client.logs)
            # A configuration error is shown to the user, with the file and key.
            assert any("configuration error" in m and "select" in m for m in client.shown)
            # Still answering requests, and linting changes.
            hover = await within(
                client.lsp.text_document_hover_async(
                    types.HoverParams(
                        text_document=types.TextDocumentIdentifier(uri=fine),
                        position=found.range.start,
                    )
                )
            )
            assert hover is not None
            client.replace(fine, 2, CLEAN)
            assert await client.diagnostics(fine) == []

    run(session)


def test_server_without_the_extra_says_how_to_install_it(project: Path) -> None:
    # pygls hidden from the server process: the message names the extra.
    blocker = "import sys\nsys.modules['pygls'] = None\n"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{blocker}{START}",
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=project,
    )
    assert result.returncode == 2
    assert "pip install 'methodlint[server]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_server_takes_no_paths_and_a_folder_named_server_is_dot_slash_server(
    project: Path,
) -> None:
    write(project, "server/app.py", ML101)

    assert cli("server", "src").exit_code == 2
    assert "methodlint server takes no paths or options" in cli("server", "--fix").stderr
    checked = cli("--no-cache", "./server")
    assert checked.exit_code == 1
    assert "ML101" in checked.stdout


# --- the analysis behind it (in this process) ---------------------------------------------------


def test_each_buffer_is_linted_with_the_configuration_of_its_file(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.methodlint]\nextend-exclude = ["generated"]\n')
    write(project, "legacy/pyproject.toml", '[tool.methodlint]\nignore = ["ML101"]\n')
    write(
        project, "tests/pyproject.toml", '[tool.methodlint]\nper-file-ignores = {"t_*" = ["ML1"]}\n'
    )
    buffers = BufferLinter()

    def codes(name: str) -> list[str]:
        return [d.code for d in buffers.lint_text(str(project / name), ML101)]

    assert codes("app/search.py") == ["ML101"]
    assert codes("legacy/search.py") == []
    assert codes("tests/t_search.py") == []
    assert codes("tests/search.py") == ["ML101"]
    assert codes("generated/search.py") == []
    # An unsaved buffer takes the configuration of the folder the server falls back on.
    assert [d.code for d in BufferLinter(str(project / "legacy")).lint_text(None, ML101)] == []


CALL = "requests.get(u, json={})"


@pytest.mark.parametrize(
    ("line", "edited"),
    [
        (CALL, f"{CALL}  # noqa: ML101"),
        (f"{CALL}   ", f"{CALL}     # noqa: ML101"),
        (f"{CALL}  # noqa: ML201", f"{CALL}  # noqa: ML201, ML101"),
        (f"{CALL}  # why # noqa:E501", f"{CALL}  # why # noqa: E501, ML101"),
        ('requests.get(u, json={"a": "#"})', 'requests.get(u, json={"a": "#"})  # noqa: ML101'),
    ],
)
def test_the_noqa_action_adds_the_code_where_it_counts(line: str, edited: str) -> None:
    text = f"import requests\n{line}\nx = 1\n"
    column = line.index("json") + 1
    finding = Diagnostic(
        "ML101", "get-with-body", "", "", Severity.WARNING, "a.py", 2, column, 2, column + 7
    )

    edit = noqa_edit(text, finding)

    assert edit is not None
    assert apply_fixes(text, [Fix("", (edit,))])[0] == f"import requests\n{edited}\nx = 1\n"


def test_the_noqa_action_skips_lines_inside_a_string_and_a_bare_noqa() -> None:
    text = 'import requests\nrequests.get(u, data="""a\nb""")\n'
    finding = Diagnostic("ML101", "get-with-body", "", "", Severity.WARNING, "a.py", 2, 17, 3, 5)
    edit = noqa_edit(text, finding)
    assert edit is not None
    assert apply_fixes(text, [Fix("", (edit,))])[0] == text.replace('b""")', 'b""")  # noqa: ML101')

    bare = Diagnostic("ML101", "get-with-body", "", "", Severity.WARNING, "a.py", 2, 1, 2, 2)
    assert noqa_edit("import requests\nrequests.get(u, json={})  # noqa\n", bare) is None


def test_the_cached_summaries_of_a_project_run_are_used_when_they_exist(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.methodlint]\ncross-module = true\n")
    write(project, "app/__init__.py", "")
    wrapper = (
        "import requests\n\n\ndef fetch(url, data=None):\n    return requests.get(url, data=data)\n"
    )
    write(project, "app/http.py", wrapper)
    views = 'from app.http import fetch\n\nfetch("https://api.example.com/search", data="q")\n'
    path = str(write(project, "app/views.py", views))
    buffers = BufferLinter()

    # No cache yet: the buffer alone makes no request it can see.
    assert buffers.lint_text(path, views) == []

    assert cli("app").exit_code == 1  # a project run writes the summaries to the cache
    (found,) = buffers.lint_text(path, views)
    assert (found.code, found.line, found.column) == ("ML101", 3, 41)
    assert "in fetch" in found.message

    # A module changed since the run: its cached summary no longer stands for it.
    write(project, "app/http.py", wrapper.replace("requests.get", "requests.post"))
    assert buffers.lint_text(path, views) == []
