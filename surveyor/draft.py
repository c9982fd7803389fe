"""Related-work drafting: per taxonomy node, a paragraph that groups the node's papers by approach
and cites them, then checks every citation and every citing sentence.

Input: the taxonomy, papers, effective labels and the survey's citation keys. Output: LaTeX
(`survey/related-work.tex`) and Markdown (`related-work.md`) plus a report. Two backends write the
paragraphs: `offline` (a deterministic template over what each abstract says it contributes) and
`openai` (any OpenAI-compatible server, grounded on the abstracts). Whatever wrote them, the same
checks run:

- every cited key must exist in `references.bib` and belong to one of the node's papers; anything
  else is removed from the text and reported;
- every sentence that cites a paper must be supported by the cited papers' titles and abstracts:
  at least SUPPORT of its content words (not stop words, not the node's own name) occur there.
  Unsupported sentences are flagged in the output and counted.

Text is held in one neutral form while it is checked: plain prose with citations as `⟦cite:a,b⟧`
markers; LaTeX and Markdown are rendered from it at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .config import LLMConfig
from .escape import md_escape, md_link, tex_escape
from .export.awesome import sort_key
from .export.latex import short_name
from .models import Paper
from .store import Cache
from .taxonomy import Node
from .text import clean_space, sentences, untex

SUPPORT = 0.8  # share of a citing sentence's content words its cited abstracts must contain
PER_GROUP = 8  # papers given a sentence of their own per approach; the rest are named together
LLM_PAPERS = 40  # papers an LLM prompt carries per node (newest first)
_CITE = re.compile(r"⟦cite:([^⟧]*)⟧")
_TEX_CITE = re.compile(r"\\cite[pt]?\*?(?:\[[^\]]*\])*\{([^}]*)\}")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]")
_CONTRIB = re.compile(
    r"\b(?:we|this (?:paper|work|study)|our (?:work|paper))\s+(?:first\s+|further\s+|also\s+|then\s+)?"
    r"(propose|introduce|present|develop|design|build|construct|curate|collect|study|investigate|"
    r"explore|analy[sz]e|evaluate|release|establish|formulate|reveal|show|find)s?\b\s+(.+)",
    re.IGNORECASE,
)
# words the template itself writes: they make no claim about a paper
_TEMPLATE = frozenset(
    "propose proposes introduce introduces present presents develop develops design designs build builds "
    "construct constructs curate curates collect collects study studies investigate investigates explore "
    "explores analyze analyzes analyse analyses evaluate evaluates release releases establish establishes "
    "formulate formulates reveal reveals show shows find finds addresses address work works paper papers "
    "method methods approach approaches benchmark benchmarks dataset datasets analyses surveys survey "
    "include includes further line lines related area also studies other others exist exists one them they "
    "their these those recent recently several many various use uses used using based studied proposed "
    "introduced presented developed designed built explored investigated analyzed analysed evaluated "
    "comprise comprises among".split()
)
_SUFFIXES = ("ing", "ies", "es", "ed", "s")


def _stem(word: str) -> str:
    """A crude stem, enough to match `models` to `model` and `tracking` to `tracks`."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


GROUPS = (
    ("method", "methods"),
    ("benchmark", "benchmarks"),
    ("dataset", "datasets"),
    ("analysis", "analyses"),
    ("survey", "surveys"),
    ("other", "other works"),
)


@dataclass
class Checked:
    """One sentence after the checks."""

    text: str  # neutral form, with ⟦cite:…⟧ markers
    cites: list[str]
    supported: bool = True
    missing: list[str] = field(default_factory=list)  # content words no cited abstract has


@dataclass
class NodeDraft:
    """The drafted paragraph of one node and what the checks found."""

    node: str
    name: str
    sentences: list[Checked] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (key, why)

    @property
    def citing(self) -> list[Checked]:
        return [s for s in self.sentences if s.cites]


