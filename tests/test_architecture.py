"""Structure the package promises: lazy heavy imports, no import cycles, small modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tsforecast"


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_tsforecast_loads_neither_torch_nor_lightning():
    loaded = _run("import sys, tsforecast; tsforecast.__version__; "
                  "print(sorted(m for m in ('torch', 'lightning', 'sklearn', 'statsforecast') "
                  "if m in sys.modules))")
    assert loaded == "[]"


def test_classical_models_run_without_torch():
    loaded = _run(
        "import sys, numpy as np, pandas as pd, tsforecast as tsf\n"
        "df = pd.DataFrame({'y': np.arange(50.0)}, index=pd.date_range('2024', periods=50))\n"
        "tsf.make_forecaster('seasonal_naive', horizon=3).fit(df).predict()\n"
        "tsf.NaiveForecaster(horizon=3).fit(df).backtest(df)\n"
        "print('torch' in sys.modules, 'lightning' in sys.modules)"
    )
    assert loaded == "False False"


def test_public_names_match_the_registry():
    """``tsf.<Name>Forecaster`` is every registered forecaster by its class name, and the
    package lists no other model: the names are derived, not kept by hand."""
    import tsforecast as tsf

    registered = {tsf.get_forecaster(n).__name__: tsf.get_forecaster(n)
                  for n in tsf.list_forecasters()}
    assert len(registered) == len(tsf.list_forecasters())  # class names are unique
    for class_name, cls in registered.items():
        assert getattr(tsf, class_name) is cls
        assert getattr(tsf.forecasters, class_name) is cls
    bases = {"BaseForecaster", "NeuralForecaster"}
    for names in (dir(tsf), tsf.__all__, tsf.forecasters.__all__):
        assert {n for n in names if n.endswith("Forecaster")} == {*registered, *bases}
    with pytest.raises(AttributeError, match="has no attribute 'ProphetForecaster'"):
        tsf.ProphetForecaster  # noqa: B018
    for removed in ("metrics", "NEURAL", "BASELINES"):  # 0.1.0's shims (CHANGELOG.md)
        assert not hasattr(tsf, removed) and not hasattr(tsf.forecasters, removed)


def test_cli_help_is_fast_and_light():
    code = ("import sys, time; t = time.perf_counter(); from tsforecast.cli import main\n"
            "for argv in (['--help'], ['benchmark', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "print(); print(time.perf_counter() - t, sorted(m for m in ('torch', 'lightning', "
            "'pandas', 'sklearn', 'matplotlib') if m in sys.modules))")
    seconds, heavy = _run(code).splitlines()[-1].split(" ", 1)
    assert heavy == "[]" and float(seconds) < 1.0


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str) -> set[str]:
    """Modules ``name`` imports, at the top or inside functions (a lazy import is still a
    dependency); only ``TYPE_CHECKING`` blocks do not count."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.FunctionDef
                          | ast.AsyncFunctionDef | ast.ClassDef):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    target = f"{base}.{node.module}" if node.module else base
                else:
                    target = node.module
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.add(sub if _exists(sub) else target)

    visit(tree.body)
    return {m for m in found if m.startswith("tsforecast") and m != name}


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def test_no_import_cycles():
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        graph[name] = _imports(path, name)
    state: dict[str, int] = {}

    def walk(node, stack):
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            if nxt not in state:
                walk(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])


def test_no_module_over_500_lines():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines())
             for p in PACKAGE.rglob("*.py")}
    assert {k: v for k, v in sizes.items() if v > 500} == {}
