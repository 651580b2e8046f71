"""How fast `methodlint server` answers a change of a 1,000-line buffer with HTTP calls.

Starts the server as a subprocess (pygls's client over stdio, as an editor does), opens a
generated 1,000-line module full of requests, httpx and http.client calls, then sends whole-
buffer changes one at a time and measures from each change to the diagnostics it brings. The
server waits DEBOUNCE seconds after a change before linting; the time after that is printed
too, and, for comparison, the same analysis run in this process (wall-clock and CPU seconds:
on a busy machine the CPU time says what the analysis costs when it has a core to itself).
A number-printing script, not a test:

    python tests/tools/bench_server.py [--changes 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from methodlint.lsp.server import DEBOUNCE

CALLS = (
    '        response = requests.get(f"{{API}}/items/{n}", json={{"q": term}})\n',
    '        response = httpx.post(f"{{API}}/orders/{n}", json={{"id": term}}, timeout=5)\n',
    '        conn.request("post", "/orders/{n}", body=b"{{}}")\n',
    '        response = session.put(f"{{API}}/items/{n}", json={{"name": term}})\n',
)


def buffer(lines: int = 1000, salt: int = 0) -> str:
    """A module of `lines` lines: imports, then functions of ten lines that make requests."""
    head = (
        '"""Generated for the benchmark."""\n\n'
        "import http.client\n\nimport httpx\nimport requests\n\n"
        'API = "https://api.example.com"\nsession = requests.Session()\n'
        'conn = http.client.HTTPSConnection("api.example.com")\n\n'
    )
    out = [head]
    count = head.count("\n")
    n = 0
    while count + 10 <= lines:
        call = CALLS[n % len(CALLS)].format(n=n)
        out.append(
            f"def fetch_{n}_{salt}(term: str) -> object:\n"
            f'    """Fetch item {n}."""\n'
            f"    attempts = 0\n"
            f"    while attempts < 3:\n"
            f"{call}"
            f"        attempts += 1\n"
            f"    print(attempts)\n"
            f"    return None\n"
            f"\n\n"
        )
        count += 10
        n += 1
    out.append("\n" * (lines - count))
    return "".join(out)


async def measure(changes: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="methodlint-bench-"))
    (folder / "pyproject.toml").write_text("[tool.methodlint]\n", encoding="utf-8")
    path = folder / "module.py"
    text = buffer()
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client = LanguageClient("bench", "1")
    published: asyncio.Queue[tuple[float, types.PublishDiagnosticsParams]] = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        published.put_nowait((time.perf_counter(), params))

    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "methodlint", "server", cwd=str(folder))
    await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=folder.as_uri())
    )
    client.initialized(types.InitializedParams())
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    at, params = await published.get()
    print(f"buffer: {text.count(chr(10))} lines, {len(params.diagnostics)} diagnostics")
    print(f"start, initialize and first diagnostics (cold, imports LibCST): {at - started:.3f} s")
    answers = []
    for version in range(2, changes + 2):
        changed = buffer(salt=version)
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=changed)],
            )
        )
        at, params = await published.get()
        assert params.version == version, "diagnostics of an older version"
        answers.append(at - sent)
    after = [answer - DEBOUNCE for answer in answers]
    print(f"changes: {changes}, debounce {DEBOUNCE * 1000:.0f} ms")
    print(
        "change -> diagnostics: "
        f"median {statistics.median(answers) * 1000:.0f} ms, "
        f"min {min(answers) * 1000:.0f} ms, max {max(answers) * 1000:.0f} ms"
    )
    print(
        "after the debounce: "
        f"median {statistics.median(after) * 1000:.0f} ms, "
        f"min {min(after) * 1000:.0f} ms, max {max(after) * 1000:.0f} ms"
    )
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    in_process(path, changes)


def in_process(path: Path, changes: int) -> None:
    """The server's analysis of the buffer, in this process: wall-clock and CPU time."""
    from methodlint.lsp.analysis import BufferLinter

    linter = BufferLinter()
    linter.lint_text(str(path), buffer())  # imports LibCST
    walls, cpus = [], []
    for salt in range(changes):
        text = buffer(salt=salt)
        wall, cpu = time.perf_counter(), time.process_time()
        linter.lint_text(str(path), text)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(
        "in-process analysis of one change: "
        f"wall median {statistics.median(walls) * 1000:.0f} ms, "
        f"CPU median {statistics.median(cpus) * 1000:.0f} ms (min {min(cpus) * 1000:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20, help="changes to time (default 20)")
    arguments = parser.parse_args()
    asyncio.run(measure(arguments.changes))


if __name__ == "__main__":
    main()
