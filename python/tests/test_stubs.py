"""The type stubs (ssd_assign/__init__.pyi) describe the compiled module: the same public
names, and for each function and method the same parameters, in order, with the same
defaults."""

import ast
import inspect
from pathlib import Path

import ssd_assign

STUBS = Path(__file__).resolve().parents[1] / "ssd_assign" / "__init__.pyi"


def stub_tree():
    return ast.parse(STUBS.read_text())


def stub_params(fn):
    """(name, default as Python value or the string '<none>') of a stub function."""
    args = fn.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    out = [(a.arg, d) for a, d in zip(positional, defaults)]
    out += list(zip((a.arg for a in args.kwonlyargs), args.kw_defaults))
    return [(name, "<none>" if d is None else ast.literal_eval(d)) for name, d in out if name != "self"]


def runtime_params(obj):
    sig = inspect.signature(obj)
    return [
        (p.name, "<none>" if p.default is inspect.Parameter.empty else p.default)
        for p in sig.parameters.values()
        if p.name != "self"
    ]


def same_params(stub, runtime):
    """Equal names and defaults; PyO3 shows a default it cannot write (a tuple) as `...`."""
    return [n for n, _ in stub] == [n for n, _ in runtime] and all(
        r is Ellipsis or s == r for (_, s), (_, r) in zip(stub, runtime)
    )


def test_every_public_name_has_a_stub():
    tree = stub_tree()
    stubbed = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    public = {n for n in ssd_assign.__all__ if n != "__version__"}
    assert stubbed == public


def test_functions_and_methods_have_the_stubbed_parameters():
    checked = 0
    for node in stub_tree().body:
        if isinstance(node, ast.FunctionDef):
            assert same_params(stub_params(node), runtime_params(getattr(ssd_assign, node.name))), node.name
            checked += 1
        if isinstance(node, ast.ClassDef):
            cls = getattr(ssd_assign, node.name)
            for item in node.body:
                if not isinstance(item, ast.FunctionDef):
                    continue
                if any(isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list):
                    assert hasattr(cls, item.name), f"{node.name}.{item.name}"
                    continue
                target = cls if item.name == "__init__" else getattr(cls, item.name)
                assert same_params(stub_params(item), runtime_params(target)), f"{node.name}.{item.name}"
                checked += 1
    assert checked >= 7


def test_docstrings_are_there():
    for name in ("priors", "read_annotation", "audit"):
        assert getattr(ssd_assign, name).__doc__, name
    for name in ("encode", "encode_batch", "match"):
        assert getattr(ssd_assign.Assigner, name).__doc__, name
    assert ssd_assign.Assigner.__doc__ and ssd_assign.__doc__
