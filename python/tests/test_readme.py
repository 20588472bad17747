"""The README's Python section: its Dataset example is python/examples/augmented_dataset.py,
word for word, and it runs (with torch if installed, else with a stand-in for the three torch
names it uses, since neither the package nor its tests need torch)."""

import re
import runpy
import sys
import types

import numpy as np

from conftest import REPO

EXAMPLE = REPO / "python" / "examples" / "augmented_dataset.py"


def test_readme_shows_the_example_file():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert EXAMPLE.read_text() in blocks, "README.md's Dataset example differs from python/examples/augmented_dataset.py"


def stand_in_torch():
    """torch.from_numpy, Dataset and a DataLoader that stacks batches, as torch's default."""

    class DataLoader:
        def __init__(self, dataset, batch_size):
            self.dataset, self.batch_size = dataset, batch_size

        def __iter__(self):
            for start in range(0, len(self.dataset), self.batch_size):
                items = [self.dataset[i] for i in range(start, min(start + self.batch_size, len(self.dataset)))]
                yield tuple(np.stack(column) for column in zip(*items))

    torch = types.ModuleType("torch")
    torch.from_numpy = lambda a: a
    torch.utils = types.ModuleType("torch.utils")
    torch.utils.data = types.ModuleType("torch.utils.data")
    torch.utils.data.Dataset = object
    torch.utils.data.DataLoader = DataLoader
    return {"torch": torch, "torch.utils": torch.utils, "torch.utils.data": torch.utils.data}


def test_the_example_runs_and_its_targets_are_encode_rows(monkeypatch, capsys):
    try:
        import torch  # noqa: F401
    except ImportError:
        for name, module in stand_in_torch().items():
            monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.chdir(REPO)
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("(4, 441) (4, 441, 4) ") and lines[0].endswith(" positives"), lines
    assert len(lines) == 2  # 8 files, batches of 4

    # A sample is its augmented boxes encoded: the same call with the same random draws.
    example = runpy.run_path(str(EXAMPLE))
    files = sorted(str(p) for p in (REPO / "fixtures" / "voc-mini" / "Annotations").glob("*.xml"))
    data = example["AugmentedVOC"](files, images=REPO / "fixtures" / "voc-mini" / "JPEGImages", seed=7)
    twin = example["AugmentedVOC"](files, images=REPO / "fixtures" / "voc-mini" / "JPEGImages", seed=7)
    classes, locs = data[0]
    boxes, labels = twin.augment(twin.samples[0]["boxes"], twin.samples[0]["labels"])
    want = twin.assigner.encode(boxes, labels)
    assert np.array_equal(np.asarray(classes), want[0]) and np.array_equal(np.asarray(locs), want[1])
    assert (np.asarray(classes) > 0).any()


def test_readme_python_session_is_real_output(monkeypatch):
    """The `>>>` session of the README's Python section, run as a doctest."""
    import doctest

    readme = (REPO / "README.md").read_text()
    session = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if b.startswith(">>>"))
    monkeypatch.chdir(REPO)
    test = doctest.DocTestParser().get_doctest(session, {}, "README.md", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 10
