"""The label policy for model verdicts, and its calibration on a workspace's own human labels.

Lists file most papers in one place. A view is a facet (a parallel way of sorting the same papers)
or the rest of the tree. The model names the primary category first; the policy keeps it, keeps
the first label in each other view when it is at least `view_min` sure, a second label in a view
only outside facets and when at least `secondary_min` sure, and drops a parent when one of its
descendants is kept. It maps the model's confidence to how often labels of that confidence agree
with the author (`curve`), so that confidences mean what they say and the review queue
(`review_below`) holds the unsure ones.

`fit` learns these from a sample of human-labelled papers the model classified without seeing their
labels: an isotonic curve from raw confidence to agreement (shrunk toward the raw value while the
sample is small), and the thresholds that give the best F1 on the sample — each only when the
sample holds enough labels it decides on; otherwise its default stays.

Input: a verdict's labels, the taxonomy, a Policy. Output: the labels kept. Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..models import Label
from ..taxonomy import Taxonomy

SECONDARY_MIN = 0.7  # uncalibrated default: a second label in a view only when the model is this sure
VIEW_MIN = 0.0  # uncalibrated default: a label in another facet whenever the model gives one
THRESHOLDS = (*(round(0.3 + 0.05 * i, 2) for i in range(14)), 1.01)  # tried by `fit`; 1.01: none
MIN_LABELS = 20  # sample labels needed before the curve is fitted
MIN_DECIDED = 15  # judged labels a threshold must decide on in the sample before it is fitted
SHRINK = 10  # the curve counts as this many labels of "the model is right about its own confidence"


@dataclass(frozen=True)
class Policy:
    """Which labels of a verdict are kept, and how confidences are mapped."""

    secondary_min: float = SECONDARY_MIN
    view_min: float = VIEW_MIN
    curve: tuple[tuple[float, float], ...] = ()  # (raw, calibrated) points, raw ascending; () = identity
    sample: int = 0  # papers the policy was fitted on (0: defaults)

    def confidence(self, raw: float) -> float:
        """The calibrated confidence of a raw one (piecewise linear between the curve's points)."""
        pts = self.curve
        if not pts:
            return raw
        if raw <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in pairwise(pts):
            if raw <= x1:
                return round(y0 + (y1 - y0) * (raw - x0) / (x1 - x0), 4) if x1 > x0 else y1
        return pts[-1][1]


def apply(labels: Sequence[Label], taxonomy: Taxonomy, policy: Policy) -> list[Label]:
    """The labels the policy keeps, primary first, confidences calibrated (see the module docstring)."""
    seen: dict[str, Label] = {}
    for lab in labels:
        if lab.node in taxonomy and lab.node not in seen:
            seen[lab.node] = lab.model_copy(update={"confidence": policy.confidence(lab.confidence)})
    ordered = list(seen.values())
    kept: list[Label] = []
    views: set[str | None] = set()
    for i, lab in enumerate(ordered):
        view = taxonomy.facet_of(lab.node)
        if view not in views:
            keep = not i or lab.confidence >= policy.view_min
        else:
            keep = view is None and lab.confidence >= policy.secondary_min
        if keep:
            kept.append(lab)
            views.add(view)
    nodes = {lab.node for lab in kept}
    below = {a for n in nodes for a in taxonomy.ancestors(n)[:-1]}
    return [lab for lab in kept if lab.node not in below]


def _correct(node: str, gold: set[str], taxonomy: Taxonomy) -> bool:
    return node in gold or any(node in taxonomy.ancestors(g) for g in gold)


def _curve(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Isotonic fit of correctness on raw confidence, shrunk toward the identity, at the raw values
    seen; below them it falls to (0, 0), above them it stays flat."""
    from sklearn.isotonic import IsotonicRegression  # slow to load: only when calibrating

    raw = [p[0] for p in points]
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, [p[1] for p in points])
    n = len(points)
    xs = sorted({round(x, 2) for x in raw})
    ys = [(n * float(y) + SHRINK * x) / (n + SHRINK) for x, y in zip(xs, iso.predict(xs), strict=True)]
    curve = [(x, round(y, 4)) for x, y in zip(xs, ys, strict=True)]
    if curve[0][0] > 0:
        curve.insert(0, (0.0, 0.0))
    if curve[-1][0] < 1:
        curve.append((1.0, curve[-1][1]))
    return tuple(curve)


def _f1(policy: Policy, sample: Sequence[tuple[Sequence[Label], set[str]]], taxonomy: Taxonomy) -> float:
    tp = fp = fn = 0
    for labels, gold in sample:
        views = {taxonomy.facet_of(g) for g in gold}
        guess = {
            lab.node
            for lab in apply(labels, taxonomy, policy)
            if taxonomy.facet_of(lab.node) is None or taxonomy.facet_of(lab.node) in views
        }
        tp += len(guess & gold)
        fp += len(guess - gold)
        fn += len(gold - guess)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _decided(sample: Sequence[tuple[Sequence[Label], set[str]]], taxonomy: Taxonomy) -> tuple[int, int]:
    """How many judged labels of the sample each threshold decides on: second labels in a view
    (`secondary_min`), first labels in another facet (`view_min`). A label in a facet counts only
    when the author filed the paper in that facet (otherwise nothing says whether it is right)."""
    second = other = 0
    for labels, gold in sample:
        judged = {taxonomy.facet_of(g) for g in gold}
        views: set[str | None] = set()
        for i, lab in enumerate(dict((x.node, x) for x in labels if x.node in taxonomy).values()):
            view = taxonomy.facet_of(lab.node)
            if i and (view is None or view in judged):
                if view in views:
                    second += 1
                else:
                    other += 1
            views.add(view)
    return second, other


def fit(sample: Sequence[tuple[Sequence[Label], set[str]]], taxonomy: Taxonomy) -> Policy:
    """The policy for this workspace from (the model's labels, the author's labels) pairs. A
    threshold with too little in the sample to go on (MIN_DECIDED) keeps its default."""
    points = [
        (lab.confidence, float(_correct(lab.node, gold, taxonomy)))
        for labels, gold in sample
        for lab in labels
        if lab.node in taxonomy
    ]
    curve = _curve(points) if len(points) >= MIN_LABELS else ()
    second, other = _decided(sample, taxonomy)
    seconds = THRESHOLDS if second >= MIN_DECIDED else (SECONDARY_MIN,)
    views = (0.0, *THRESHOLDS) if other >= MIN_DECIDED else (VIEW_MIN,)
    grid = [(s, v) for s in seconds for v in views]
    best = max(grid, key=lambda sv: (_f1(Policy(sv[0], sv[1], curve), sample, taxonomy), sv))
    return Policy(best[0], best[1], curve, len(sample))
