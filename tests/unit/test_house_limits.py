"""House limits of pipeline/ (issue 15 item 5): no module over 500 lines, no function over 80.

A function's length is its whole ``def`` (signature and docstring included) from the ``def``
line to its last line, as ``ast`` reports them; nested functions and methods count too.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "pipeline"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

# Known exceptions, each with its size when listed; remove an entry once the module is split.
MODULE_ALLOW: dict[str, int] = {}
FUNCTION_ALLOW: dict[str, int] = {}


def _modules() -> list[Path]:
    return sorted(PIPELINE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def long_modules(paths: list[Path], limit: int = MAX_MODULE_LINES) -> list[tuple[str, int]]:
    """(module, lines) of every module over ``limit`` lines."""
    sizes = ((_name(p), len(p.read_text(encoding="utf-8").splitlines())) for p in paths)
    return [(name, n) for name, n in sizes if n > limit]


def long_functions(paths: list[Path], limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    """("module:qualified.name", lines) of every function or method over ``limit`` lines."""
    out = []
    for p in paths:
        tree = ast.parse(p.read_text(encoding="utf-8"), filename=str(p))
        stack: list[tuple[ast.AST, str]] = [(tree, "")]
        while stack:
            node, prefix = stack.pop()
            for child in ast.iter_child_nodes(node):
                name = prefix
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = f"{prefix}{child.name}."
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = child.end_lineno - child.lineno + 1
                    if lines > limit:
                        out.append((f"{_name(p)}:{name[:-1]}", lines))
                stack.append((child, name))
    return sorted(out)


def test_the_walk_finds_modules_and_functions():
    assert len(_modules()) > 20
    here = [Path(__file__)]
    assert long_functions(here, limit=3) and not long_functions(here)
    assert long_modules(here, limit=10) and not long_modules(here)


def test_no_module_of_pipeline_over_500_lines():
    found = long_modules(_modules())
    over = [f"{name} ({n} lines)" for name, n in found if name not in MODULE_ALLOW]
    assert not over, f"modules over {MAX_MODULE_LINES} lines: {', '.join(over)}"
    grown = [f"{name} ({n} > {MODULE_ALLOW[name]} lines)" for name, n in found
             if name in MODULE_ALLOW and n > MODULE_ALLOW[name]]
    assert not grown, f"allow-listed modules grew: {', '.join(grown)}"


def test_no_function_of_pipeline_over_80_lines():
    found = long_functions(_modules())
    over = [f"{name} ({n} lines)" for name, n in found if name not in FUNCTION_ALLOW]
    assert not over, f"functions over {MAX_FUNCTION_LINES} lines: {', '.join(over)}"


def test_the_allow_lists_hold_only_real_exceptions():
    stale = [name for name in MODULE_ALLOW
             if not (ROOT / name).exists() or dict(long_modules(_modules())).get(name) is None]
    stale += [name for name in FUNCTION_ALLOW if name not in dict(long_functions(_modules()))]
    assert not stale, f"allow-listed but within the limits (remove them): {stale}"
