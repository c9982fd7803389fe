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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .config import LLMConfig
from .escape import md_escape, md_link, tex_escape
from .export.latex import short_name
from .extract.papers import title_name
from .models import Paper
from .prose import TEMPLATE_WORDS
from .resources import instruction, render
from .store import Cache
from .taxonomy import Node
from .text import clean_space, sentences, untex

SUPPORT = 0.8  # share of a citing sentence's content words its cited abstracts must contain
LLM_PAPERS = 40  # papers an LLM prompt carries per node (newest first)
_CITE = re.compile(r"⟦cite:([^⟧]*)⟧")
_TEX_CITE = re.compile(r"\\cite[pt]?\*?(?:\[[^\]]*\])*\{([^}]*)\}")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]")
# words the template itself writes: they make no claim about a paper
_TEMPLATE = (
    frozenset(
        "propose proposes introduce introduces present presents develop develops design designs build "
        "builds construct constructs curate curates collect collects study studies investigate "
        "investigates explore explores analyze analyzes analyse analyses evaluate evaluates release "
        "releases establish establishes formulate formulates reveal reveals show shows find finds "
        "addresses address work works paper papers method methods approach approaches benchmark "
        "benchmarks dataset datasets analyses surveys survey include includes further line lines related "
        "area also studies other others exist exists one them they their these those recent recently "
        "several many various use uses used using based studied proposed introduced presented developed "
        "designed built explored investigated analyzed analysed evaluated comprise comprises among".split()
    )
    | TEMPLATE_WORDS
)
_SUFFIXES = ("ing", "ies", "es", "ed", "s")


def _stem(word: str) -> str:
    """A crude stem, enough to match `models` to `model` and `tracking` to `tracks`."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


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
        if "-" in low and all(part in _TEMPLATE for part in low.split("-")):  # "thirty-nine"
            continue
        out.append(low)
    return sorted(set(out))


def _support_text(paper: Paper) -> str:
    """What a citation of `paper` may rest on: its title and abstract, and the names it goes by (the
    acronym a list gives it, the name its title announces): naming a paper makes no claim."""
    return untex(
        f"{paper.display_title} {paper.abstract or ''} {paper.acronym or ''} {title_name(paper.title)}"
    )


def _support_vocabulary(papers: Sequence[Paper]) -> set[str]:
    vocab: set[str] = set()
    for paper in papers:
        for word in _WORD.findall(_support_text(paper)):
            low = word.lower()
            vocab.update((low, _stem(low), low[:6]))
            vocab.update(part for part in low.split("-") if len(part) > 2)
    return vocab


def _supported_word(word: str, vocab: set[str]) -> bool:
    return word in vocab or _stem(word) in vocab or (len(word) >= 8 and word[:6] in vocab)


def _acronym_key(word: str) -> str | None:
    """`MLLMs` -> `mllm`, `VQA` -> `vqa`: the letters an acronym spells (None for a plain word)."""
    core = word[:-1] if word.endswith("s") and word[:-1].isupper() else word
    letters = "".join(c for c in core if c.isalpha())
    return letters.lower() if sum(c.isupper() for c in core) >= 2 and len(letters) >= 2 else None


def initialisms(text: str) -> dict[str, list[str]]:
    """Every run of 2 to 8 consecutive words by its initials (hyphenated parts counted as words, and
    the whole hyphenated word as one): `video anomaly detection` is under `vad`, `multi-modal large
    language model` under `mmllm` and `mllm`."""
    out: dict[str, list[str]] = {}
    for split in (r"[\s/]+", r"[\s/\-]+"):
        words = [w for w in re.split(split, re.sub(r"[^\w\s/\-]", " ", text)) if w and w[0].isalnum()]
        for i in range(len(words)):
            for n in range(2, 9):
                run = words[i : i + n]
                if len(run) == n:
                    out.setdefault("".join(w[0] for w in run).lower(), run)
    return out


def _acronym_support(sentence: str, cited: str) -> set[str]:
    """Content words of `sentence` that its cited text supports through an acronym: an acronym whose
    expansion the text spells out (`VAD` for "video anomaly detection"), or the words of an expansion
    whose acronym the text uses (`video anomaly detection` where the abstract writes `VAD`)."""
    plain = _CITE.sub(" ", sentence)
    spelled = initialisms(cited)
    used = {key for w in _WORD.findall(cited) if (key := _acronym_key(w))}
    found = {w.lower() for w in _WORD.findall(plain) if (key := _acronym_key(w)) and key in spelled}
    for key, run in initialisms(plain).items():
        if key in used:
            found.update(w.lower() for w in run)
    return found


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
            papers = [node_keys[k] for k in cites]
            vocab = _support_vocabulary(papers)
            missing = [w for w in words if not _supported_word(w, vocab)]
            if missing:  # acronyms and their expansions count for each other
                by_acronym = _acronym_support(sentence, " ".join(_support_text(p) for p in papers))
                missing = [w for w in missing if w not in by_acronym]
            checked.missing = missing
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
SYSTEM = "draft_system.md"  # prompts/draft_system.md
USER = "draft_user.md"  # prompts/draft_user.md: the node and its papers


SCHEMA = {
    "type": "object",
    "properties": {"paragraph": {"type": "string"}},
    "required": ["paragraph"],
    "additionalProperties": False,
}


def llm_messages(
    node: Node, members: Sequence[tuple[Paper, str]], prompts: Path | None = None
) -> list[dict[str, str]]:
    """The request for one node: its name and description, then each paper's key, the name to call
    it by (its acronym or the name its title announces), title and abstract: the only grounds the
    paragraph may stand on. `prompts`: the workspace's folder of its own templates."""
    lines = []
    for paper, key in list(members)[:LLM_PAPERS]:
        abstract = clean_space(paper.abstract or "")[:1200]
        name = short_name(paper)
        lines += [f"- key: {key}", f"  name: {name if not name.endswith('…') else '-'}"]
        lines += [f"  title: {paper.display_title}", f"  abstract: {abstract or '-'}"]
    values = {"name": node.name, "description": node.description or "-", "papers": "\n".join(lines)}
    return [
        {"role": "system", "content": instruction(SYSTEM, prompts)},
        {"role": "user", "content": render(USER, values, prompts)},
    ]


def paragraph_from_reply(content: str) -> str:
    """The paragraph from the model's reply: the JSON object's `paragraph`, else the whole text;
    ReplyError (sent back once) when there is none."""
    from .llm import ReplyError, json_object

    data = json_object(content)
    text = str(data.get("paragraph") or "").strip() if data else content.strip()
    if not text:
        raise ReplyError('the reply holds no paragraph; reply with {"paragraph": "..."}')
    return text


def llm_paragraphs(
    settings: LLMConfig,
    cache: Cache,
    jobs: Sequence[tuple[Node, Sequence[tuple[Paper, str]]]],
    prompts: Path | None = None,
) -> tuple[list[str], int, float, list[str]]:
    """One request per node (cached by request), `concurrency` at a time; the paragraphs in neutral
    form, the requests sent, their cost and notes on failed nodes (`prompts`: the workspace's own
    templates)."""
    from .llm import ask_json

    replies, stats = ask_json(
        settings,
        cache,
        [(n.id, llm_messages(n, m, prompts), 900) for n, m in jobs],
        SCHEMA,
        "draft",
        read=paragraph_from_reply,
    )
    texts = [from_latex(r) if r else "" for r in replies]
    return texts, stats.requests, stats.cost, stats.notes
