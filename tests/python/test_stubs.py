"""The type stubs (pathwise/_core.pyi) describe the extension exactly: every public name of the module
and of each class is in the stub, and nothing in the stub is missing from the module."""

import ast
import pathlib

import pathwise as pw
from pathwise import _core

STUB = pathlib.Path(pw.__file__).with_name("_core.pyi")
# Members pybind11 adds to every enum or map; not worth listing in stubs.
GENERATED = {"name", "value", "__members__"}


def stub_tree():
    assert STUB.is_file(), f"missing {STUB}"
    return ast.parse(STUB.read_text())


def public(names):
    return {n for n in names if not n.startswith("_")}


def test_stub_lists_every_module_name():
    tree = stub_tree()
    stubbed = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            stubbed.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            stubbed.add(node.target.id)
    module = {n for n in public(dir(_core)) if "[" not in n}  # bind_map views: ItemsView[...]
    assert public(stubbed) - module == set()
    assert module - public(stubbed) == set()


def test_stub_lists_every_class_member():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
            continue
        cls = getattr(_core, node.name)
        if issubclass(cls, BaseException):
            continue
        stubbed = set()
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                stubbed.add(item.name)
            elif isinstance(item, ast.AnnAssign):
                stubbed.add(item.target.id)
            elif isinstance(item, ast.Assign):
                stubbed.update(t.id for t in item.targets)
        real = public(dir(cls)) - GENERATED
        bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
        if "_Map" in bases:  # the bound maps: checked by the shared _Map stub
            continue
        assert public(stubbed) - GENERATED <= real, (node.name, public(stubbed) - real)
        assert real - public(stubbed) == set(), (node.name, real - public(stubbed))
