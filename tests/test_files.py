"""Which files methodlint lints: walking, exclusion, .gitignore, symlinks, display paths."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from methodlint.config import Config
from methodlint.files import (
    FileSelection,
    PathError,
    PerFileIgnores,
    SourceFile,
    collect_files,
    display_path,
)


def make(base: Path, *names: str) -> None:
    """Create files (and their folders) below `base`; a name ending in `/` is a folder."""
    for name in names:
        target = base / name
        if name.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("x = 1\n")


def shown(selection: FileSelection) -> list[str]:
    return [source.display for source in selection.files]


def collect(root: Path, *paths: str, **options: Any) -> FileSelection:
    return collect_files(list(paths), Config(root=root, **options))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- walking -----------------------------------------------------------------------------------


def test_default_path_is_the_current_folder(project: Path) -> None:
    make(project, "a.py", "pkg/b.py", "pkg/c.pyi", "notes.txt", "script", "pkg/data.json")

    selection = collect(project)

    assert shown(selection) == ["a.py", "pkg/b.py", "pkg/c.pyi"]
    assert selection.skipped == []
    assert selection.files[0] == SourceFile(project / "a.py", "a.py", explicit=False)
    assert shown(collect(project, ".")) == shown(selection)


def test_files_are_sorted_by_display_path(project: Path) -> None:
    make(project, "z.py", "b/a.py", "a/z.py", "a.py", "a/b/c.py")

    assert shown(collect(project)) == ["a.py", "a/b/c.py", "a/z.py", "b/a.py", "z.py"]


def test_default_excludes_skip_tool_folders_at_any_depth(project: Path) -> None:
    make(
        project,
        "src/ok.py",
        ".venv/lib/site.py",
        "venv/x.py",
        "build/gen.py",
        "src/build/gen.py",
        "src/__pycache__/ok.cpython-311.py",
        "dist/x.py",
        "node_modules/pkg/x.py",
        "thing.egg-info/x.py",
        ".git/hooks/x.py",
        ".tox/py311/x.py",
    )

    assert shown(collect(project)) == ["src/ok.py"]


def test_empty_exclude_replaces_the_defaults(project: Path) -> None:
    make(project, "src/ok.py", ".venv/x.py", "build/y.py")

    assert shown(collect(project, exclude=())) == [".venv/x.py", "build/y.py", "src/ok.py"]


def test_extend_exclude_adds_to_the_defaults(project: Path) -> None:
    make(
        project,
        "src/ok.py",
        "src/api_pb2.py",
        "generated/x.py",
        "src/legacy/old.py",
        "other/src/legacy/kept.py",
        "build/y.py",
    )

    selection = collect(project, extend_exclude=("*_pb2.py", "generated", "/src/legacy/"))

    # `/src/legacy/` is anchored to the configuration's folder; the others match at any depth.
    assert shown(selection) == ["other/src/legacy/kept.py", "src/ok.py"]


def test_extend_exclude_negation_reincludes_a_default(project: Path) -> None:
    make(project, "build/x.py", "dist/y.py", "src/gen_a.py", "src/gen_keep.py")

    selection = collect(project, extend_exclude=("!build", "gen_*.py", "!gen_keep.py"))

    assert shown(selection) == ["build/x.py", "src/gen_keep.py"]


def test_patterns_are_relative_to_the_configuration_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "proj/src/gen/x.py", "proj/src/ok.py")
    monkeypatch.chdir(tmp_path / "proj" / "src")

    selection = collect_files([], Config(root=tmp_path / "proj", extend_exclude=("/src/gen",)))

    assert shown(selection) == ["ok.py"]


# --- exclusion of explicit paths -----------------------------------------------------------------


def test_exclude_applies_to_explicit_files_and_folders(project: Path) -> None:
    make(project, "ok.py", "build/x.py", "gen/y.py", "src/gen/z.py")
    options = {"extend_exclude": ("gen",)}

    # pre-commit passes every staged file name: excluded ones must stay excluded.
    selection = collect(project, "ok.py", "build/x.py", "gen/y.py", "src/gen/z.py", **options)
    assert shown(selection) == ["ok.py"]
    assert shown(collect(project, "build", **options)) == []
    assert shown(collect(project, "src/gen", **options)) == []


def test_exclude_outside_the_configuration_folder_uses_name_patterns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "proj/a.py", "other/build/x.py", "other/ok.py", "other/skip_me.py")
    monkeypatch.chdir(tmp_path / "proj")
    config = Config(root=tmp_path / "proj", extend_exclude=("skip_me.py", "/other"))

    selection = collect_files(["../other"], config)

    # `build` and `skip_me.py` match by name anywhere; `/other` is anchored to proj/ only.
    assert shown(selection) == ["../other/ok.py"]


# --- .gitignore ----------------------------------------------------------------------------------


def test_nested_gitignore_files_with_negation(project: Path) -> None:
    make(
        project,
        ".git/",
        "a.gen.py",
        "secret.py",
        "logs/x.py",
        "sub/keep.gen.py",
        "sub/other.gen.py",
        "sub/secret.py",
        "sub/deeper/y.gen.py",
    )
    (project / ".gitignore").write_text("# generated code\n*.gen.py\nlogs/\n")
    (project / "sub" / ".gitignore").write_text("!keep.gen.py\nsecret.py\n")

    assert shown(collect(project)) == ["secret.py", "sub/keep.gen.py"]


def test_gitignore_cannot_reinclude_a_file_in_an_ignored_folder(project: Path) -> None:
    make(project, ".git/", "out/keep.py", "ok.py")
    (project / ".gitignore").write_text("out/\n!out/keep.py\n")

    assert shown(collect(project)) == ["ok.py"]
    assert shown(collect(project, "out/keep.py")) == []


def test_gitignore_of_parent_folders_applies_to_a_subfolder_walk(project: Path) -> None:
    make(project, ".git/", "sub/a.py", "sub/b.gen.py", "sub/tmp/c.py")
    (project / ".gitignore").write_text("*.gen.py\nsub/tmp/\n")

    assert shown(collect(project, "sub")) == ["sub/a.py"]


def test_gitignore_applies_to_explicit_files(project: Path) -> None:
    make(project, ".git/", "a.py", "b.gen.py", "logs/c.py")
    (project / ".gitignore").write_text("*.gen.py\nlogs/\n")

    # Same answer as a folder walk, so pre-commit and `methodlint .` agree.
    assert shown(collect(project, "a.py", "b.gen.py", "logs/c.py")) == ["a.py"]


def test_gitignore_up_to_the_repository_root_above_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, ".git/", "proj/a.py", "proj/cache/x.py")
    (tmp_path / ".gitignore").write_text("cache/\n")
    monkeypatch.chdir(tmp_path / "proj")

    assert shown(collect_files([], Config(root=tmp_path / "proj"))) == ["a.py"]


def test_without_repository_gitignore_is_read_from_the_config_folder_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "proj/a.py", "proj/b.py")
    (tmp_path / ".gitignore").write_text("a.py\n")  # above the project and no repository
    (tmp_path / "proj" / ".gitignore").write_text("b.py\n")
    monkeypatch.chdir(tmp_path / "proj")

    assert shown(collect_files([], Config(root=tmp_path / "proj"))) == ["a.py"]


def test_git_info_exclude_is_respected(project: Path) -> None:
    make(project, ".git/info/", "a.py", "local.py")
    (project / ".git" / "info" / "exclude").write_text("local.py\n")

    assert shown(collect(project)) == ["a.py"]


def test_respect_gitignore_false(project: Path) -> None:
    make(project, ".git/", "a.py", "b.gen.py", "logs/c.py")
    (project / ".gitignore").write_text("*.gen.py\nlogs/\n")

    selection = collect(project, respect_gitignore=False)

    assert shown(selection) == ["a.py", "b.gen.py", "logs/c.py"]
    assert shown(collect(project, "b.gen.py", respect_gitignore=False)) == ["b.gen.py"]


# --- explicit files ----------------------------------------------------------------------------


def test_explicit_files_are_checked_whatever_their_extension(project: Path) -> None:
    make(project, "bin/tool", "bin/other", "bin/notes.txt", "stubs/a.pyi", "b.py")

    selection = collect(project, "bin/tool", "bin", "stubs/a.pyi", "b.py")

    assert selection.files == [
        SourceFile(project / "b.py", "b.py", explicit=True),
        SourceFile(project / "bin/tool", "bin/tool", explicit=True),
        SourceFile(project / "stubs/a.pyi", "stubs/a.pyi", explicit=True),
    ]


def test_missing_path_raises(project: Path) -> None:
    make(project, "a.py")

    with pytest.raises(PathError) as raised:
        collect(project, "a.py", "nope.py")
    assert str(raised.value) == "path 'nope.py' does not exist"


def test_same_file_given_twice_appears_once(project: Path) -> None:
    make(project, "a.py", "pkg/b.py")

    selection = collect(project, "a.py", "./a.py", str(project / "a.py"), ".", "pkg", "pkg/b.py")

    assert selection.files == [
        SourceFile(project / "a.py", "a.py", explicit=True),
        SourceFile(project / "pkg/b.py", "pkg/b.py", explicit=True),
    ]


def test_symlinked_file_is_followed_and_counted_once(project: Path) -> None:
    make(project, "a.py", "elsewhere/real.py")
    (project / "alias.py").symlink_to(project / "a.py")
    (project / "link.py").symlink_to(project / "elsewhere" / "real.py")

    selection = collect(project, "alias.py", ".")

    # Same file through two names: once, under the smallest display path.
    assert shown(selection) == ["a.py", "elsewhere/real.py"]
    assert selection.files[0].explicit


# --- symlinks and unreadable folders ------------------------------------------------------------


def test_symlink_loop_is_skipped(project: Path) -> None:
    make(project, "pkg/a.py", "pkg/sub/b.py")
    (project / "pkg" / "sub" / "up").symlink_to(project / "pkg", target_is_directory=True)
    (project / "pkg" / "self").symlink_to(Path("."), target_is_directory=True)

    selection = collect(project)

    assert shown(selection) == ["pkg/a.py", "pkg/sub/b.py"]
    assert selection.skipped == [("pkg/self", "symlink loop"), ("pkg/sub/up", "symlink loop")]


def test_symlink_cycle_through_two_folders_terminates(project: Path) -> None:
    make(project, "a/x.py", "b/y.py")
    (project / "a" / "to_b").symlink_to(project / "b", target_is_directory=True)
    (project / "b" / "to_a").symlink_to(project / "a", target_is_directory=True)

    selection = collect(project)

    assert sorted({source.path.resolve() for source in selection.files}) == [
        project / "a" / "x.py",
        project / "b" / "y.py",
    ]
    assert ("a/to_b/to_a", "symlink loop") in selection.skipped


def test_symlinked_folder_outside_the_tree_is_followed(project: Path) -> None:
    make(project, "outside/lib.py", "src/a.py")
    (project / "src" / "vendor").symlink_to(project / "outside", target_is_directory=True)

    assert shown(collect(project, "src")) == ["src/a.py", "src/vendor/lib.py"]


def test_an_unreadable_folder_is_reported_as_unlistable(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, where chmod 000 does not stop reading: refuse the listing instead.
    make(project, "a.py", "locked/b.py", "open/c.py")
    real_scandir = os.scandir
    locked = str(project / "locked")

    def scandir(path: str) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)

    selection = collect(project)
    assert shown(selection) == ["a.py", "open/c.py"]
    assert selection.unlistable == [("locked", "permission denied")]
    assert selection.skipped == []

    given = collect(project, "locked")
    assert given.files == []
    assert given.unlistable == [("locked", "permission denied")]


# --- display paths and standard input -------------------------------------------------------------


def test_display_path(tmp_path: Path) -> None:
    cwd = tmp_path / "work"

    assert display_path(Path("src/a.py"), cwd) == "src/a.py"
    assert display_path(Path("./src/../a.py"), cwd) == "a.py"
    assert display_path(cwd / "src" / "a.py", cwd) == "src/a.py"
    assert display_path(Path("."), cwd) == "."
    assert display_path(Path("../x.py"), cwd) == "../x.py"
    assert display_path(tmp_path / "x.py", cwd) == (tmp_path / "x.py").as_posix()


def test_display_paths_outside_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "proj/a.py", "other/b.py", "other/sub/c.py")
    monkeypatch.chdir(tmp_path / "proj")
    config = Config(root=tmp_path / "proj")

    assert shown(collect_files(["../other"], config)) == ["../other/b.py", "../other/sub/c.py"]
    absolute = (tmp_path / "other").as_posix()
    assert shown(collect_files([absolute], config)) == [f"{absolute}/b.py", f"{absolute}/sub/c.py"]
    assert shown(collect_files([str(tmp_path / "proj")], config)) == ["a.py"]


def test_cwd_argument_is_used_for_relative_paths(tmp_path: Path) -> None:
    make(tmp_path, "proj/src/a.py")

    selection = collect_files(["src"], Config(root=tmp_path / "proj"), cwd=tmp_path / "proj")

    assert selection.files == [SourceFile(tmp_path / "proj/src/a.py", "src/a.py", explicit=False)]


def test_standard_input(project: Path) -> None:
    make(project, "a.py")

    assert collect(project, "-").files == [SourceFile(Path("-"), "-", explicit=True)]
    named = collect_files(["-", "a.py"], Config(root=project), stdin_filename="./src/new.py")
    assert named.files == [
        SourceFile(project / "a.py", "a.py", explicit=True),
        SourceFile(Path("-"), "src/new.py", explicit=True),
    ]


def test_standard_input_filename_is_excluded_like_a_file(project: Path) -> None:
    make(project, ".git/")
    (project / ".gitignore").write_text("*.gen.py\n")
    config = Config(root=project)

    assert collect_files(["-"], config, stdin_filename="build/new.py").files == []
    assert collect_files(["-"], config, stdin_filename="new.gen.py").files == []


# --- per-file-ignores ----------------------------------------------------------------------------


def test_per_file_ignores(project: Path) -> None:
    config = Config(
        root=project,
        per_file_ignores=(
            ("tests/**", ("ML401",)),
            ("*.pyi", ("ML1", "ML401")),
            ("!src/**", ("ML10",)),
        ),
    )
    ignores = PerFileIgnores(config)

    assert ignores.selectors_for(Path("tests/test_a.py")) == ("ML401", "ML10")
    assert ignores.selectors_for(Path("tests/unit/stubs.pyi")) == ("ML401", "ML1", "ML10")
    assert ignores.selectors_for(project / "tests" / "unit" / "x.py") == ("ML401", "ML10")
    assert ignores.selectors_for(Path("src/a.pyi")) == ("ML1", "ML401")
    assert ignores.selectors_for(Path("src/a.py")) == ()
    # `tests/**` is anchored to the configuration's folder.
    assert ignores.selectors_for(Path("src/tests/a.py")) == ()


def test_per_file_ignores_relative_to_the_configuration_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "proj/tests/")
    monkeypatch.chdir(tmp_path / "proj" / "tests")
    config = Config(
        root=tmp_path / "proj", per_file_ignores=(("tests/**", ("ML401",)), ("*.pyi", ("ML1",)))
    )
    ignores = PerFileIgnores(config)

    assert ignores.selectors_for(Path("test_a.py")) == ("ML401",)
    # Outside the configuration's folder only name patterns apply.
    assert ignores.selectors_for(tmp_path / "elsewhere" / "tests" / "x.pyi") == ("ML1",)


def test_no_per_file_ignores(project: Path) -> None:
    assert PerFileIgnores(Config(root=project)).selectors_for(Path("a.py")) == ()
