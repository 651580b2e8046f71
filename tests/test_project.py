"""The project index's first step: which files form the project, their module names, what each
imports (from bytes, unparsed), which project modules that runs, and the import cycles."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest

from methodlint.config import Config, ConfigError, load_config
from methodlint.engine import EngineSettings
from methodlint.project import (
    Project,
    ProjectFile,
    components,
    discover,
    project_dependencies,
    scan_imports,
)


def make(root: Path, *files: str) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")


def modules_of(project: Project, base: Path) -> dict[str, str | None]:
    """Module name per file, keyed by the path relative to `base` (forward slashes)."""
    return {
        Path(os.path.relpath(Path(base, file.path), base)).as_posix(): file.module
        for file in project.files
    }


# --- module names --------------------------------------------------------------------------------


def test_a_flat_script_is_named_after_its_file(tmp_path: Path) -> None:
    make(tmp_path, "script.py")

    project = discover([str(tmp_path / "script.py")])

    assert project.files == [ProjectFile(str(tmp_path / "script.py"), "script", False)]
    assert project.given == 1
    assert project.modules == {"script": str(tmp_path / "script.py")}


def test_nested_packages_are_named_from_the_first_folder_without_init(tmp_path: Path) -> None:
    make(tmp_path, "repo/pkg/__init__.py", "repo/pkg/sub/__init__.py", "repo/pkg/sub/mod.py")

    project = discover(
        [str(tmp_path / "repo/pkg/sub/mod.py"), str(tmp_path / "repo/pkg/__init__.py")]
    )

    by_path = {Path(f.path): f for f in project.files}
    assert by_path[tmp_path / "repo/pkg/sub/mod.py"].module == "pkg.sub.mod"
    assert by_path[tmp_path / "repo/pkg/sub/mod.py"].is_package is False
    assert by_path[tmp_path / "repo/pkg/__init__.py"].module == "pkg"
    assert by_path[tmp_path / "repo/pkg/__init__.py"].is_package is True
    assert by_path[tmp_path / "repo/pkg/sub/__init__.py"].module == "pkg.sub"


def test_a_src_layout_names_modules_below_src(tmp_path: Path) -> None:
    make(tmp_path, "src/app/__init__.py", "src/app/http.py", "tests/test_app.py")

    project = discover([str(tmp_path / "src/app/http.py"), str(tmp_path / "tests/test_app.py")])

    assert modules_of(project, tmp_path) == {
        "src/app/http.py": "app.http",
        "tests/test_app.py": "test_app",
        "src/app/__init__.py": "app",
    }


def test_a_configured_root_takes_precedence_and_includes_namespace_packages(
    tmp_path: Path,
) -> None:
    # lib/ has no __init__.py: without the configured root, core/ would be a top-level package.
    make(tmp_path, "code/lib/core/__init__.py", "code/lib/core/client.py", "code/lib/ns/tool.py")

    project = discover([str(tmp_path / "code/lib/core/client.py")], src=[tmp_path / "code"])

    assert modules_of(project, tmp_path) == {
        "code/lib/core/client.py": "lib.core.client",
        "code/lib/core/__init__.py": "lib.core",
        "code/lib/ns/tool.py": "lib.ns.tool",
    }


def test_the_nearest_configured_root_names_the_file(tmp_path: Path) -> None:
    make(tmp_path, "outer/inner/pkg/mod.py")

    project = discover(
        [str(tmp_path / "outer/inner/pkg/mod.py")],
        src=[tmp_path / "outer", tmp_path / "outer/inner"],
    )

    assert project.files[0].module == "pkg.mod"


def test_a_file_that_cannot_be_imported_has_no_module_name(tmp_path: Path) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/my-script.py", "pkg/class.py")

    project = discover([str(tmp_path / "pkg/__init__.py")])

    assert modules_of(project, tmp_path) == {
        "pkg/__init__.py": "pkg",
        "pkg/class.py": None,
        "pkg/my-script.py": None,
    }
    assert project.modules == {"pkg": str(tmp_path / "pkg/__init__.py")}


# --- growing -------------------------------------------------------------------------------------


def test_one_given_file_grows_to_every_module_of_its_package(tmp_path: Path) -> None:
    make(
        tmp_path,
        "pkg/__init__.py",
        "pkg/a.py",
        "pkg/b.py",
        "pkg/sub/__init__.py",
        "pkg/sub/c.py",
        "pkg/data/loose.py",  # no __init__.py: not a package of this project
        "pkg/notes.txt",
        "other.py",  # next to the package, not in it
    )

    project = discover([str(tmp_path / "pkg/b.py")])

    assert [f.path for f in project.files] == [
        str(tmp_path / "pkg/b.py"),
        *(str(tmp_path / p) for p in ["pkg/__init__.py", "pkg/a.py", "pkg/sub/__init__.py"]),
        str(tmp_path / "pkg/sub/c.py"),
    ]
    assert project.given == 1
    assert set(project.modules) == {"pkg", "pkg.a", "pkg.b", "pkg.sub", "pkg.sub.c"}


def test_a_top_level_script_does_not_grow(tmp_path: Path) -> None:
    make(tmp_path, "script.py", "helper.py")

    project = discover([str(tmp_path / "script.py")])

    assert [f.module for f in project.files] == ["script"]


def test_given_files_come_first_in_order_without_duplicates(tmp_path: Path) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/a.py", "pkg/b.py", "pkg/c.py")
    c, a = str(tmp_path / "pkg/c.py"), str(tmp_path / "pkg/a.py")

    project = discover([c, a, str(tmp_path / "pkg/../pkg/c.py")])

    assert [f.path for f in project.files][:2] == [c, a]
    assert project.given == 2
    assert len(project.files) == 4
    assert project.modules["pkg.c"] == c


def test_relative_given_paths_grow_to_paths_relative_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/a.py")
    monkeypatch.chdir(tmp_path)

    project = discover(["pkg/a.py"])

    assert [f.path for f in project.files] == ["pkg/a.py", os.path.join("pkg", "__init__.py")]


def test_the_usual_and_hidden_folders_are_not_walked(tmp_path: Path) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/a.py")
    for folder in ("__pycache__", ".git", ".venv", "venv", "build", "dist", "node_modules", ".x"):
        make(tmp_path, f"pkg/{folder}/__init__.py", f"pkg/{folder}/m.py")
        make(tmp_path, f"roots/{folder}/m.py")

    project = discover([str(tmp_path / "pkg/a.py")], src=[tmp_path / "roots"])

    assert set(project.modules) == {"pkg", "pkg.a"}


def test_skip_excludes_found_folders_and_files_but_never_a_given_file(tmp_path: Path) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/a.py", "pkg/gen/__init__.py", "pkg/gen/x.py")
    make(tmp_path, "pkg/secret.py")
    asked: list[Path] = []

    def skip(path: Path) -> bool:
        asked.append(path)
        return path.name in {"gen", "secret.py", "a.py"}

    project = discover([str(tmp_path / "pkg/a.py")], skip=skip)

    assert set(project.modules) == {"pkg", "pkg.a"}
    assert tmp_path / "pkg/gen" in asked
    assert all(isinstance(path, Path) for path in asked)


def test_every_file_below_a_configured_root_is_in_the_project(tmp_path: Path) -> None:
    make(tmp_path, "src/a.py", "src/ns/b.py", "src/pkg/__init__.py", "elsewhere/c.py")

    project = discover([], src=[tmp_path / "src"])

    assert project.given == 0
    assert sorted(project.modules) == ["a", "ns.b", "pkg"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_symlink_loop_is_not_followed(tmp_path: Path) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/a.py", "pkg/sub/__init__.py")
    try:
        (tmp_path / "pkg/sub/loop").symlink_to(tmp_path / "pkg", target_is_directory=True)
        (tmp_path / "src").mkdir()
        (tmp_path / "src/back").symlink_to(tmp_path / "src", target_is_directory=True)
    except OSError:
        pytest.skip("cannot create symlinks here")

    project = discover([str(tmp_path / "pkg/a.py")], src=[tmp_path / "src"])

    assert sorted(project.modules) == ["pkg", "pkg.a", "pkg.sub"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs permissions")
def test_an_unreadable_folder_is_passed_over(tmp_path: Path) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/a.py", "pkg/locked/__init__.py", "pkg/locked/b.py")
    (tmp_path / "pkg/locked").chmod(0o300)
    try:
        project = discover([str(tmp_path / "pkg/a.py")])
    finally:
        (tmp_path / "pkg/locked").chmod(0o700)

    assert "pkg.a" in project.modules
    assert "pkg.locked.b" not in project.modules


def test_a_missing_given_file_is_still_named(tmp_path: Path) -> None:
    project = discover([str(tmp_path / "gone.py")])

    assert project.files == [ProjectFile(str(tmp_path / "gone.py"), "gone", False)]


# --- scan_imports --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import a\n", [("a", ())]),
        ("import a.b\n", [("a.b", ())]),
        ("import a.b as c, d\n", [("a.b", ()), ("d", ())]),
        ("from a.b import c, d as e\n", [("a.b", ("c", "d"))]),
        ("from x import *\n", [("x", ("*",))]),
        ("from a import (b)\n", [("a", ("b",))]),
        ("from a import (\n    b,\n    c as d,  # why\n)\n", [("a", ("b", "c"))]),
        ("from a import (b,\n c as d)\n", [("a", ("b", "c"))]),
        ("from a \\\n    import b, \\\n    c\n", [("a", ("b", "c"))]),
        ("import a, \\\n    b\n", [("a", ()), ("b", ())]),
        (
            "def f():\n    import a\n    if x:\n        from b import c\n",
            [("a", ()), ("b", ("c",))],
        ),
        ("import a; from b import c; x = (\n1)\nimport d\n", [("a", ()), ("b", ("c",)), ("d", ())]),
        ("\ufeffimport a\n", [("a", ())]),
        ("import a  # import b\n", [("a", ())]),
        ("from  a . b  import  c\n", [("a.b", ("c",))]),
        ("import a\r\nfrom b import c\r\n", [("a", ()), ("b", ("c",))]),
        ("x = 'import a'\nimportlib = 1\nfromage = 2\n", []),
        ("# import a\n", []),
        # Prose in a docstring that reads like an import is no import; one with a bracket
        # does not swallow the imports after it.
        ('"""\nimport this and that\nfrom time to time (we do\n"""\nimport a\n', [("a", ())]),
        ("from a import\n", []),
        ("from import b\n", []),
    ],
)
def test_scan_imports_of_a_module(source: str, expected: list[Any]) -> None:
    assert scan_imports(source.encode("utf-8"), "pkg.sub.mod", False) == expected


def test_scan_imports_tells_the_imports_written_indented() -> None:
    """An import in a function or under `if TYPE_CHECKING:` is how code breaks an import
    cycle: the order of a cycle's first round leaves those imports to the next round."""
    source = (
        "\ufeffimport a\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from b import B; import c\n"
        "def f():\n"
        "\tfrom d import (\n        e,\n    )\n"
        "import g as h, i\n"
    ).encode("utf-8")
    indented: set[int] = set()
    found = scan_imports(source, "pkg.mod", False, indented)
    assert [module for module, _ in found] == ["a", "typing", "b", "c", "d", "g", "i"]
    assert sorted(found[i][0] for i in indented) == ["b", "c", "d"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from . import x\n", [("pkg.sub", ("x",))]),
        ("from .sibling import y\n", [("pkg.sub.sibling", ("y",))]),
        ("from ..y import z\n", [("pkg.y", ("z",))]),
        ("from .. import y, z\n", [("pkg", ("y", "z"))]),
        ("from ...x import y\n", []),  # above the top package
        ("from .import x\n", [("pkg.sub", ("x",))]),
        ("from . a import b\n", [("pkg.sub.a", ("b",))]),
        ("from .a.b import (\n  c,\n)\n", [("pkg.sub.a.b", ("c",))]),
    ],
)
def test_relative_imports_in_a_module_resolve_from_its_package(
    source: str, expected: list[Any]
) -> None:
    assert scan_imports(source.encode(), "pkg.sub.mod", False) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from .x import f\n", [("pkg.x", ("f",))]),
        ("from . import x\n", [("pkg", ("x",))]),
        ("from .. import x\n", []),  # above the top package
        ("from .x import *\n", [("pkg.x", ("*",))]),
    ],
)
def test_relative_imports_in_a_package_resolve_from_the_package_itself(
    source: str, expected: list[Any]
) -> None:
    assert scan_imports(source.encode(), "pkg", True) == expected


