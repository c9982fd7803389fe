"""The offline related-work writer: a paragraph per taxonomy node, in sentences a person would write,
from what each paper's abstract says it contributes.

Input: a node, its papers with their citation keys and types (method, benchmark, dataset, analysis,
survey), and the document frequency of phrases over the whole library. Output: the paragraph in
the drafter's neutral form (plain prose, citations as `⟦cite:a,b⟧`), which `draft` then checks.

The node's methods are grouped by approach: the phrases (one to three words) that several of them
share and the rest of the library seldom uses, chosen greedily; each group gets a sentence that
cites all of its papers and a sentence of its own for the first few. Benchmarks and datasets, then
analyses and surveys follow. A paper's sentence is its abstract's contribution clause, cleaned: no
first person, no "these challenges" pointing at sentences left out, no marketing adjectives, cut at
a clause boundary, with the verb agreeing ("Motion4D is a framework that ...").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence

from .export.latex import short_name
from .library import sort_key
from .models import Paper
from .taxonomy import Node
from .text import clean_space, sentences, untex

PER_GROUP = 4  # papers given a sentence of their own in an approach group
PER_KIND = 6  # ... among the benchmarks, the analyses, the surveys
MAX_GROUPS = 4
MAX_WORDS = 30  # words of a contribution clause
_CONTRIB = re.compile(
    r"\b(?:we|this (?:paper|work|study|article)|our (?:work|paper))\s+"
    r"(?:first\s+|further\s+|also\s+|then\s+)?"
    r"(propose|introduce|present|develop|design|build|construct|curate|collect|study|investigate|"
    r"explore|analy[sz]e|evaluate|release|establish|formulate|reveal|show|find|offer|describe)s?\b\s+(.+)",
    re.IGNORECASE,
)
_HYPE = re.compile(
    r"\b(?:\w+,? (?:yet|but|and) )?(?:novel|new|innovative|simple(?: yet| but)? effective|"
    r"first-of-its-kind|groundbreaking|pioneering|cutting-edge|state-of-the-art|comprehensive|powerful)\s+",
    re.IGNORECASE,
)
_ANAPHOR = re.compile(
    r",?\s*(?:that|which|to)\s+(?:\w+\s+){0,2}?(?:these|this|such|those|the above|the aforementioned)\s+"
    r"(?:\w+\s+){0,2}?(?:challenges?|problems?|issues?|limitations?|gaps?|shortcomings?|difficult(?:y|ies)|"
    r"bottlenecks?|drawbacks?|questions?)\b(?:\s*,?\s*by\s+)?",
    re.IGNORECASE,
)
_PARENS = re.compile(r"\s*\((?:e\.g\.|i\.e\.|[ivx]+\)|[^()]*\b(?:we|our)\b)[^()]*\)|\s*\([ivx]{1,4}\)\s*")
_BACKREF = re.compile(r"\b(?:the|this|these) (?:proposed|above|aforementioned|same)\b", re.IGNORECASE)
_ARTICLE = re.compile(r"\b([Aa]) (?=[aeioAEIO]|[FHLMNRSX][A-Z])")
_SECOND_VERB = re.compile(
    r",? (?:and )?(?:introduce|propose|present|develop|design|build|construct|curate|collect|investigate|"
    r"explore|analy[sz]e|evaluate|release|establish|formulate|reveal|show|find|conduct|demonstrate|provide|"
    r"achieve|summari[sz]e|examine|compare|discuss|train|apply|extend|leverage|employ|identify|highlight|"
    r"outline|review|generate|validate|perform|obtain|outperform)\b"
)
_ADJECTIVE_END = ("al", "ic", "ive", "ous", "ful", "ble", "ent", "ant", "ed", "ar")
_FIRST_PERSON = re.compile(r"\b(?:we|our|us|ourselves)\b", re.IGNORECASE)
_CLAUSE = re.compile(
    r",\s+(?:which|where|while|whereas|and|enabling|allowing|thereby)\b|;\s|\s+by\s+|\s+to\s+"
)
_DANGLING = frozenset(
    "a an the of for and or to with by in on from as that which at into via its their".split()
)
_STOP = frozenset(
    "a an the of for and or to with by in on from as that which at into via is are be we our this these "
    "it its their them they can using based towards toward through under over across while both each "
    "new novel".split()
)
_GENERIC = frozenset(
    "approach approaches method methods framework frameworks model models task tasks performance results "
    "world data system systems paper work study module modules learning training understanding video videos "
    "image images information problem problems setting settings capability capabilities".split()
)
_INNER_STOP = frozenset("that which is are be we our this these it its their can".split())
_KIND_GROUPS = (
    ("benchmark", ("benchmark", "benchmarks")),
    ("dataset", ("dataset", "datasets")),
    ("analysis", ("analysis", "analyses")),
    ("survey", ("survey", "surveys")),
)
_KINDS = ("method", "benchmark", "dataset", "analysis", "survey")
_COUNTED = (("method", ("method", "methods")), *_KIND_GROUPS, ("other", ("other work", "other works")))
_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split()
)
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
# Words this module writes around what the abstracts say: the support check does not ask for them.
TEMPLATE_WORDS = (
    frozenset(
        "group groups first another further remaining centres centre centers center different directions "
        "pursue pursues work works study studies paper papers method methods approach approaches side "
        "evaluation benchmark benchmarks dataset datasets analysis analyses survey surveys surveyed address "
        "addresses cover covers covered take takes works towards toward works presents present complement "
        "existing reviews review belongs belong line lines also other others one third fourth fifth sixth "
        "second offer offers describe describes".split()
    )
    | frozenset(_NUMBERS)
    | frozenset(_TENS)
)


def number_words(n: int) -> str:
    """`n` in words below a hundred (`thirty-one`), else in digits."""
    if n < 20:
        return _NUMBERS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens - 2] + (f"-{_NUMBERS[unit]}" if unit else "")
    return str(n)


def _count(n: int, singular: str, plural: str) -> str:
    return f"{number_words(n)} {singular if n == 1 else plural}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _verb(verb: str) -> str:
    """The third person singular of a contribution verb."""
    if verb == "study":
        return "studies"
    if verb.endswith(("s", "sh", "ch")):
        return verb + "es"
    return verb + "s"


def _cut(words: list[str]) -> list[str]:
    """A clause cut to MAX_WORDS at a boundary, without a dangling article or preposition at its end."""
    if len(words) > MAX_WORDS:
        text = " ".join(words[:MAX_WORDS])
        bounds = [m.start() for m in _CLAUSE.finditer(text) if m.start() > len(" ".join(words[:8]))]
        words = (text[: bounds[-1]] if bounds else text).split()
    text = " ".join(words)
    if text.count("(") > text.count(")"):
        words = text[: text.rfind("(")].split()
    while words and (words[-1].lower().strip(",;:") in _DANGLING or words[-1].endswith((",", ";", ":"))):
        words = words[:-1] if words[-1].lower().strip(",;:") in _DANGLING else [*words[:-1], words[-1][:-1]]
    return words


def contribution(paper: Paper) -> tuple[str, str] | None:
    """(verb, object) of the first abstract sentence that says in its own words what the paper
    contributes, cleaned for a sentence about the paper; None when no sentence will do."""
    for sentence in sentences(untex(paper.abstract or "")):
        m = _CONTRIB.search(sentence)
        if not m or _BACKREF.search(m.group(2)):
            continue  # "evaluates the proposed approach": about a sentence left out
        rest = _PARENS.sub("", m.group(2))
        rest = _ANAPHOR.sub(" ", rest)
        rest = _HYPE.sub("", rest)
        rest = _ARTICLE.sub(r"\1n ", rest)  # "a novel approach" -> "an approach", "a MLLM" -> "an MLLM"
        rest = _SECOND_VERB.split(rest)[0]  # "learns X and generate Y": the abstract's list, cut
        pointer = re.search(r"\b(?:these|those|such)\b", rest, re.IGNORECASE)
        if pointer:  # "... of these techniques": about sentences left out
            comma = rest.rfind(",", 0, pointer.start())
            rest = rest[:comma] if comma > 40 else ""
        cut = _FIRST_PERSON.search(rest)
        if cut:
            rest = re.split(r",|;|\band\b", rest[: cut.start()])[0] if cut.start() > 20 else ""
        words = _cut(clean_space(rest).rstrip(" .").split())
        if len(words) >= 3:
            return m.group(1).lower(), " ".join(words)
    return None


def paper_sentence(paper: Paper, key: str, subject: str) -> str:
    """One sentence on one paper: its name (or `subject`), the citation, what it contributes."""
    name = short_name(paper)
    named = not name.endswith("…")
    head = f"{name if named else subject} ⟦cite:{key}⟧"
    found = contribution(paper)
    if found:
        verb, rest = found
        if named and rest.lower().startswith(name.lower() + ","):
            after = rest[len(name) + 1 :].strip()
            if re.match(r"(?:a|an|the)\b", after, re.IGNORECASE):  # "SeeU, an approach that ..."
                return f"{head} is {after[:1].lower() + after[1:]}."
            if re.match(r"(?:which|that)\s+\w+s\b", after):  # "TokenSqueeze, which merges ..."
                return f"{head} {after.split(None, 1)[1]}."
        return f"{head} {_verb('analyse' if verb.startswith('analy') else verb)} {rest}."
    subtitle = paper.display_title.split(":", 1)[1].strip() if ":" in paper.display_title else ""
    if subtitle and named:
        lowered = subtitle[:1].lower() + subtitle[1:]
        if re.match(r"towards?\b", lowered):
            return f"{head} works {lowered}."
        if not re.match(r"\w+ing\b", lowered):
            return f"{head} presents {_sentence_case(subtitle)}."
    return f"{head} belongs to this line of work."


def _as_in_prose(word: str) -> str:
    """A word from a title as it reads inside a sentence: lower case, unless a part of it is an
    acronym or a name with inner capitals (`KV`, `Keye-VL`, `LLaVA`)."""
    parts = word.split("-")
    keep = any(sum(c.isupper() for c in part) >= 2 or any(c.isupper() for c in part[1:]) for part in parts)
    return word if keep else word.lower()


def _sentence_case(title: str) -> str:
    """A title-cased phrase as running text (`Memory-Constrained KV Cache` -> `memory-constrained KV
    cache`)."""
    return " ".join(_as_in_prose(w) for w in title.split())


def phrases(paper: Paper) -> dict[str, str]:
    """The one- to three-word phrases of a paper's title and contribution clause that can name an
    approach (no stop word at either end, no adjective last), lowercased, with the form to print
    (words with inner capitals, such as `LLMs` or `Keye-VL`, keep them)."""
    found = contribution(paper)
    text = untex(f"{found[1] if found else ''}. {paper.display_title}")
    out: dict[str, str] = {}
    for chunk in re.split(r"[^\w\- ]+", text):
        words = [w.strip("-_") for w in chunk.split() if w.strip("-_")]
        shown = [_as_in_prose(w) for w in words]
        for n in (1, 2, 3):
            for i in range(len(words) - n + 1):
                gram = [w.lower() for w in words[i : i + n]]
                if gram[0] in _STOP or gram[-1] in _STOP or _INNER_STOP & set(gram) or len("".join(gram)) < 5:
                    continue
                if gram[-1].endswith(_ADJECTIVE_END) and not gram[-1].endswith(("ment", "ant")):
                    continue
                if n == 1 and gram[0] in _GENERIC:
                    continue
                out.setdefault(" ".join(gram), " ".join(shown[i : i + n]))
    return out


def library_frequency(papers: Sequence[Paper]) -> Counter[str]:
    """How many of the library's papers use each phrase (the background approach groups stand out
    from)."""
    counts: Counter[str] = Counter()
    for paper in papers:
        counts.update(phrases(paper).keys())
    counts["__papers__"] = len(papers)
    return counts


def approach_groups(
    members: Sequence[tuple[Paper, str]], background: Mapping[str, int], node: Node
) -> list[tuple[str, list[tuple[Paper, str]]]]:
    """Greedy: the phrase shared by the most of the remaining papers, weighted by how rare it is in
    the library (and never the node's own name), until MAX_GROUPS groups or no phrase joins two."""
    total = max(background.get("__papers__", 0), len(members), 1)
    own = {w.lower() for w in re.findall(r"\w+", node.name)}
    by_paper = {paper.id: phrases(paper) for paper, _ in members}
    shown = {p: form for forms in by_paper.values() for p, form in forms.items()}
    left = list(members)
    groups: list[tuple[str, list[tuple[Paper, str]]]] = []
    while left and len(groups) < MAX_GROUPS:
        counts = Counter(p for paper, _ in left for p in by_paper[paper.id] if not set(p.split()) <= own)
        scored = [
            (n * math.log(total / max(background.get(p, n), n)) * (1 + p.count(" ")), p)
            for p, n in counts.items()
            if 2 <= n <= max(2, len(members) // 2)
            and background.get(p, n) < (0.3 if " " in p else 0.08) * total
        ]
        if not scored:
            break
        _, phrase = max(scored, key=lambda item: (item[0], -len(item[1]), item[1]))
        taken = [(p, k) for p, k in left if phrase in by_paper[p.id]]
        groups.append((shown[phrase], taken))
        left = [(p, k) for p, k in left if phrase not in by_paper[p.id]]
    return [*groups, ("", left)] if left else groups


def _cites(items: Sequence[tuple[Paper, str]]) -> str:
    return "⟦cite:" + ",".join(key for _, key in items) + "⟧"


def _individual(items: Sequence[tuple[Paper, str]], limit: int) -> list[str]:
    """Sentences for up to `limit` papers, those whose abstract states a contribution first; papers
    without a name are "one work", "another work", "a third work" in turn."""
    chosen = sorted(items, key=lambda item: contribution(item[0]) is None)[:limit]
    out, unnamed = [], 0
    for paper, key in chosen:
        out.append(paper_sentence(paper, key, _SUBJECTS[min(unnamed, len(_SUBJECTS) - 1)]))
        unnamed += short_name(paper).endswith("…")
    return out


_SUBJECTS = ("One work", "Another work", "A third work", "A fourth work", "A fifth work", "A sixth work")


def method_sentences(groups: list[tuple[str, list[tuple[Paper, str]]]]) -> list[str]:
    """An opening sentence per approach group (citing all of it), then its papers' sentences; the
    papers no phrase gathers come last, or alone when there are no groups."""
    out: list[str] = []
    for phrase, items in groups:
        shown = _individual(items, PER_GROUP)
        if phrase:
            lead = "One group of works centres on" if not out else "Another group centres on"
            out += [f"{lead} {phrase} {_cites(items)}.", *shown]
        elif len(groups) > 1 and len(items) > 1:
            out += [f"Other works pursue different directions {_cites(items)}.", *shown]
        elif len(groups) > 1:
            out += [f"Beyond these groups, {_lowered(shown[0])}"] if shown else []
        else:
            out += shown
            if len(items) > len(shown):
                out.append(_further(items, shown, "further work", "further works"))
    return out


def _further(items: Sequence[tuple[Paper, str]], shown: list[str], singular: str, plural: str) -> str:
    """The sentence that cites the papers in `items` that got no sentence of their own."""
    named = {k for s in shown for m in re.findall(r"⟦cite:([^⟧]*)⟧", s) for k in m.split(",")}
    rest = [(p, k) for p, k in items if k not in named]
    return f"{_capital(_count(len(rest), singular, plural))} {_cites(rest)} belong here as well."


def _lowered(sentence: str) -> str:
    """A sentence that follows a lead-in: its generic subject ("One work") in lower case."""
    return sentence[:1].lower() + sentence[1:] if sentence.startswith(_SUBJECTS) else sentence


def offline_paragraph(
    node: Node,
    members: Sequence[tuple[Paper, str]],
    kinds: Mapping[str, str],
    background: Mapping[str, int] | None = None,
) -> str:
    """The node's paragraph: how many papers of which kind, the methods by approach, then the
    benchmarks and datasets, analyses and surveys, each paper cited."""
    by_kind: dict[str, list[tuple[Paper, str]]] = {}
    for paper, key in sorted(members, key=lambda m: sort_key(m[0], True)):
        kind = kinds.get(paper.id, "other")
        by_kind.setdefault(kind if kind in _KINDS else "other", []).append((paper, key))
    opening = f"{_capital(number_words(len(members)))} of the surveyed papers address {node.name.lower()}"
    counts = [_count(len(by_kind[kind]), *names) for kind, names in _COUNTED if by_kind.get(kind)]
    parts = [f"{opening}: {_join(counts)}." if len(counts) > 1 else f"{opening}."]
    methods = by_kind.get("method", []) + by_kind.get("other", [])
    if methods:
        groups = approach_groups(methods, background or {}, node) if len(methods) >= 5 else [("", methods)]
        parts += method_sentences(groups)
    for kind, (singular, plural) in _KIND_GROUPS:
        items = by_kind.get(kind, [])
        if not items:
            continue
        shown = _individual(items, PER_KIND)
        lead = f"Among the {plural}, " if len(items) > 1 else f"As for the {singular}, "
        parts += [lead + _lowered(shown[0]), *shown[1:]] if len(counts) > 1 else shown
        if len(items) > len(shown):
            parts.append(_further(items, shown, f"further {singular}", f"further {plural}"))
    return " ".join(parts)


def _join(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
