"""What a typed answer to an option question means: the one place that reads
"tá parado", "no, we have a workaround" or "a segunda" as one of the buttons.

A question is its options (value and button titles, from domain.yml, in every
language) plus the phrases of catalog/answers.yml. A message resolves, in this
order of trust, from (a button click's payload is read before, by the caller,
as the entity it carries):

1. phrases found as whole words: a question's own phrases and the words of the
   button titles over a plain yes or no; a negation turns the phrase after it
   around ("não parou" is a no); a longer phrase wins over one inside it;
2. the n-th button ("1", "a segunda", "the first one");
3. a fuzzy match of the whole message against the titles (rapidfuzz), for
   typos in a multi-word title;
4. NLU's affirm/deny, for a yes/no said some other way.

Two options equally supported give `ambiguous` with both, so the caller asks
which one; nothing gives `none`; "I don't know" gives `unknown`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from common.text import fold, tokens

VOCABULARY_FILE = Path(__file__).resolve().parent.parent / "catalog" / "answers.yml"

# How much a kind of evidence counts; the strongest kind present decides.
PHRASE, TITLE_WORD, NEGATED, POLARITY = 4, 3, 2, 1
# Whole-message similarity to a title (0-100) that counts as that title, and
# the lead it needs over the next option's title.
FUZZY_MIN, FUZZY_LEAD = 82, 8
# Title words shorter than this are too common to mean an option ("ou", "just").
TITLE_WORD_MIN = 5
# A word one edit away from a one-word phrase this long is that phrase
# misspelt ("corrijir", "coregir"); shorter words collide across the three
# languages ("preciso" is not "precio").
TYPO_MIN_LENGTH = 7
# A negation this many words before a phrase still turns it ("nem a gente atualizou").
NEGATION_REACH = 3
# A word and a title word this long that start alike are the same word ("attach", "attaching").
STEM_MIN = 5
# Beyond this many words a survey answer is a new message, not a score.
SCORE_MAX_TOKENS = 7
# Beyond this many words a message is not "the second one".
ORDINAL_MAX_TOKENS = 4
# A word of a yes/no button's title counts in an answer this short at most.
YES_NO_TITLE_MAX_TOKENS = 6
TITLE_STOPWORDS = frozenset(
    "como para com uma sobre seu sua your the and with from por las los del una algo quiero quero want this that"
    " about minha minhas mi mis my nosso nossa nuestro nuestra our usuarios users pessoas personas people".split()
)


@dataclass(frozen=True)
class Option:
    value: str
    # Button titles, the conversation's language first.
    titles: Tuple[str, ...]
    # What its button sends (to offer it again).
    payload: str = ""


@dataclass(frozen=True)
class Question:
    name: str
    options: Tuple[Option, ...]

    def title(self, value: str) -> str:
        return next((o.titles[0] for o in self.options if o.value == value), value)

    def buttons(self, values: Sequence[str]) -> List[Dict[str, str]]:
        """Buttons for some of the options (to ask "this or that?")."""
        chosen = [o for v in values for o in self.options if o.value == v and o.payload]
        return [{"title": o.titles[0], "payload": o.payload} for o in chosen]

    @property
    def values(self) -> Tuple[str, ...]:
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class Resolution:
    kind: str  # answer | ambiguous | unknown | skip | none
    value: Optional[str] = None
    candidates: Tuple[str, ...] = ()

    @property
    def answered(self) -> bool:
        return self.kind == "answer"


NONE = Resolution("none")


@dataclass(frozen=True)
class Phrase:
    words: Tuple[str, ...]
    whole_only: bool = False
    weak: bool = False


@dataclass
class Vocabulary:
    yes: List[Phrase] = field(default_factory=list)
    no: List[Phrase] = field(default_factory=list)
    negations: List[Phrase] = field(default_factory=list)
    weak_no_languages: frozenset = frozenset()
    unknown: List[Phrase] = field(default_factory=list)
    skip: List[Phrase] = field(default_factory=list)
    missing: List[Phrase] = field(default_factory=list)
    already_said: List[Phrase] = field(default_factory=list)
    correcting: List[Phrase] = field(default_factory=list)
    speaking: List[Phrase] = field(default_factory=list)
    language_names: List[Phrase] = field(default_factory=list)
    person: List[Phrase] = field(default_factory=list)
    ordinals: Dict[str, frozenset] = field(default_factory=dict)
    ordinal_words: frozenset = frozenset()
    numbers: Dict[int, List[Phrase]] = field(default_factory=dict)
    # asking_for_person: kind (talk, want, between, team, someone, bot, means) -> phrases; and its reach
    asking: Dict[str, List[Phrase]] = field(default_factory=dict)
    asking_reach: int = 3
    # asking_for_ticket: kind (open, how, joiners) -> phrases
    upset: List[Phrase] = field(default_factory=list)
    farewell: List[Phrase] = field(default_factory=list)
    ticket: Dict[str, List[Phrase]] = field(default_factory=dict)
    # question -> value -> phrases; question -> "yes"/"no" -> value; question -> value -> value
    phrases: Dict[str, Dict[str, List[Phrase]]] = field(default_factory=dict)
    polarity: Dict[str, Dict[str, str]] = field(default_factory=dict)
    negated: Dict[str, Dict[str, str]] = field(default_factory=dict)
    # Every word of every phrase: a word the vocabulary knows is never a typo of
    # another ("analyst" is not "analyse").
    known: frozenset = frozenset()


def _phrases(items: Optional[Iterable[Any]]) -> List[Phrase]:
    found = []
    for item in items or ():
        if isinstance(item, bool):
            # YAML reads a bare yes/no/on/off as a boolean: quote it in catalog/answers.yml.
            raise ValueError(f"unquoted {item!r} in {VOCABULARY_FILE.name}: write it in quotes")
        text = str(item)
        whole, weak = text.startswith("="), text.startswith("~")
        words = tuple(tokens(text[1:] if whole or weak else text))
        if words:
            found.append(Phrase(words, whole, weak))
    return found


def parse_vocabulary(raw: Mapping[str, Any]) -> Vocabulary:
    vocabulary = Vocabulary(
        yes=_phrases(raw.get("yes")),
        no=_phrases(raw.get("no")),
        negations=_phrases(raw.get("negations")),
        weak_no_languages=frozenset(raw.get("weak_no_languages") or ()),
        unknown=_phrases(raw.get("unknown")),
        skip=_phrases(raw.get("skip")),
        missing=_phrases(raw.get("missing")),
        already_said=_phrases(raw.get("already_said")),
        correcting=_phrases(raw.get("correcting")),
        speaking=_phrases(raw.get("speaking")),
        language_names=_phrases(raw.get("language_names")),
        person=_phrases(raw.get("person")),
        upset=_phrases(raw.get("upset")),
        farewell=_phrases(raw.get("farewell")),
        ordinals={str(k): frozenset(fold(str(w)) for w in v) for k, v in (raw.get("ordinals") or {}).items()},
        ordinal_words=frozenset(fold(str(w)) for w in raw.get("ordinal_words") or ()),
        numbers={int(k): _phrases(v) for k, v in (raw.get("numbers") or {}).items()},
    )
    asking = dict(raw.get("asking_for_person") or {})
    vocabulary.asking_reach = int(asking.pop("reach", 3))
    vocabulary.asking = {str(kind): _phrases(items) for kind, items in asking.items()}
    vocabulary.ticket = {str(kind): _phrases(items) for kind, items in (raw.get("asking_for_ticket") or {}).items()}
    for name, section in (raw.get("questions") or {}).items():
        section = dict(section)
        vocabulary.polarity[name] = {str(k): str(v) for k, v in (section.pop("polarity", None) or {}).items()}
        vocabulary.negated[name] = {str(k): str(v) for k, v in (section.pop("negated", None) or {}).items()}
        vocabulary.phrases[name] = {str(value): _phrases(items) for value, items in section.items()}
    v = vocabulary
    lists = [v.yes, v.no, v.negations, v.unknown, v.skip, v.person, v.missing]
    lists += [phrases for section in vocabulary.phrases.values() for phrases in section.values()]
    vocabulary.known = frozenset(word for phrases in lists for phrase in phrases for word in phrase.words)
    return vocabulary


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    return parse_vocabulary(yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    value: str
    weight: int
    # A word of a yes/no button's title in a long message: it counts only
    # negated ("no quiero ticket" is a no; "nadie responde mi solicitud" no yes).
    only_negated: bool = False


def _same_words(phrase: Sequence[str], said: Sequence[str]) -> bool:
    # "#" in a phrase is any number ("# usuarios": "3 usuarios").
    return len(phrase) == len(said) and all(
        p == w or (p == "#" and w.isdigit()) for p, w in zip(phrase, said, strict=True)
    )


def _find(phrase: Phrase, said: Sequence[str]) -> List[Tuple[int, int]]:
    size = len(phrase.words)
    if phrase.whole_only:
        return [(0, size)] if _same_words(phrase.words, said) else []
    return [(i, i + size) for i in range(len(said) - size + 1) if _same_words(phrase.words, said[i : i + size])]


def _misspelt(phrase: Phrase, said: Sequence[str], known: frozenset = frozenset()) -> List[Tuple[int, int]]:
    """Where a word is a one-word phrase with a typo."""
    if len(phrase.words) != 1 or phrase.whole_only or len(phrase.words[0]) < TYPO_MIN_LENGTH:
        return []
    word = phrase.words[0]
    return [
        (i, i + 1)
        for i, w in enumerate(said)
        if w != word
        and w not in known
        and len(w) >= TYPO_MIN_LENGTH - 1
        and Levenshtein.distance(w, word, score_cutoff=1) <= 1
    ]


def _weak_no(lang: str, vocabulary: Vocabulary) -> bool:
    return lang in vocabulary.weak_no_languages


def _negation_ends(said: Sequence[str], lang: str, vocabulary: Vocabulary) -> List[int]:
    """Where each negation in the message ends ("não", "nada a ver com")."""
    ends = []
    for phrase in vocabulary.negations:
        if phrase.words == ("no",) and _weak_no(lang, vocabulary):
            continue
        ends += [end for _, end in _find(phrase, said)]
    return ends


def _polarity(text: str, said: Sequence[str], lang: str, vocabulary: Vocabulary) -> Optional[str]:
    """yes | no, when the message opens (or ends) with a plain yes or no."""
    found = []
    for answer, phrases in (("yes", vocabulary.yes), ("no", vocabulary.no)):
        for phrase in phrases:
            for start, end in _find(phrase, said):
                if start <= 1 or end == len(said):
                    found.append((start, answer))
    if _weak_no(lang, vocabulary) and said[:1] == ["no"] and not re.match(r"^\s*no\s*(?:[,.!;]|$)", fold(text)):
        # Portuguese "no servidor": a preposition, not an answer.
        found = [(s, a) for s, a in found if not (s == 0 and a == "no")]
    if not found:
        return None
    answers = {a for _, a in found}
    if len(answers) == 1:
        return answers.pop()
    return min(found)[1]  # "sim... não sei" -> the first one said


def _title_words(question: Question) -> Dict[str, str]:
    """Words of the titles that belong to one option only ("senha" -> forgot_password)."""
    owners: Dict[str, set] = {}
    for option in question.options:
        for title in option.titles:
            for word in tokens(title):
                if len(word) >= TITLE_WORD_MIN and word not in TITLE_STOPWORDS:
                    owners.setdefault(word, set()).add(option.value)
    return {word: next(iter(values)) for word, values in owners.items() if len(values) == 1}


def _clauses(text: str) -> List[int]:
    """For each token of `text`, which clause (between commas, full stops...) it is in."""
    marks: List[int] = []
    for number, clause in enumerate(re.split(r"[,.;:!?]+", text)):
        marks += [number] * len(tokens(clause))
    return marks


def _same_stem(said: str, word: str) -> bool:
    if said == word:
        return True
    shorter = min(len(said), len(word))
    return shorter >= STEM_MIN and said[:shorter] == word[:shorter] and abs(len(said) - len(word)) <= 4


def _matches(
    question: Question,
    said: Sequence[str],
    lang: str,
    vocabulary: Vocabulary,
    clauses: Sequence[int] = (),
    strict: bool = False,
) -> List[_Match]:
    values = set(question.values)
    negated = vocabulary.negated.get(question.name, {})
    found: List[_Match] = []
    for value, phrases in vocabulary.phrases.get(question.name, {}).items():
        if value not in values:
            continue
        for phrase in phrases:
            weight = TITLE_WORD if phrase.weak else PHRASE
            found += [_Match(s, e, value, weight) for s, e in _find(phrase, said)]
            if not strict:
                found += [_Match(s, e, value, TITLE_WORD) for s, e in _misspelt(phrase, said, vocabulary.known)]
    plain = {p.words for p in vocabulary.yes + vocabulary.no}
    for option in question.options:
        for title in option.titles:
            words = tuple(tokens(title))
            if words in plain:
                continue  # a button that says just "Não": a plain no, read by its polarity
            found += [_Match(s, e, option.value, PHRASE + 1) for s, e in _find(Phrase(words), said)]
    # A yes/no button's title words in a long message count only negated: in
    # "hace una semana que nadie responde mi solicitud", "solicitud" is not a
    # yes to "Sí, abre la solicitud"; "no quiero ticket" is still a no.
    yes_no = {o.value for o in question.options if o.payload in ("/affirm", "/deny")}
    long = len(said) > YES_NO_TITLE_MAX_TOKENS
    for word, value in ({} if strict else _title_words(question)).items():
        # "attach" for "Attaching files": a shared start of five letters or more.
        found += [
            _Match(i, i + 1, value, TITLE_WORD, only_negated=long and value in yes_no)
            for i, w in enumerate(said)
            if _same_stem(w, word)
        ]
    # A longer phrase wins over one inside it ("nao esta parada" over "parada").
    found = [
        m
        for m in found
        if not any(o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start for o in found)
    ]
    negations = _negation_ends(said, lang, vocabulary)
    turned: List[_Match] = []
    for match in found:
        negated_by = [
            end
            for end in negations
            if match.start - NEGATION_REACH <= end <= match.start
            # "não, é servidor nosso": the "não" is its own clause.
            and (not clauses or clauses[end - 1] == clauses[match.start])
        ]
        if negated_by and match.weight != PHRASE + 1:
            if match.value in negated and negated[match.value] in values:
                turned.append(_Match(match.start, match.end, negated[match.value], NEGATED))
            continue
        if not match.only_negated:
            turned.append(match)
    return turned


def _ordinal(question: Question, said: Sequence[str], vocabulary: Vocabulary) -> Optional[str]:
    if not said or len(said) > ORDINAL_MAX_TOKENS:
        return None
    picked = [key for word in said for key, names in vocabulary.ordinals.items() if word in names]
    rest = [w for w in said if not any(w in names for names in vocabulary.ordinals.values())]
    if len(set(picked)) != 1 or any(w not in vocabulary.ordinal_words for w in rest):
        return None
    position = len(question.options) if picked[0] == "last" else int(picked[0])
    return question.options[position - 1].value if 1 <= position <= len(question.options) else None


def _fuzzy(question: Question, text: str) -> Optional[str]:
    folded = " ".join(tokens(text))
    best: Dict[str, float] = {}
    for option in question.options:
        for title in option.titles:
            score = fuzz.token_sort_ratio(folded, " ".join(tokens(title)))
            best[option.value] = max(best.get(option.value, 0.0), score)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < FUZZY_MIN:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < FUZZY_LEAD:
        return None
    return ranked[0][0]


def _ends_clause(phrases: Sequence[Phrase], said: Sequence[str], clauses: Sequence[int]) -> bool:
    """A phrase that ends its clause: "não sei" is I-don't-know, "no se actualizó" is not."""
    for phrase in phrases:
        for _, end in _find(phrase, said):
            if end == len(said) or (len(clauses) == len(said) and clauses[end] != clauses[end - 1]):
                return True
    return False