def test_relative_imports_in_a_nested_package() -> None:
    assert scan_imports(b"from ..x import f\n", "pkg.sub", True) == [("pkg.x", ("f",))]


def test_relative_imports_without_a_package_are_dropped() -> None:
    assert scan_imports(b"from . import x\nimport a\n", "script", False) == [("a", ())]
    assert scan_imports(b"from . import x\nimport a\n", None, False) == [("a", ())]


def test_scan_imports_survives_bytes_that_are_not_utf8() -> None:
    assert scan_imports(b"x = '\xff'\nimport a\n", "m", False) == [("a", ())]


def test_scan_imports_on_unicode_names() -> None:
    assert scan_imports("from café import thé\n".encode(), "m", False) == [("café", ("thé",))]


# --- project_dependencies ------------------------------------------------------------------------

MODULES = {"a", "a.b", "a.b.c", "pkg", "pkg.util", "flat"}


def test_import_of_a_module_depends_on_it_and_its_parent_packages() -> None:
    assert project_dependencies([("a.b.c", ())], MODULES) == {"a", "a.b", "a.b.c"}


def test_import_of_a_name_below_a_module_depends_on_the_longest_project_prefix() -> None:
    assert project_dependencies([("a.b.c.attr", ())], MODULES) == {"a", "a.b", "a.b.c"}


