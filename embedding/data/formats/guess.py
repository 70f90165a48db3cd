"""Which format a table of someone's own data is, and which of its columns play which part, proven from the rows.

`embedding init --from-data` and the "cannot tell the data format" message both ask `propose`: it looks at the
column types and the values (lists of texts, numbers, how many distinct values, how long the texts are) and
returns the format, the `preprocess_args.columns` mapping and, for each decision, the evidence in words. Names
help only to break ties (a `question` column is the anchor rather than an `answer` column); a decision that the
rows cannot support is not made: `propose` returns None and the caller says what each format needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..groups import shared_positives
from . import FORMATS, detect

ANCHOR_NAMES = ("question", "query", "anchor", "q", "prompt", "input", "sentence", "sentence1", "title", "pergunta")
POSITIVE_NAMES = ("answer", "positive", "response", "passage", "document", "doc", "context", "reply", "resposta")
LABEL_NAMES = ("label", "intent", "category", "class", "tag", "topic", "labels", "intencao", "categoria")
SCORE_NAMES = ("score", "similarity", "relatedness", "rating", "sim")
LABEL_MAX_WORDS = 4  # a label is a short name ("billing", "card_lost"), not a sentence
SAMPLE_ROWS = 100_000  # enough rows to prove a shape; a larger file is judged on its first rows


@dataclass
class Proposal:
    """A format and the mapping {format's column: the data's column} that loads the data, and why."""

    format: str
    columns: dict[str, str]
    reasons: list[str] = field(default_factory=list)
    shared: tuple[int, int] | None = None  # (positives shared by several anchors, most anchors sharing one)
    labels: int | None = None  # distinct labels (labeled data)

    @property
    def objective(self) -> str:
        return "similarity" if self.format == "scored-pairs" else "contrastive"

    def preprocess_args(self) -> dict[str, Any]:
        renames = {ours: theirs for ours, theirs in self.columns.items() if ours != theirs}
        return {"format": self.format, **({"columns": renames} if renames else {})}


@dataclass
class _Column:
    name: str
    kind: str  # text | list | number | other
    distinct: int = 0
    mean_chars: float = 0.0
    mean_words: float = 0.0
    repeated: bool = False  # some value occurs in more than one row
    low: float = 0.0
    high: float = 0.0
    integers: bool = False


def _profile(table) -> list[_Column]:
    import pyarrow as pa
    import pyarrow.compute as pc

    out = []
    for name in table.column_names:
        column = table.column(name).drop_null()
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            values = pc.utf8_trim_whitespace(column)
            chars = pc.utf8_length(values)
            words = pc.list_value_length(pc.utf8_split_whitespace(values))
            distinct = len(pc.unique(values))
            out.append(_Column(name, "text", distinct, _mean(chars), _mean(words), repeated=distinct < len(values)))
        elif (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and pa.types.is_string(kind.value_type):
            out.append(_Column(name, "list", mean_words=_mean(pc.list_value_length(column))))
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
            low, high = (float(v.as_py()) if v.as_py() is not None else 0.0 for v in pc.min_max(column).values())
            integers = pa.types.is_integer(kind) or bool(pc.all(pc.equal(column, pc.round(column))).as_py())
            distinct = len(pc.unique(column))
            out.append(
                _Column(
                    name, "number", distinct, low=low, high=high, integers=integers, repeated=distinct < len(column)
                )
            )
        else:
            out.append(_Column(name, "other"))
    return out


def _mean(values) -> float:
    import pyarrow.compute as pc

    mean = pc.mean(values).as_py()
    return float(mean or 0.0)


def _named(columns: list[_Column], names: tuple[str, ...]) -> _Column | None:
    """The first column whose lower-cased name is one of `names` (in the order of `names`)."""
    by_name = {c.name.lower().strip(): c for c in columns}
    return next((by_name[n] for n in names if n in by_name), None)


def propose(table) -> Proposal | None:
    """The format and column mapping `table` (a pyarrow Table of the data's rows) loads as, or None."""
    known = detect(table.column_names)
    if known is not None and known != "beir":
        optional = ("almost_similar", "dissimilar") if known == "efaq" else ()  # hard negatives, when present
        mapping = {c: c for c in (*FORMATS[known].columns, *optional) if c in table.column_names}
        return Proposal(known, mapping, [f"the columns {', '.join(mapping)} are those of format `{known}`"])
    profile = _profile(table.slice(0, SAMPLE_ROWS))
    texts = [c for c in profile if c.kind == "text" and c.distinct > 0]
    lists = [c for c in profile if c.kind == "list"]
    numbers = [c for c in profile if c.kind == "number"]
    if lists and texts:
        return _efaq(texts, lists)
    scores = _scores(numbers)
    if len(texts) >= 2 and scores and not _label_like(_named(numbers, LABEL_NAMES), len(table)):
        return _scored(texts, scores)
    label = _label_column(texts, numbers, len(table))
    if label is not None:
        others = [c for c in texts if c is not label]
        if others:
            return _labeled(max(others, key=lambda c: c.distinct), label, len(table))
    if len(texts) >= 2:
        return _pairs(texts, table)
    return None


def _efaq(texts: list[_Column], lists: list[_Column]) -> Proposal:
    sentence = _named(texts, ANCHOR_NAMES) or texts[0]
    similar = _named(lists, ("similar", "paraphrases", "similars", "variations", "questions")) or lists[0]
    mapping = {"sentence": sentence.name, "similar": similar.name}
    reasons = [
        f"`{similar.name}` holds lists of texts ({similar.mean_words:.1f} per row on average) beside the text "
        f"column `{sentence.name}`: the e-faq shape, a question and its paraphrases"
    ]
    for ours, hints in (("almost_similar", ("almost_similar", "hard_negatives")), ("dissimilar", ("dissimilar",))):
        found = _named([c for c in lists if c is not similar], hints)
        if found is not None:
            mapping[ours] = found.name
            reasons.append(f"`{found.name}` (lists of texts) are its {ours.replace('_', ' ')} texts: hard negatives")
    return Proposal("efaq", mapping, reasons)


def _scores(numbers: list[_Column]) -> list[_Column]:
    """Numbers that can be scores: named so, fractional, or a small repeating scale (0-5, 1-10); not ids."""
    named = _named(numbers, SCORE_NAMES)
    fits = [c for c in numbers if not c.integers or (c.repeated and c.high - c.low <= 10)]
    return ([named] if named else []) + [c for c in fits if c is not named]


def _scored(texts: list[_Column], numbers: list[_Column]) -> Proposal:
    score = _named(numbers, SCORE_NAMES) or next((c for c in numbers if not c.integers), numbers[0])
    first = _named(texts, ("sentence1", "text1", "text_a", "premise", *ANCHOR_NAMES)) or texts[0]
    second = _named([c for c in texts if c is not first], ("sentence2", "text2", "text_b", "hypothesis")) or next(
        c for c in texts if c is not first
    )
    return Proposal(
        "scored-pairs",
        {"sentence1": first.name, "sentence2": second.name, "score": score.name},
        [
            f"`{score.name}` is a number ({score.low:g} to {score.high:g}) beside the two text columns "
            f"`{first.name}` and `{second.name}`: scored pairs, the score says how alike the two texts are "
            "(used as given: the CoSENT loss and the Spearman metric need only their order)"
        ],
    )


def _label_like(column: _Column | None, rows: int) -> bool:
    return column is not None and column.repeated and column.distinct <= rows // 2


def _label_column(texts: list[_Column], numbers: list[_Column], rows: int) -> _Column | None:
    """A column whose values repeat and are short names, not sentences: named like a label first."""
    candidates = [c for c in texts if c.mean_words <= LABEL_MAX_WORDS] + [c for c in numbers if c.integers]
    named = _named(candidates, LABEL_NAMES)
    if _label_like(named, rows):
        return named
    short = [c for c in candidates if _label_like(c, rows) and c.kind == "text"]
    return min(short, key=lambda c: c.distinct) if short and len(texts) > 1 else None


def _labeled(text: _Column, label: _Column, rows: int) -> Proposal:
    proposal = Proposal(
        "labeled",
        {"text": text.name, "label": label.name},
        [
            f"`{label.name}` has {label.distinct:,} distinct values over {rows:,} rows"
            + (f", {label.mean_words:.1f} words on average" if label.kind == "text" else "")
            + f": a label; texts of one label are trained as paraphrases of each other (`{text.name}`: the texts)"
        ],
    )
    proposal.labels = label.distinct
    return proposal


def _pairs(texts: list[_Column], table) -> Proposal:
    import pyarrow as pa
    import pyarrow.compute as pc

    anchor = _named(texts, ANCHOR_NAMES)
    positive = _named([c for c in texts if c is not anchor], POSITIVE_NAMES)
    if anchor is None and positive is None:
        anchor, positive = sorted(texts[:2], key=lambda c: c.mean_chars)
        lengths = f"{anchor.mean_chars:.0f} vs {positive.mean_chars:.0f} characters"
        why = f"`{anchor.name}` is the shorter text on average ({lengths}): the query"
    else:
        anchor = anchor or next(c for c in texts if c is not positive)
        positive = positive or next(c for c in texts if c is not anchor)
        why = f"`{anchor.name}` is named like a query, `{positive.name}` like what it should find"
    mapping = {"anchor": anchor.name, "positive": positive.name}
    negatives = [c for c in texts if c not in (anchor, positive) and "neg" in c.name.lower()]
    for i, column in enumerate(negatives):
        mapping["negative" if i == 0 else f"negative_{i + 1}"] = column.name
    proposal = Proposal(
        "pairs",
        mapping,
        [f"two text columns, no label or score: each `{anchor.name}` learns to find its `{positive.name}`; {why}"]
        + ([f"{', '.join(f'`{c.name}`' for c in negatives)}: hard negatives (named so)"] if negatives else []),
    )
    proposal.shared = shared_positives(
        pc.cast(table.column(anchor.name), pa.large_string()), pc.cast(table.column(positive.name), pa.large_string())
    )
    return proposal


def mapping_text(proposal: Proposal) -> str:
    """`{format: pairs, columns: {anchor: question, positive: answer}}`: the preprocess_args that load the data."""
    args = proposal.preprocess_args()
    columns = args.get("columns")
    inner = f", columns: {{{', '.join(f'{k}: {v}' for k, v in columns.items())}}}" if columns else ""
    return f"{{format: {proposal.format}{inner}}}"


def load_hint(table, use: str) -> str | None:
    """ "they load as `pairs` with preprocess_args {format: pairs, columns: {...}} (why)" when the rows prove a
    format that can feed `use`; None otherwise (the caller then names the closest format by its columns)."""
    proposal = propose(table)
    if proposal is None or use not in FORMATS[proposal.format].args:
        return None
    return (
        f"the rows load as `{proposal.format}` with preprocess_args {mapping_text(proposal)} ({proposal.reasons[0]})"
    )