def _said_any(phrases: Sequence[Phrase], said: Sequence[str]) -> bool:
    return any(_find(p, said) for p in phrases)


def resolve(
    question: Question,
    text: str,
    lang: str,
    intent: Optional[str] = None,
    vocabulary: Optional[Vocabulary] = None,
    strict: bool = False,
    min_words: int = 1,
) -> Resolution:
    """What `text` answers to `question`, in a conversation in `lang`.
    `intent` is NLU's intent for the message (affirm/deny help yes/no).
    `strict`: the message is not an answer to the question but may name an
    option outright ("quero falar com o financeiro"): only its phrases count.
    `min_words`: only phrases of at least that many words count (a first
    message read for options it states: "fiscal" in "nota fiscal" is not a
    department, "todo mundo" is everyone)."""
    vocabulary = vocabulary or default_vocabulary()
    values = question.values
    said = tokens(text)
    if not said:
        return NONE
    # A yes/no question without a mapping of its own: yes is "yes", no is "no".
    polarity_map: Dict[str, str] = {p: p for p in ("yes", "no") if p in values}
    polarity_map.update(vocabulary.polarity.get(question.name, {}))

    clauses = _clauses(text)
    leading = None if strict else _leading_polarity(said, clauses if len(clauses) == len(said) else (), vocabulary)
    if leading is not None and polarity_map.get(leading) in values and set(values) <= set(polarity_map.values()):
        # "Sí, dale, regístralo así me llaman después": to a plain yes-or-no
        # question the answer comes first; what follows is its reason
        # ("después" alone would be a "not now"). Not where a third option
        # says more ("não, dá pra ir contornando" is "partly").
        return Resolution("answer", polarity_map[leading])
    matches = _matches(question, said, lang, vocabulary, clauses if len(clauses) == len(said) else (), strict)
    matches = [m for m in matches if m.end - m.start >= min_words]
    if matches:
        strongest = max(m.weight for m in matches)
        chosen = list(dict.fromkeys(m.value for m in sorted(matches, key=lambda m: m.start) if m.weight == strongest))
        if len(chosen) == 1 and not (strict and strongest < PHRASE):
            return Resolution("answer", chosen[0])
        return Resolution("ambiguous", candidates=tuple(chosen[:2])) if len(chosen) > 1 else NONE
    if strict:
        return NONE

    ordinal = _ordinal(question, said, vocabulary)
    if ordinal is not None:
        return Resolution("answer", ordinal)

    if _ends_clause(vocabulary.unknown, said, clauses):
        return Resolution("unknown")
    polarity = _polarity(text, said, lang, vocabulary)
    if polarity and polarity_map.get(polarity) in values:
        return Resolution("answer", polarity_map[polarity])
    if polarity == "yes" and "yes" not in polarity_map:
        # "Sim" to "which of these articles?": the one, if there is only one besides "none".
        others = [v for v in values if v not in polarity_map.values()]
        if len(others) == 1 and polarity_map:
            return Resolution("answer", others[0])

    if _said_any(vocabulary.skip, said):
        return Resolution("skip")

    fuzzy = _fuzzy(question, text)
    if fuzzy is not None:
        return Resolution("answer", fuzzy)

    by_intent = {"affirm": "yes", "deny": "no"}.get(intent or "")
    if by_intent and polarity_map.get(by_intent) in values:
        return Resolution("answer", polarity_map[by_intent])
    return NONE