def test_from_import_of_a_submodule_by_name_depends_on_the_submodule() -> None:
    assert project_dependencies([("a", ("b",))], MODULES) == {"a", "a.b"}
    assert project_dependencies([("pkg", ("util", "helper"))], MODULES) == {"pkg", "pkg.util"}


def test_from_import_of_names_depends_on_the_module_and_its_parents() -> None:
    assert project_dependencies([("a.b.c", ("f", "*"))], MODULES) == {"a", "a.b", "a.b.c"}


def test_imports_of_other_modules_are_no_dependency() -> None:
    assert project_dependencies([("requests", ()), ("os.path", ("join",))], MODULES) == set()
    assert project_dependencies([("flat", ())], MODULES) == {"flat"}


def test_parents_that_are_not_project_modules_are_left_out() -> None:
    # A namespace package has no module of its own.
    assert project_dependencies([("ns.mod", ())], {"ns.mod"}) == {"ns.mod"}


def test_scan_and_dependencies_together(tmp_path: Path) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/http.py", "pkg/api/__init__.py", "pkg/api/users.py")
    source = b"from ..http import session\nfrom . import users\nimport requests\n"
    project = discover([str(tmp_path / "pkg/api/users.py")])

    imports = scan_imports(source, "pkg.api.users", False)

    assert project_dependencies(imports, project.modules) == {
        "pkg",
        "pkg.http",
        "pkg.api",
        "pkg.api.users",
    }


