"""`python -m bench.screening`: how well and how fast the screening matcher finds listed parties.

Reads the labelled name pairs (tests/support/screening_pairs.csv: query, listed name and its
aliases separated by ";", whether they are the same party, kind), indexes every listed name of
the set, and prints precision and recall of `ScreeningIndex.match` at its default threshold and
of a baseline (the casefolded query equal to the listed name or an alias), measured in the same
run, with the pairs each one gets wrong. Then builds a synthetic list of ~15,000 names and times
the indexed match against a linear scan scoring every name, printing the time per match of both
and their ratio.
"""

import argparse
import csv
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from domain.screening.csl import CslEntry
from domain.screening.index import DEFAULT_MIN_SCORE, ScreeningIndex, ScreeningMatch

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "tests" / "support" / "screening_pairs.csv"
SYLLABLES_TEXT = (
    "al am an ar as ba be bo da de di do el en er fa fe ga go ha he ka ke ko la le li lo ma me "
    "mi mo na ne ni no or pa pe po ra re ri ro sa se si so ta te ti to ur va ve vo za ze zo"
)
SYLLABLES = tuple(SYLLABLES_TEXT.split())
WORDS_TEXT = (
    "Trading International Technology Group Holding Industries Import Export Electronics "
    "Engineering Logistics Shipping Machinery Research Institute Development Systems"
)
WORDS = tuple(WORDS_TEXT.split())
FORMS = ("LLC", "Ltd.", "Co., Ltd.", "GmbH", "OOO", "JSC", "S.A.", "Inc.", "Sdn Bhd", "")


@dataclass(frozen=True)
class Pair:
    """One labelled pair: a query, the listed names (primary first), and the label."""

    query: str
    listed: tuple[str, ...]
    expected: bool
    kind: str


@dataclass(frozen=True)
class Metrics:
    """Confusion counts over a pair set, and the pairs gotten wrong."""

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int
    wrong: tuple[Pair, ...]

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        relevant = self.true_positives + self.false_negatives
        return self.true_positives / relevant if relevant else 1.0


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    """The labelled pairs of `path`."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Pair(
                row["query"],
                tuple(n.strip() for n in row["listed"].split(";") if n.strip()),
                {"true": True, "false": False}[row["expected_match"].strip()],
                row["kind"],
            )
            for row in csv.DictReader(handle)
        ]


def pair_entries(pairs: list[Pair]) -> dict[tuple[str, ...], CslEntry]:
    """One entry per distinct listed name (with its aliases) of the pairs."""
    entries: dict[tuple[str, ...], CslEntry] = {}
    for pair in pairs:
        if pair.listed not in entries:
            name, *aliases = pair.listed
            entries[pair.listed] = CslEntry(
                f"P{len(entries)}", "pairs", name, tuple(aliases), None, (), ()
            )
    return entries


def evaluate(pairs: list[Pair], predict: Callable[[Pair], bool]) -> Metrics:
    """Precision and recall of `predict` (does the query match the pair's listed entry?)."""
    counts = {(True, True): 0, (False, True): 0, (True, False): 0, (False, False): 0}
    wrong = []
    for pair in pairs:
        predicted = predict(pair)
        counts[(predicted, pair.expected)] += 1
        if predicted != pair.expected:
            wrong.append(pair)
    return Metrics(
        counts[(True, True)],
        counts[(True, False)],
        counts[(False, True)],
        counts[(False, False)],
        tuple(wrong),
    )


def matcher(pairs: list[Pair], min_score: float = DEFAULT_MIN_SCORE) -> Callable[[Pair], bool]:
    """Predicts with an index of every listed name of `pairs`."""
    entries = pair_entries(pairs)
    index = ScreeningIndex.build(entries.values())

    def predict(pair: Pair) -> bool:
        wanted = entries[pair.listed].entry_id
        return any(m.entry_id == wanted for m in index.match(pair.query, min_score=min_score))

    return predict


def baseline(pair: Pair) -> bool:
    """The query, casefolded and trimmed, equal to the listed name or one of its aliases."""
    return pair.query.casefold().strip() in {n.casefold().strip() for n in pair.listed}


def synthetic_names(count: int, seed: int) -> list[str]:
    """`count` company- and person-like names, the same for the same seed."""
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()

    names = []
    for n in range(count):
        if n % 3 == 0:
            names.append(" ".join(word() for _ in range(rng.randint(2, 3))))
        else:
            parts = [word() for _ in range(rng.randint(1, 2))] + rng.sample(
                WORDS, rng.randint(0, 2)
            )
            names.append(" ".join([*parts, rng.choice(FORMS)]).strip())
    return names


def perturb(name: str, rng: random.Random) -> str:
    """The name with its words shuffled and one letter changed."""
    words = name.split()
    rng.shuffle(words)
    text = " ".join(words)
    at = rng.randrange(len(text))
    return text[:at] + rng.choice("aeioukst") + text[at + 1 :]


def per_call(
    call: Callable[[str], list[ScreeningMatch]], queries: list[str]
) -> tuple[list[list[ScreeningMatch]], float]:
    """What `call` answers for each query, and its mean wall seconds per query."""
    started = time.perf_counter()
    answers = [call(query) for query in queries]
    return answers, (time.perf_counter() - started) / len(queries)


def describe(label: str, metrics: Metrics) -> str:
    return (
        f"{label:<34} precision {metrics.precision:.3f}  recall {metrics.recall:.3f}  "
        f"(TP {metrics.true_positives}, FP {metrics.false_positives}, "
        f"FN {metrics.false_negatives}, TN {metrics.true_negatives})"
    )


def run(args: argparse.Namespace) -> int:
    pairs = load_pairs()
    print(f"{len(pairs)} labelled pairs ({sum(p.expected for p in pairs)} true), {PAIRS.name}")
    ours = evaluate(pairs, matcher(pairs, args.min_score))
    plain = evaluate(pairs, baseline)
    print(describe(f"ScreeningIndex.match (>= {args.min_score:.2f})", ours))
    print(describe("baseline: exact casefolded name", plain))
    for pair in ours.wrong:
        verdict = "missed" if pair.expected else "false match"
        print(f"  {verdict:<12} [{pair.kind}] {pair.query!r} ~ {pair.listed[0]!r}")

    rng = random.Random(args.seed)
    names = synthetic_names(args.names, args.seed)
    entries = [
        CslEntry(f"S{n}", "synthetic", name, (), None, (), ()) for n, name in enumerate(names)
    ]
    built = time.perf_counter()
    index = ScreeningIndex.build(entries)
    built = time.perf_counter() - built
    queries = [perturb(rng.choice(names), rng) for _ in range(args.queries // 2)]
    queries += synthetic_names(args.queries - len(queries), args.seed + 1)
    found, indexed = per_call(index.match, queries)
    reference, linear = per_call(index.scan, queries)
    agree = sum(a == b for a, b in zip(found, reference, strict=True))
    print(
        f"synthetic list: {len(names)} names, {len(index)} variants, index built in {built:.2f} s; "
        f"{len(queries)} queries (half perturbed listed names)"
    )
    print(f"same matches from index and scan: {agree}/{len(queries)} queries")
    print(
        f"per match: indexed {1000 * indexed:.2f} ms, linear scan {1000 * linear:.2f} ms, "
        f"ratio scan/indexed {linear / indexed:.1f}x"
    )
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-score", type=float, default=DEFAULT_MIN_SCORE)
    parser.add_argument("--names", type=int, default=15_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    raise SystemExit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