def _leading_polarity(said: Sequence[str], clauses: Sequence[int], vocabulary: Vocabulary) -> Optional[str]:
    """"yes" or "no" when the message opens with one as a clause of its own
    ("sim, ...", "no, ..."; not "no servidor": Portuguese's "in the")."""
    for polarity, phrases in (("yes", vocabulary.yes), ("no", vocabulary.no)):
        end = _phrase_at([p for p in phrases if not p.whole_only], said, 0)
        if end > 0 and clauses and (end == len(said) or clauses[end] != clauses[end - 1]):
            return polarity
    return None


def asks_for_person(text: str, vocabulary: Optional[Vocabulary] = None) -> bool:
    """Whether a message names someone to talk to ("para, me passa pro analista")."""
    return _said_any((vocabulary or default_vocabulary()).person, tokens(text))


def says_missing(text: str, vocabulary: Optional[Vocabulary] = None) -> bool:
    """Whether the customer says they do not have what was asked ("não tenho o número", "I lost it")."""
    v = vocabulary or default_vocabulary()
    return _said_any(v.missing + v.unknown, tokens(text))


def says_unknown(text: str, vocabulary: Optional[Vocabulary] = None) -> bool:
    """Whether the customer says they do not know ("no sé cuál versión")."""
    return _said_any((vocabulary or default_vocabulary()).unknown, tokens(text))


