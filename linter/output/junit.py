"""`junit`: a JUnit XML report, which CI servers (Jenkins, GitLab, Azure) show as test
results: one test suite per file, one failed test case per finding; a run without findings
is one passing test case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from itertools import groupby

from methodlint.diagnostics import Diagnostic
from methodlint.output.context import OutputContext

SUITE = "methodlint"


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    count = str(max(len(diagnostics), 1))
    root = ET.Element(
        "testsuites", name=SUITE, tests=count, failures=str(len(diagnostics)), errors="0"
    )
    if not diagnostics:
        suite = ET.SubElement(root, "testsuite", name=SUITE, tests="1", failures="0", errors="0")
        ET.SubElement(suite, "testcase", name="No problems found", classname=SUITE)
    for path, group in groupby(diagnostics, key=lambda d: d.path):
        found = list(group)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=path,
            tests=str(len(found)),
            failures=str(len(found)),
            errors="0",
        )
        for d in found:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{SUITE}.{d.code}",
                classname=path,
                file=path,
                line=str(d.line),
                column=str(d.column),
            )
            failure = ET.SubElement(case, "failure", message=d.message, type=d.code)
            cell = "" if d.cell is None else f"cell {d.cell}:"
            failure.text = f"{d.path}:{cell}{d.line}:{d.column}: {d.code} {d.name}: {d.message}"
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