@dataclass
class DraftReport:
    """What `surveyor draft` wrote and found."""

    backend: str
    drafts: list[NodeDraft]
    requests: int = 0
    cost: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def citing(self) -> int:
        return sum(len(d.citing) for d in self.drafts)

    @property
    def unsupported(self) -> int:
        return sum(1 for d in self.drafts for s in d.citing if not s.supported)

    @property
    def unsupported_share(self) -> float:
        return self.unsupported / self.citing if self.citing else 0.0

    @property
    def removed(self) -> list[tuple[str, str, str]]:
        return [(d.node, key, why) for d in self.drafts for key, why in d.removed]


# --- the offline template ----------------------------------------------------------------------------
def contribution(paper: Paper) -> tuple[str, str] | None:
    """(verb, object) of the first abstract sentence that says what the paper contributes."""
    for sentence in sentences(untex(paper.abstract or "")):
        m = _CONTRIB.search(sentence)
        if m:
            verb, rest = m.group(1).lower(), m.group(2)
            words = rest.rstrip(" .").split()
            if len(words) > 28:  # cut a long clause at a comma, else at 28 words
                head = " ".join(words[:28])
                cut = head.rfind(",", len(" ".join(words[:8])))
                rest = head[:cut] if cut > 0 else head
            else:
                rest = " ".join(words)
            return verb, rest.rstrip(" ,;:")
    return None


def _third_person(verb: str) -> str:
    if verb == "study":
        return "studies"
    if verb.endswith(("s", "sh")):
        return verb + "es"
    return verb + "s"


def _name(paper: Paper) -> str:
    name = short_name(paper)
    return name if not name.endswith("…") else f"“{paper.display_title}”"


def paper_sentence(paper: Paper, key: str) -> str:
    """One sentence on one paper, in its abstract's own words."""
    cite = f"⟦cite:{key}⟧"
    found = contribution(paper)
    if found:
        verb, rest = found
        return f"{_name(paper)} {cite} {_third_person(verb)} {rest}."
    subtitle = paper.display_title.split(":", 1)[1].strip() if ":" in paper.display_title else ""
    if subtitle:
        return f"{_name(paper)} {cite} addresses {subtitle[0].lower() + subtitle[1:]}."
    return f"{_name(paper)} {cite} is part of this line of work."


def offline_paragraph(
    node: Node, members: Sequence[tuple[Paper, str]], kinds: Mapping[str, str], newest_first: bool = True
) -> str:
    """The template paragraph: the node's papers grouped by approach (paper type), a sentence each
    for the newest PER_GROUP of a group, the rest named together."""
    by_kind: dict[str, list[tuple[Paper, str]]] = {}
    for paper, key in sorted(members, key=lambda m: sort_key(m[0], newest_first)):
        by_kind.setdefault(kinds.get(paper.id, "other"), []).append((paper, key))
    parts = []
    present = [(kind, label, by_kind[kind]) for kind, label in GROUPS if kind in by_kind]
    counts = ", ".join(
        f"{len(items)} {label if len(items) > 1 else label.rstrip('s')}" for _, label, items in present
    )
    parts.append(f"The {len(members)} papers on {node.name.lower()} comprise {counts}.")
    for _kind, label, items in present:
        if len(present) > 1:
            parts.append(f"Among the {label}:" if len(items) > 1 else f"Among the {label.rstrip('s')}s:")
        parts += [paper_sentence(paper, key) for paper, key in items[:PER_GROUP]]
        rest = items[PER_GROUP:]
        if rest:
            named = ", ".join(f"{_name(p)} ⟦cite:{k}⟧" for p, k in rest)
            parts.append(f"Further {label} include {named}.")
    return " ".join(parts)


# --- checks -----------------------------------------------------------------------------------------
def from_latex(text: str) -> str:
    """An LLM's LaTeX-ish paragraph in the neutral form: `\\cite{a,b}` -> markers, markup dropped."""
    text = _TEX_CITE.sub(lambda m: f"⟦cite:{m.group(1)}⟧", text)
    text = re.sub(r"~(?=⟦)", " ", text)
    return clean_space(untex(text))