def asks_who_speaks(text: str, vocabulary: Optional[Vocabulary] = None) -> bool:
    """Whether the message asks about someone who speaks a language ("vcs têm
    analista que fala inglês?", "do you have analysts who speak Spanish?")."""
    v = vocabulary or default_vocabulary()
    said = tokens(text)
    return _said_any(v.person, said) and _said_any(v.speaking, said) and _said_any(v.language_names, said)


def says_already_said(text: str, vocabulary: Optional[Vocabulary] = None) -> bool:
    """Whether the customer says they answered already ("já te falei isso aí em cima")."""
    return _said_any((vocabulary or default_vocabulary()).already_said, tokens(text))


def corrects_itself(text: str, vocabulary: Optional[Vocabulary] = None) -> bool:
    """Whether the message takes back an earlier answer ("na verdade", "me corrijo", "actually")."""
    return _said_any((vocabulary or default_vocabulary()).correcting, tokens(text))


def sounds_upset(text: str, vocabulary: Optional[Vocabulary] = None) -> bool:
    """Whether the customer says they are unhappy or that Carolina did not help."""
    return _said_any((vocabulary or default_vocabulary()).upset, tokens(text))


def leaves_upset(text: str, vocabulary: Optional[Vocabulary] = None) -> bool:
    """An unhappy goodbye ("que saco, tchau"), whatever NLU made of it."""
    v = vocabulary or default_vocabulary()
    return _said_any(v.farewell, tokens(text)) and sounds_upset(text, v)


