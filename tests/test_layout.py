"""The layout's rules, measured on the tree: sizes, the floor, import cycles, layers, test reach.

These are the limits the code is kept to (docs/decisions.md, "Layout"): no module over 700 lines,
no class over 400, no function over 120, at most six modules on the package's floor, no import
cycle between modules (imports under TYPE_CHECKING and inside functions count), each layer
importing only the layers its package docstring names, at least 80 % of the modules imported by
some test, no web client file over 600 lines, and aiohttp known only to http, ops.serve and the
client.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "roomcast"
TESTS = REPO / "tests"

MAX_MODULE_LINES = 700
MAX_CLASS_LINES = 400
MAX_FUNCTION_LINES = 120
MAX_FLOOR_MODULES = 6
MAX_WEB_FILE_LINES = 600
MIN_TESTED_SHARE = 0.8

# What each layer may import besides itself (roomcast.<name>). The floor modules (record, clock,
# ratelimit) import nothing of roomcast but record.
LAYERS: dict[str, set[str]] = {
    "record": set(),
    "clock": set(),
    "outage": set(),
    "ratelimit": {"record"},
    "wire": {"record"},
    "store": {"wire", "record", "outage"},
    "broker": {"redis", "record"},
    "presence": {"redis", "record", "outage"},
    "redis": {"record", "outage"},
    "auth": {"wire", "store", "clock", "record", "config"},
    "moderation": {"wire", "auth", "store", "clock", "record"},
    "chat": {
        "outage",
        "wire",
        "auth",
        "moderation",
        "store",
        "broker",
        "presence",
        "clock",
        "ratelimit",
        "record",
        "config",
        "metrics",
    },
    "transport": {
        "wire",
        "chat",
        "auth",
        "store",
        "clock",
        "ratelimit",
        "record",
        "config",
        "metrics",
    },
    "http": {
        "wire",
        "chat",
        "moderation",
        "auth",
        "store",
        "broker",
        "presence",
        "transport",
        "clock",
        "ratelimit",
        "record",
        "config",
        "metrics",
    },
    "ops": set(),  # may import every layer: filled in below
    "client": {"wire", "record"},
    "terminal": {"client", "wire", "record"},
    "__main__": {"ops"},
}


LAYERS["ops"] = (set(LAYERS) | {"config", "metrics"}) - {"ops", "__main__", "client"}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(path: Path, package: str) -> Iterator[str]:
    """The roomcast modules a file imports, anywhere in it (functions and TYPE_CHECKING too)."""
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` imports the module; any other name, the package.
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("roomcast"):
                yield name


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _graph() -> dict[str, set[str]]:
    return {
        module: set(_imported(path, _package_of(module, path))) - {module}
        for module, path in MODULES.items()
    }


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[1:2] == ["ops"] and len(parts) > 2 and parts[2] in {"config", "metrics"}:
        return parts[2]
    return parts[1] if len(parts) > 1 else "roomcast"


def _sized(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            yield type(node).__name__ + " " + node.name, node.end_lineno - node.lineno + 1


def test_modules_classes_and_functions_stay_small() -> None:
    too_big = []
    for module, path in MODULES.items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_big.append(f"{module}: {lines} lines")
        for what, length in _sized(path):
            limit = MAX_CLASS_LINES if what.startswith("ClassDef") else MAX_FUNCTION_LINES
            if length > limit:
                too_big.append(f"{module}: {what} {length} lines")
    assert not too_big


def test_the_floor_holds_few_modules() -> None:
    floor = [p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "__main__.py"}]
    assert len(floor) <= MAX_FLOOR_MODULES, floor


def test_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles


def test_each_layer_imports_only_what_it_may() -> None:
    strays = []
    for module, targets in _graph().items():
        layer = _layer(module)
        allowed = LAYERS.get(layer)
        if allowed is None:
            continue
        for target in targets:
            other = _layer(target)
            if other not in {layer, "roomcast"} and other not in allowed:
                strays.append(f"{module} -> {target}")
    assert not strays


@pytest.mark.parametrize("package", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
def test_every_package_says_what_it_owns(package: str) -> None:
    assert ast.get_docstring(_tree(PACKAGE / package / "__init__.py"))


def test_most_modules_are_imported_by_a_test() -> None:
    tested: set[str] = set()
    for path in TESTS.rglob("*.py"):
        tested.update(_imported(path, "tests"))
    counted = [m for m, p in MODULES.items() if p.name not in {"__init__.py", "__main__.py"}]
    untested = sorted(set(counted) - tested)
    share = 1 - len(untested) / len(counted)
    assert share >= MIN_TESTED_SHARE, untested


def test_web_client_files_stay_small() -> None:
    too_big = {
        path.name: lines
        for path in (PACKAGE / "web").rglob("*")
        if path.suffix in {".js", ".css", ".html"}
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_WEB_FILE_LINES
    }
    assert not too_big


def test_only_the_http_layer_and_the_client_know_aiohttp() -> None:
    def imports_aiohttp(path: Path) -> bool:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Import) and any(
                a.name.split(".")[0] == "aiohttp" for a in node.names
            ):
                return True
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "aiohttp":
                return True
        return False

    knowing = {m for m, path in MODULES.items() if imports_aiohttp(path)}
    allowed = {m for m in knowing if m.split(".")[1] in {"http", "client"}} | {"roomcast.ops.serve"}
    assert knowing - allowed == set()
    assert "roomcast.ops.serve" in knowing  # the check sees imports at all
