"""Which configuration applies to each file: the closest configuration file above it, as in
ruff, so that every sub-project of a monorepo keeps its settings wherever methodlint runs from.

`--config PATH` replaces discovery with one file for every file, `--isolated` with the
defaults; `--config KEY=VALUE` overrides and the command line's options are applied on top of
whichever configuration a file gets.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from methodlint.config import Config, ConfigError, config_file_in, load_config


class ConfigResolver:
    """Finds and loads configurations, each folder and each file once."""

    def __init__(
        self,
        *,
        config_file: str | None = None,
        overrides: Mapping[str, Any] | None = None,
        isolated: bool = False,
        adjust: Callable[[Config], Config] = lambda config: config,
        cwd: Path | None = None,
    ) -> None:
        self.cwd = Path(os.path.abspath(cwd or Path.cwd()))
        self.overrides = dict(overrides or {})
        self.adjust = adjust
        self.isolated = isolated
        self.fixed: Config | None = None
        if config_file is not None:
            path = Path(config_file)
            if not path.is_file():
                raise ConfigError(f"configuration file {config_file!r} does not exist")
            self.fixed = adjust(load_config(path, self.overrides))
        elif isolated:
            self.fixed = adjust(Config.from_mapping(self.overrides, root=self.cwd))
        self._by_folder: dict[Path, Config] = {}
        self._by_file: dict[Path | None, Config] = {}

    def for_folder(self, folder: Path) -> Config:
        """The configuration of the closest file from `folder` upwards (the defaults, rooted at
        the current folder, when there is none)."""
        if self.fixed is not None:
            return self.fixed
        folder = Path(os.path.abspath(folder))
        trail: list[Path] = []
        config: Config | None = None
        for current in (folder, *folder.parents):
            known = self._by_folder.get(current)
            if known is not None:
                config = known
                break
            trail.append(current)
            found = config_file_in(current)
            if found is not None:
                config = self._load(found)
                break
        if config is None:
            config = self._load(None)
        for current in trail:
            self._by_folder[current] = config
        return config

    def for_file(self, path: Path | str) -> Config:
        """The configuration for a file (absolute, or relative to the current folder)."""
        return self.for_folder((self.cwd / path).parent)

    def _load(self, found: Path | None) -> Config:
        key = found.resolve() if found is not None else None
        config = self._by_file.get(key)
        if config is None:
            if key is None:
                config = Config.from_mapping(self.overrides, root=self.cwd)
            else:
                config = load_config(key, self.overrides)
            config = self.adjust(config)
            self._by_file[key] = config
        return config


def describe(config: Config) -> str:
    """Where a configuration came from, for --verbose and --show-settings."""
    if config.source is None:
        return "no configuration file (the defaults)"
    return str(config.source)