def speaks_to_the_team(text: str, vocabulary: Optional[Vocabulary] = None) -> bool:
    """Praise or a complaint said outright ("quero elogiar a analista", "quiero
    dejar un reclamo"), or praise of someone on the team, which goes to the
    communication channel, unless it is a question about how to send one."""
    v = vocabulary or default_vocabulary()
    if "?" in text:
        return False
    said = tokens(text)
    if _said_any(v.asking.get("feedback", []), said):
        return True
    # Praise of someone on the team without a word for praise ("Ana from support
    # was AMAZING, tell her boss"). Only praise: a complaint word beside "suporte"
    # is usually a problem being reported ("preciso de suporte, o sistema está ruim").
    someone = v.person + v.asking.get("someone", []) + v.asking.get("team", [])
    praise = v.phrases.get("handoff_feedback", {}).get("praise", [])
    return _said_any(praise, said) and _said_any(someone, said)


def _phrase_at(phrases: Sequence[Phrase], said: Sequence[str], at: int) -> int:
    """The end of the longest phrase that starts at `at`, or -1."""
    ends = [at + len(p.words) for p in phrases if _same_words(p.words, said[at : at + len(p.words)])]
    return max(ends, default=-1)


# A word of customer text as it was written ("don't" is one word, as in tokens()).
_WRITTEN_TOKEN = re.compile(r"[^\W_]+(?:['’`´][^\W_]+)*", re.UNICODE)
# What follows a request counts as the problem when it is this long.
PROBLEM_MIN_WORDS = 3