def content_words(text: str, context: frozenset[str] = frozenset()) -> list[str]:
    """The words of a sentence that make a claim: not stop words, template words or context."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    plain = _CITE.sub(" ", text)
    out = []
    for word in _WORD.findall(plain):
        low = word.lower()
        if len(low) < 3 or low in ENGLISH_STOP_WORDS or low in _TEMPLATE or low in context:
            continue
        out.append(low)
    return sorted(set(out))


def _support_vocabulary(papers: Sequence[Paper]) -> set[str]:
    vocab: set[str] = set()
    for paper in papers:
        for word in _WORD.findall(untex(f"{paper.display_title} {paper.abstract or ''}")):
            low = word.lower()
            vocab.update((low, _stem(low), low[:6]))
            vocab.update(part for part in low.split("-") if len(part) > 2)
    return vocab


def _supported_word(word: str, vocab: set[str]) -> bool:
    return word in vocab or _stem(word) in vocab or (len(word) >= 8 and word[:6] in vocab)


def check_paragraph(
    node: Node,
    text: str,
    node_keys: dict[str, Paper],
    bib_keys: set[str],
) -> NodeDraft:
    """Verify the citations of a paragraph (neutral form) and the support of each citing sentence."""
    draft = NodeDraft(node.id, node.name)
    context = frozenset(w.lower() for w in _WORD.findall(f"{node.name}"))

    def keep(m: re.Match[str]) -> str:
        kept = []
        for key in (k.strip() for k in m.group(1).split(",")):
            if not key:
                continue
            if key not in bib_keys:
                draft.removed.append((key, "not in references.bib"))
            elif key not in node_keys:
                draft.removed.append((key, "not one of this node's papers"))
            elif key not in kept:
                kept.append(key)
        return f"⟦cite:{','.join(kept)}⟧" if kept else ""

    text = clean_space(_CITE.sub(keep, text))
    text = re.sub(r"\s+([.,;:])", r"\1", text)
    for sentence in sentences(text):
        cites = [k for m in _CITE.finditer(sentence) for k in m.group(1).split(",")]
        checked = Checked(sentence, cites)
        if cites:
            words = content_words(sentence, context)
            vocab = _support_vocabulary([node_keys[k] for k in cites])
            checked.missing = [w for w in words if not _supported_word(w, vocab)]
            checked.supported = len(checked.missing) <= (1 - SUPPORT) * len(words)
        draft.sentences.append(checked)
    return draft


# --- rendering --------------------------------------------------------------------------------------
def to_latex(drafts: Sequence[NodeDraft]) -> str:
    """`related-work.tex`: a \\subsection* per node; unsupported sentences flagged in a comment."""
    out = [
        "% Drafted by `surveyor draft`: every citation checked against references.bib and the node's",
        "% papers; sentences flagged UNSUPPORTED say something their cited abstracts do not.",
    ]
    for draft in drafts:
        out += ["", rf"\subsection*{{{tex_escape(draft.name)}}}", rf"\label{{rw:{_label(draft.node)}}}", ""]
        for sentence in draft.sentences:
            out.append(_sentence_tex(sentence.text))
            if not sentence.supported:
                out.append(f"% UNSUPPORTED: not in the cited abstracts: {', '.join(sentence.missing)}")
    return "\n".join(out) + "\n"


def _render(text: str, escape: Callable[[str], str], cite: Callable[[list[str]], str]) -> str:
    """A sentence in the neutral form rendered for one format: prose through `escape`, each
    citation marker through `cite` (keys are never escaped)."""
    pieces, last = [], 0
    for m in _CITE.finditer(text):
        pieces += [_spaced(text[last : m.start()], escape, last > 0), cite(m.group(1).split(","))]
        last = m.end()
    pieces.append(_spaced(text[last:], escape, last > 0))
    return "".join(pieces)


def _spaced(prose: str, escape: Callable[[str], str], after_cite: bool) -> str:
    """Escaped prose keeping the space that separates it from a citation before it."""
    out = escape(prose)
    return " " + out if after_cite and out and prose[:1].isspace() and out[0] not in ".,;:" else out


def _sentence_tex(text: str) -> str:
    return _render(text, tex_escape, lambda keys: f"~\\cite{{{','.join(keys)}}}")


def to_markdown(drafts: Sequence[NodeDraft], papers_by_key: dict[str, Paper]) -> str:
    """`related-work.md`: a heading per node; citations as numbered links; flags inline."""
    number: dict[str, int] = {}

    def cite(keys: list[str]) -> str:
        refs = []
        for key in keys:
            number.setdefault(key, len(number) + 1)
            refs.append(f"[{number[key]}](#ref-{_label(key)})")
        return " [" + ", ".join(refs) + "]"

    out = ["# Related work", "", "Drafted by `surveyor draft`; every citation is checked.", ""]
    for draft in drafts:
        out += [f"## {md_escape(draft.name)}", ""]
        text = []
        for sentence in draft.sentences:
            rendered = _render(sentence.text, md_escape, cite)
            if not sentence.supported:
                rendered += f" *(unsupported: {', '.join(sentence.missing)})*"
            text.append(rendered)
        out += [" ".join(text), ""]
    out += ["## References", ""]
    for key, n in sorted(number.items(), key=lambda kv: kv[1]):
        paper = papers_by_key[key]
        title = md_escape(paper.display_title)
        out.append(f'{n}. <a id="ref-{_label(key)}"></a>{md_link(title, paper.url)}')
    return "\n".join(out).rstrip() + "\n"


def _label(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9\-]", "-", text)


# --- the LLM backend --------------------------------------------------------------------------------
SYSTEM = (
    "You write the related-work section of a survey paper. For one category of the survey's taxonomy "
    "you get its papers, each with a citation key, title and abstract. Write one paragraph (120 to 250 "
    "words) that groups the papers by approach and cites them with \\cite{key}, using only the keys "
    "given. Say about each paper only what its abstract says. Reply with a JSON object "
    '{"paragraph": "..."} and nothing else.'
)


SCHEMA = {
    "type": "object",
    "properties": {"paragraph": {"type": "string"}},
    "required": ["paragraph"],
    "additionalProperties": False,
}


def llm_messages(node: Node, members: Sequence[tuple[Paper, str]]) -> list[dict[str, str]]:
    """The request for one node: its name and description, then each paper's key, title, abstract."""
    lines = [f"Category: {node.name}", f"Description: {node.description or '-'}", "", "Papers:"]
    for paper, key in list(members)[:LLM_PAPERS]:
        abstract = clean_space(paper.abstract or "")[:900]
        lines += [f"- key: {key}", f"  title: {paper.display_title}", f"  abstract: {abstract}"]
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}]


def paragraph_from_reply(content: str) -> str:
    """The paragraph from the model's reply: the JSON object's `paragraph`, else the whole text."""
    from .classify.llm import json_reply

    data = json_reply(content)
    return str(data.get("paragraph") or "") if data else content.strip()


def llm_paragraphs(
    settings: LLMConfig, cache: Cache, jobs: Sequence[tuple[Node, Sequence[tuple[Paper, str]]]]
) -> tuple[list[str], int, float, list[str]]:
    """One request per node (cached by request), `concurrency` at a time; the paragraphs in neutral
    form, the requests sent, their cost and notes on failed nodes."""
    from .classify.llm import ask_json

    replies, stats = ask_json(
        settings, cache, [(n.id, llm_messages(n, m), 900) for n, m in jobs], SCHEMA, "draft"
    )
    texts = [from_latex(paragraph_from_reply(r)) if r else "" for r in replies]
    return texts, stats.requests, stats.cost, stats.notes
