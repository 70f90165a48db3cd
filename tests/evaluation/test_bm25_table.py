"""BM25 has no embedding size: one line in the comparison table, not a copy under each size."""

from __future__ import annotations

from embedding.cli import main
from embedding.evaluation.results import read_results
from embedding.evaluation.table import comparison_rows


def test_bm25_gets_one_line_beside_a_model_at_several_sizes(tiny_model, data_dir, tmp_path, capsys):
    # Given a model at two sizes and the BM25 baseline on one task
    out = tmp_path / "out"
    argv = ["evaluate", "--model", str(tiny_model), "--model", "bm25", "--task", "ir"]
    argv += ["--dataset", str(data_dir / "efaq"), "--dimensions", "16,32", "--output-dir", str(out)]

    # When it is evaluated
    assert main(argv) == 0
    printed = capsys.readouterr().out

    # Then the table has one BM25 line per metric (dim "-"), and the model's lines have no BM25 value
    models, lines = comparison_rows(read_results(out))
    assert models == [str(tiny_model), "bm25"]
    assert [line[3] for line in lines if line[-1] is not None] == [None] * len({line[4] for line in lines})
    assert {line[3] for line in lines if line[-2] is not None} == {16, 32}
    # and so does the printed table: the BM25 column is filled on the "-" lines only
    cells = [[c.strip() for c in x.split("│")[1:-1]] for x in printed.splitlines() if x.startswith("│")]
    filled = [row for row in cells if row[-1]]
    assert filled and len(filled) == len([line for line in lines if line[3] is None])
    assert cells[cells.index(filled[0])][3] == "-" and not any(row[-2] for row in filled)