def requests_ticket(text: str, vocabulary: Optional[Vocabulary] = None) -> Optional[str]:
    """None unless the message asks outright to open a ticket or report a
    problem ("quero abrir um chamado, o Logix trava ao faturar"); then what it
    says the problem is, as written ("o Logix trava ao faturar"), or "" when it
    says nothing more. "Como abro um chamado?" is a question, "não quero abrir
    chamado" a refusal: neither is a request."""
    v = vocabulary or default_vocabulary()
    said, kinds = tokens(text), v.ticket
    for start in range(len(said)):
        end = _phrase_at(kinds.get("open", []), said, start)
        if end < 0:
            continue
        if any(_phrase_at(kinds.get("how", []), said, i) > 0 for i in range(start)):
            return None
        if any(_phrase_at(v.negations, said, i) > 0 for i in range(max(0, start - 3), start)):
            return None
        while end < len(said):
            joined = _phrase_at(kinds.get("joiners", []), said, end)
            if joined < 0:
                break
            end = joined
        written = list(_WRITTEN_TOKEN.finditer(text))
        if end >= len(written) or len(said) - end < PROBLEM_MIN_WORDS:
            return ""
        return text[written[end].start() :].strip(" .,;:!-")
    return None


def requests_person(text: str, vocabulary: Optional[Vocabulary] = None) -> bool:
    """Whether a message asks for someone to talk to, however it is worded:
    "I need an analyst asap", "quero falar com o financeiro", "can I talk to
    the billing person?", "no quiero hablar con un robot". Names of someone
    alone ("o analista disse que...") or a verb without someone after it
    ("quero falar sobre a fatura") are not a request (catalog/answers.yml,
    asking_for_person)."""
    v = vocabulary or default_vocabulary()
    said, kinds = tokens(text), v.asking
    if _said_any(kinds.get("means", []), said):
        return False
    someone = v.person + kinds.get("someone", [])
    verbs = {kind: kinds.get(kind, []) for kind in ("talk", "want")}
    for start in range(len(said)):
        seen = {kind for kind, phrases in verbs.items() if _phrase_at(phrases, said, start) > 0}
        if not seen:
            continue
        negated = any(_phrase_at(v.negations, said, i) > 0 for i in range(max(0, start - 2), start))
        at, skipped = start, 0
        while at < len(said) and skipped <= v.asking_reach:
            verb_end = max(_phrase_at(verbs[kind], said, at) for kind in verbs)
            if verb_end > 0:
                seen.update(kind for kind in verbs if _phrase_at(verbs[kind], said, at) == verb_end)
                at = verb_end
                continue
            if _phrase_at(someone, said, at) > 0:
                return True
            if "talk" in seen and _phrase_at(kinds.get("team", []), said, at) > 0:
                return True
            if negated and _phrase_at(kinds.get("bot", []), said, at) > 0:
                return True
            if _phrase_at(kinds.get("between", []), said, at) < 0:
                break
            at, skipped = _phrase_at(kinds.get("between", []), said, at), skipped + 1
    return False


