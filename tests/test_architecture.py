"""The package's layout keeps its promises: no import circles, networks import nothing above errors.py."""
import ast
from pathlib import Path

import tlgan

ROOT = Path(tlgan.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exists(name: str) -> bool:
    p = ROOT.parent.joinpath(*name.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def import_graph() -> dict[str, set[str]]:
    """Module -> the tlgan modules it imports (anywhere in the file, lazy imports included)."""
    graph = {}
    for path in ROOT.rglob("*.py"):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("tlgan")}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith("tlgan"):
                    continue
                subs = [f"{target}.{a.name}" for a in node.names if _exists(f"{target}.{a.name}")]
                deps |= set(subs) if subs else {target}
        graph[name] = {d for d in deps if d != name and _exists(d)}
    return graph


def test_import_graph_parser_sees_known_edges():
    g = import_graph()
    assert "tlgan.training.trainer" in g["tlgan.training.gan"]
    assert "tlgan.losses" in g["tlgan.training.gan"]  # `from .. import losses`
    assert "tlgan.models.registry" in g["tlgan.generator"]


def test_no_import_cycles():
    graph = import_graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                cycle = [*stack[stack.index(d):], d]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_models_import_nothing_above_errors():
    for name, deps in import_graph().items():
        if name.startswith("tlgan.models"):
            upward = sorted(d for d in deps if not d.startswith("tlgan.models") and d != "tlgan.errors")
            assert not upward, f"{name} imports {upward}: networks must not depend on higher layers"


def test_layers_import_downward_only():
    """The CLI and the server sit on top (only `python -m tlgan` imports them); training never imports latent/."""
    for name, deps in import_graph().items():
        if not name.startswith(("tlgan.cli", "tlgan.serve", "tlgan.__main__")):
            assert not [d for d in deps if d.startswith(("tlgan.cli", "tlgan.serve"))], name
        if name.startswith("tlgan.training"):
            assert not [d for d in deps if d.startswith(("tlgan.latent", "tlgan.anomaly"))], name


def test_every_public_function_and_class_says_what_it_does():
    """Every public function, class and method has a docstring, except a method that overrides a documented one of
    a base class (``forward``, a family's ``step``): the base says what it takes and returns."""
    import importlib
    import inspect
    missing = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.name == "__main__.py":   # importing it runs the CLI
            continue
        module = importlib.import_module(_module_name(path))
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) and not obj.__doc__:
                missing.append(f"{module.__name__}.{name}")
            if not inspect.isclass(obj):
                continue
            if not obj.__doc__:
                missing.append(f"{module.__name__}.{name}")
            for attr, member in vars(obj).items():
                member = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                overrides = any(attr in vars(base) for base in obj.__mro__[1:])
                if (not attr.startswith("_") and inspect.isfunction(member) and not member.__doc__
                        and not overrides):
                    missing.append(f"{module.__name__}.{name}.{attr}")
    assert not missing, "no docstring: " + ", ".join(missing)