# --- components ----------------------------------------------------------------------------------


def test_a_cycle_of_three_is_one_component_after_what_it_depends_on() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": [], "e": ["a"]}

    assert components(graph) == [["d"], ["a", "b", "c"], ["e"]]


def test_a_chain_comes_dependencies_first() -> None:
    graph = {"top": {"mid"}, "mid": {"low"}, "low": set()}

    assert components(graph) == [["low"], ["mid"], ["top"]]


def test_a_self_import_and_unknown_targets() -> None:
    assert components({"a": ["a", "x"]}) == [["x"], ["a"]]


def test_components_do_not_depend_on_the_mapping_order() -> None:
    graph = {f"m{i}": [f"m{(i * 7 + 3) % 40}", f"m{(i * 11) % 40}"] for i in range(40)}
    expected = components(graph)
    shuffled = list(graph.items())
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert components({k: list(reversed(v)) for k, v in shuffled}) == expected


def test_every_component_comes_after_those_it_depends_on() -> None:
    rng = random.Random(1)
    graph = {f"m{i}": [f"m{rng.randrange(60)}" for _ in range(2)] for i in range(60)}

    order = components(graph)

    place = {member: n for n, component in enumerate(order) for member in component}
    assert sorted(place) == sorted(graph)
    for node, targets in graph.items():
        for target in targets:
            assert place[target] <= place[node]