def score(text: str, top: int = 10, vocabulary: Optional[Vocabulary] = None) -> Optional[int]:
    """A 0..`top` score in a survey answer: "9", "nota 9", "8/10", "dez!", "I'd say a 7".
    The scale itself ("de 0 a 10") is not an answer."""
    vocabulary = vocabulary or default_vocabulary()
    folded = fold(text)
    folded = re.sub(rf"\b0\s*(?:a|to|-|ate|hasta|al)\s*{top}\b", " ", folded)
    folded = re.sub(rf"\b(\d+)\s*(?:/|de|of|out of|em|sobre)\s*{top}\b", r"\1", folded)
    said = tokens(folded)
    if len(said) > SCORE_MAX_TOKENS:
        return None  # a new message ("quero abrir 2 chamados"), not a score
    numbers = [int(m.group(1)) for w in said if (m := re.match(r"^(\d{1,3})(?:ish|pts|pontos|puntos|points)?$", w))]
    if numbers:
        return numbers[0] if len(numbers) == 1 and 0 <= numbers[0] <= top else None
    named = [
        (start, value) for value, phrases in vocabulary.numbers.items() for p in phrases for start, _ in _find(p, said)
    ]
    values = {v for _, v in named}
    if len(values) == 1 and 0 <= (value := values.pop()) <= top:
        return value
    if len(values) > 1:
        # "um dez" / "a ten": an article before the number.
        biggest = max(values)
        return biggest if biggest <= top and len(values) == 2 and min(values) == 1 else None
    return None


def question_from_buttons(
    name: str,
    buttons_by_language: Mapping[str, Sequence[Mapping[str, Any]]],
    lang: str,
    vocabulary: Optional[Vocabulary] = None,
) -> Question:
    """A question from its buttons in each language (the conversation's first):
    each button's payload names its option (`/affirm` and `/deny` the option a
    yes or a no means to this question, `/inform{"slot": "value"}` value)."""
    polarity = (vocabulary or default_vocabulary()).polarity.get(name, {})
    order = [lang] + [code for code in buttons_by_language if code != lang]
    titles: Dict[str, List[str]] = {}
    payloads: Dict[str, str] = {}
    for code in order:
        for button in buttons_by_language.get(code) or ():
            payload = str(button.get("payload") or "")
            value = payload_value(payload)
            value = polarity.get(value, value) if value in ("yes", "no") else value
            if value is not None:
                titles.setdefault(value, []).append(str(button.get("title") or value))
                payloads.setdefault(value, payload)
    return Question(name, tuple(Option(v, tuple(dict.fromkeys(t)), payloads[v]) for v, t in titles.items()))


def payload_value(payload: str) -> Optional[str]:
    """The option a button's payload names: "/affirm" -> yes, "/deny" -> no,
    '/inform{"slot": "value"}' -> value."""
    import json

    match = re.match(r"^/(\w+)(\{.*\})?$", payload.strip())
    if not match:
        return None
    intent, body = match.groups()
    if intent == "affirm":
        return "yes"
    if intent == "deny":
        return "no"
    if body:
        try:
            entities = json.loads(body)
        except ValueError:
            return None
        if len(entities) == 1:
            return str(next(iter(entities.values())))
    return None
