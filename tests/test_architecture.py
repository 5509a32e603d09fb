"""The layers of docs/architecture.md hold: every import of our own modules, also the
ones inside functions, goes only to a layer the table allows."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "followup_xl"
BELOW = ("contract", "errors", "domain", "xlsx", "ledger", "report", "workbook", "jobs",
         "doors")
# layer -> the layers it may import besides itself (docs/architecture.md's table)
MAY_IMPORT = {
    "errors": set(),
    "contract": {"errors"},
    "domain": {"contract", "errors"},
    "xlsx": {"errors"},  # a library: it knows nothing of the contract
    "ledger": {"contract", "errors", "domain"},
    "report": {"contract", "errors", "domain", "xlsx"},  # xlsx.safefile: the atomic write
    "workbook": {"contract", "errors", "domain", "xlsx", "ledger"},
    "jobs": {"contract", "errors", "domain", "xlsx", "ledger", "report", "workbook"},
    "doors": set(BELOW) - {"doors"},
    "package": set(BELOW),  # followup_xl/__init__.py and __main__.py: the entry points
}
FOREIGN = {"domain": {"openpyxl", "xlwings", "docx", "matplotlib", "pandas"},
           "report": {"openpyxl", "xlwings"},
           "xlsx": {"openpyxl", "xlwings"}}
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def layer_of(module: str) -> str:
    parts = module.split(".")[1:]
    if parts == ["__version__"]:
        return "contract"  # the version is vocabulary too
    return parts[0] if parts and parts[0] in MAY_IMPORT else "package"


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every import in the module, with its line: 'followup_xl.domain.model', 'openpyxl'."""
    module = module_of(path)
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package
                package = module.split(".")[:-node.level]
                base = ".".join(package + ([base] if base else []))
            if base == "followup_xl":  # from followup_xl import contract as c
                out += [(node.lineno, f"followup_xl.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, base))
    return out


def test_every_module_is_in_a_layer_of_the_table():
    assert {layer_of(module_of(p)) for p in MODULES} == set(MAY_IMPORT)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path):
    own = layer_of(module_of(path))
    allowed = MAY_IMPORT[own] | {own}
    wrong = [f"line {line}: {name}" for line, name in imports_of(path)
             if (name.split(".")[0] == "followup_xl" and layer_of(name) not in allowed)
             or name.split(".")[0] in FOREIGN.get(own, ())]
    assert not wrong, f"{module_of(path)} imports across the layers: {wrong}"


# The house keeps its rooms small (issue 9: "no module over ~600 lines, no class over
# ~250"): the largest class, the SIE parser's state machine, is 251 lines.
MAX_MODULE_LINES, MAX_CLASS_LINES = 600, 255


@pytest.mark.parametrize("path", MODULES, ids=module_of)
def test_modules_and_classes_stay_small(path):
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_MODULE_LINES, module_of(path)
    classes = [(node.name, node.end_lineno - node.lineno + 1)
               for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ClassDef)]
    assert [(name, n) for name, n in classes if n > MAX_CLASS_LINES] == [], module_of(path)