def test_a_long_chain_needs_no_recursion() -> None:
    graph = {f"m{i}": [f"m{i + 1}"] for i in range(20_000)}
    graph["m20000"] = ["m0"]

    result = components(graph)

    assert len(result) == 1
    assert len(result[0]) == 20_001


# --- configuration -------------------------------------------------------------------------------


def test_src_and_cross_module_defaults() -> None:
    config = Config()

    assert config.src == ()
    assert config.src_roots == ()
    assert config.cross_module is False  # until the index meets its cost targets


def test_src_is_relative_to_the_configuration_file(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.methodlint]\nsrc = ["src", "lib/python"]\ncross-module = false\n',
        encoding="utf-8",
    )

    config = load_config(path)

    assert config.src == ("src", "lib/python")
    root = tmp_path.resolve()
    assert config.src_roots == (root / "src", root / "lib" / "python")
    assert config.cross_module is False


def test_an_absolute_src_root_stays_as_it_is(tmp_path: Path) -> None:
    config = Config.from_mapping({"src": [str(tmp_path / "code")]}, root=Path("/elsewhere"))

    assert config.src_roots == (tmp_path / "code",)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("src", "src"),
        ("src", [1]),
        ("src", {"a": "b"}),
        ("cross-module", "false"),
        ("cross-module", 0),
        ("cross-module", ["true"]),
    ],
)
def test_a_wrong_type_for_the_project_keys_is_an_error_naming_the_key(key: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=key):
        Config.from_mapping({key: value})


@pytest.mark.parametrize(("typo", "nearest"), [("cross_module", "cross-module"), ("srcs", "src")])
def test_a_misspelt_project_key_suggests_the_key(typo: str, nearest: str) -> None:
    with pytest.raises(ConfigError, match=repr(nearest)):
        Config.from_mapping({typo: True})


def test_the_project_settings_reach_the_engine_and_the_cache_key(tmp_path: Path) -> None:
    from methodlint.cache import run_key

    plain = EngineSettings.from_config(Config(root=tmp_path))
    rooted = EngineSettings.from_config(Config.from_mapping({"src": ["src"]}, root=tmp_path))
    alone = EngineSettings.from_config(Config.from_mapping({"cross-module": True}))

    assert plain.src == () and plain.cross_module is False
    assert rooted.src == (str(tmp_path / "src"),)
    assert alone.cross_module is True
    keys = {run_key(settings, "0") for settings in (plain, rooted, alone)}
    assert len(keys) == 3
