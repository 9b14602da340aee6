"""The README's and the docs' results tables are what ``python -m experiments.tables`` makes of
``results/*.json`` (JSON → markdown only: no JAX work, well under a second)."""
from __future__ import annotations

import re
import shutil

import pytest

from experiments import tables
from experiments.tables import BLOCK, DOCS, GENERATORS, ROOT, Results, render, stale


@pytest.mark.parametrize("doc", DOCS)
def test_committed_tables_match_the_results_files(doc):
    """Fails naming the file and the table: run `make tables` (and commit) after new results."""
    text = (ROOT / doc).read_text()
    fresh = list(BLOCK.finditer(render(text, Results(ROOT / "results"))))
    differ = [old.group("name") for old, new in zip(BLOCK.finditer(text), fresh) if old.group("body") != new.group("body")]
    assert not differ, f"{doc}: {', '.join(differ)} differ from `python -m experiments.tables` (run `make tables`)"


def test_every_generator_is_shown_and_every_marker_has_one():
    used = {m.group("name") for doc in DOCS for m in BLOCK.finditer((ROOT / doc).read_text())}
    assert used == set(GENERATORS), (sorted(set(GENERATORS) - used), sorted(used - set(GENERATORS)))


def test_the_readme_shows_its_tables():
    readme = (ROOT / "README.md").read_text()
    for name in ("experiments", "paper-scale", "kodak-quick", "audio-quick"):
        assert f"<!-- table:{name} -->" in readme


def test_a_stale_table_is_found_and_rewritten(tmp_path):
    """A hand-edited number is reported (file, table) by ``stale`` and restored by ``rewrite``."""
    for doc in DOCS:
        (tmp_path / doc).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / doc, tmp_path / doc)
    shutil.copytree(ROOT / "results", tmp_path / "results", ignore=shutil.ignore_patterns("*.wav", "*.png"))
    readme = tmp_path / "README.md"
    good = readme.read_text()
    body = re.search(r"<!-- table:kodak-quick -->.*?<!-- /table -->", good, re.S).group(0)
    number = re.search(r"\d+\.\d\d ± \d+\.\d\d", body).group(0)          # the table's first mean ± std
    edited = number.replace(number.split(" ")[0], f"{float(number.split(' ')[0]) + 0.01:.2f}")
    readme.write_text(good.replace(body, body.replace(number, edited, 1)))
    assert stale(tmp_path) == [("README.md", "kodak-quick")]
    assert tables.rewrite(tmp_path) == [("README.md", "kodak-quick")]
    assert readme.read_text() == good and stale(tmp_path) == []


def test_an_unknown_marker_is_an_error():
    with pytest.raises(KeyError, match="no-such-table"):
        render("<!-- table:no-such-table -->\n<!-- /table -->", Results(ROOT / "results"))


def test_figures_are_computed_from_the_files():
    """Spot checks against values computed by hand from the committed JSON."""
    r = Results(ROOT / "results")
    # audio-quick, SIREN² repo minus notebook per clip: 6.99, 2.60, 5.67, 5.05 dB above, gt_counting below
    assert GENERATORS["audio-notebook-gap"](r).startswith("2.6–7.0 dB below")
    # bench-cpu scaling exponent over all widths is 1.51 (the 1.71 is the last two widths only)
    assert "width^1.51" in GENERATORS["bench-exponents"](r)
    # mnist-quick ran in 236 s
    assert "| 3 min 56 s;" in GENERATORS["experiments"](r)


def test_many_fields_after_a_rerun_reads_like_against_like(tmp_path):
    """Once a run stores per-row baselines, the headline divides devices=2 by two sequential processes."""
    import json  # noqa: PLC0415

    bench = json.loads((ROOT / "results" / "bench-cpu.json").read_text())
    for row in bench["many_fields"]["rows"]:
        two = row["mode"] == "devices=2"
        row["baseline"] = "2 sequential processes at once" if two else "sequential fits in one process"
        row["ratio_vs_baseline"] = row["ratio_vs_sequential"] / (1.5 if two else 1.0)
    (tmp_path / "bench-cpu.json").write_text(json.dumps(bench))
    text = GENERATORS["bench-many-best"](Results(tmp_path))
    assert text.startswith("**1.44×** as many fields per second as 2 sequential processes at once"), text
    assert "× its baseline" in GENERATORS["bench-many-fields"](Results(tmp_path))
