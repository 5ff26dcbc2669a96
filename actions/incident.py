"""The incident the intake form gathers: which fields, in what order, what an
answer means and when it is not good enough. Plain functions over slot values,
so tests call them without Rasa; actions/intake.py feeds them the tracker.

The design lists "one user or all users" and "impact" as separate things; here
one question ("how many people does it affect?") answers both, because asking
the customer the same thing twice is what this form exists to avoid. Impact and
urgency come from the answers; criticality from impact x urgency is decided by
the hub (bot/domain/tickets.py), never asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from common.addresses import CC_MAX, is_one_address, written_addresses
from common.answers import (
    Option,
    Question,
    Resolution,
    asks_for_person,
    corrects_itself,
    resolve,
    says_already_said,
    says_unknown,
)
from common.text import fold, words
from common.vocabulary import vocabulary
from components.catalog import VERSION_PATTERN, Catalog

UNKNOWN = vocabulary().unknown  # the customer said they don't know, or three answers were not understood
# The confirmation was never answered: no ticket, but everything is kept.
PAUSED = "paused"
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Field:
    slot: str
    kind: str  # choice | product | database | version | text | yesno | date
    required: bool = True
    choices: Tuple[str, ...] = ()
    min_words: int = 1


# Below this many words a free-text answer is asked again (the rest take one).
MIN_WORDS = {"summary": 3, "description": 8, "steps": 3, "expected": 2}

# The form's fields, in the order they are asked: the vocabulary's
# (common/vocabulary.yml), less the ones derived rather than asked.
FIELDS: Tuple[Field, ...] = tuple(
    Field(spec.slot, spec.kind, spec.required, spec.choices, MIN_WORDS.get(spec.name, 1))
    for spec in vocabulary().fields
    if spec.asked
)
BY_SLOT = {f.slot: f for f in FIELDS}
# The steps after the fields, in order; which of them apply depends on the case.
STEPS = ("intake_duplicate", "intake_related", "intake_solved", "intake_confirmed", "intake_edit_field", "intake_copy")
# What an intake ends with is decided from these; they are cleared afterwards.
CONTROL = ("intake_eligibility", "intake_duplicate_of", "incident_since_date", *STEPS)
# Facts about the customer's installation, kept for the next ticket of the conversation.
KEPT = ("incident_product", "incident_version", "incident_database", "incident_cloud")
# Gathered like a field but not one of the ticket's fields: who else is copied
# on the ticket's e-mails (the ticket's "cc"), added at the confirmation.
EXTRA = ("intake_cc",)
# The confirmation's third answer: "copy someone on the e-mails".
COPY = "cc"

# Entities the NLU (catalog patterns, button payloads) fills fields with.
ENTITY_SLOTS = {
    "product": "incident_product",
    "version": "incident_version",
    "database": "incident_database",
    "incident_category": "incident_category",
    "incident_origin": "incident_origin",
    "incident_system_environment": "incident_system_environment",
    "incident_affected_users": "incident_affected_users",
    "incident_operation_stopped": "incident_operation_stopped",
}

# Typed answers to the option questions are read by common.answers (its
# phrases in catalog/answers.yml, the options from the buttons in domain.yml).
# The third answer in a row that is not understood ends the question
# (`_way_out`): no question is asked more than three times.
MAX_ATTEMPTS = 3
# A required field the customer says twice they do not know is noted as unknown.
UNKNOWN_AFTER = 2

IMPACT = {"one": "low", "some": "medium", "all": "high"}
URGENCY = {"no": "low", "partly": "medium", "yes": "high"}


@dataclass(frozen=True)
class Turn:
    """What the customer's latest message says, as far as the form is concerned."""

    requested: Optional[str]
    text: str
    intent: Optional[str]
    entities: Sequence[Mapping[str, Any]] = ()
    # Decided by actions/intake.py from the knowledge base: a real question, to
    # answer before the form goes on.
    is_question: bool = False
    # The options of the question asked (None: it has no buttons).
    question: Optional[Question] = None
    # How many messages in a row have answered the question asked, this one included.
    attempt: int = 1
    # The option questions answered before, which "na verdade é bug" may correct.
    earlier: Mapping[str, Question] = field(default_factory=dict)


@dataclass
class Step:
    updates: Dict[str, Any] = field(default_factory=dict)
    # (response name, template values) to send, in order.
    responses: List[Tuple[str, Dict[str, Any]]] = field(default_factory=list)
    # True: the message was not an answer; Rasa's rules take over (a question, "stop").
    reject: bool = False
    # Product names to offer as buttons with the "did you mean" re-ask.
    offer: Tuple[str, ...] = ()


def find_version(text: str) -> Optional[str]:
    for token in re.split(r"[\s,;:()]+", text.strip()):
        token = token.rstrip(".")
        if re.match(VERSION_PATTERN, token, re.IGNORECASE):
            return token.lstrip("vV")
    return None


# A routine's code as the ERPs name them (MATA410, FINA050, GPEM020): three
# or four capitals, then three digits, written as a word of its own.
ROUTINE_CODE = re.compile(r"(?<![\w.])([A-Z]{3,4}[0-9]{3})(?![\w.])")
# "Depois que atualizamos da 12.1.2210", "after we updated from 12.1.2210":
# the version before the update.
UPDATED_FROM = re.compile(
    r"\b(?:atualiz|actualiz|updat|upgrad|migr)\w*\b\D{0,40}?\b(?:da|de|de la|del|desde|from)\s+"
    r"(?:(?:a|la|o|el|the)\s+)?(?:(?:versao|version|release)\s+)?v?(\d{1,4}(?:\.\d{1,4}){1,3})\b"
)
# Where a "since when" starts in a sentence ("desde ayer", "comecou segunda passada", "started yesterday").
SINCE_CUES = re.compile(r"\b(desde|since|comecou|empezo|comenzo|started|starting|faz|hace|ha)\s+")
SINCE_MAX_WORDS = 4
# Where the "since when" part of a sentence ends.
SINCE_ENDS = re.compile(r"[,.;:!?()]| (?:depois|despues|after|right|quando|cuando|when|e|y|and)\b")


def stated_details(text: str, lang: str, now: datetime, known: Mapping[str, Any]) -> Dict[str, Any]:
    """The free-form fields a first message states outright: the routine's code,
    since when (a date the words name), and the version before an update. Read
    only where the message says it plainly; the summary shows them to confirm."""
    found: Dict[str, Any] = {}
    code = ROUTINE_CODE.search(text)
    if code and known.get("incident_routine") is None:
        found["incident_routine"] = code.group(1)
    folded = fold(text)
    previous = UPDATED_FROM.search(folded)
    if (
        previous
        and previous.group(1) != known.get("incident_version")
        and known.get("incident_previous_version") is None
    ):
        found["incident_after_update"] = YES
        found["incident_previous_version"] = previous.group(1)
    if known.get("incident_since") is None:
        for cue in SINCE_CUES.finditer(folded):
            clause = re.split(
                r"[,.;:!?()]| (?:depois|despues|after|right|quando|cuando|when|e|y|and)\b", folded[cue.start() :]
            )[0]
            said = clause.split()[: SINCE_MAX_WORDS + 1]
            for size in range(2, len(said) + 1):  # the cue and the fewest words that make a date
                # "desde ayer" is read and shown as "ayer" (after "Since:"); "hace 3 días" as it is.
                candidate = " ".join(said[:size] if cue.group(1) in ("faz", "hace", "ha") else said[1:size])
                if re.search(r"\d+\.\d+\.\d+", candidate):
                    continue  # a version, not a date
                when, understood = parse_since(candidate, lang, now, search=False)
                if understood and when is not None and when <= now.date():
                    found["incident_since"] = candidate
                    found["incident_since_date"] = when.isoformat()
                    break
            if "incident_since" in found:
                break
    return found


# Periods people name that dateparser misses or misreads ("esta mañana" is
# not tomorrow; "el mes pasado", "since this morning"): days back from today,
# or "week"/"month" for the first day of the current one.
RELATIVE_DAYS: Dict[str, Any] = {
    **dict.fromkeys(
        [
            "this morning",
            "this afternoon",
            "earlier today",
            "esta manha",
            "hoje de manha",
            "hoje cedo",
            "hoje a tarde",
            "essa manha",
            "esta manana",
            "hoy temprano",
            "hoy en la manana",
            "esta tarde",
            "hoy a la manana",
        ],
        0,
    ),
    **dict.fromkeys(
        ["last night", "ontem a noite", "ontem de noite", "anoche", "ayer en la noche", "ayer a la noche"], 1
    ),
    **dict.fromkeys(
        [
            "a couple of days ago",
            "a couple of days",
            "a few days ago",
            "a few days",
            "uns dias",
            "alguns dias",
            "uns dias atras",
            "unos dias",
            "algunos dias",
            "hace unos dias",
            "faz uns dias",
            "ha uns dias",
        ],
        3,
    ),
    **dict.fromkeys(["last week", "semana passada", "la semana pasada", "semana pasada", "a semana passada"], 7),
    **dict.fromkeys(["last month", "mes passado", "o mes passado", "el mes pasado", "mes pasado"], 30),
    **dict.fromkeys(
        [
            "this week",
            "esta semana",
            "essa semana",
            "beginning of the week",
            "inicio da semana",
            "comeco da semana",
            "inicio de semana",
            "principio de semana",
        ],
        "week",
    ),
    **dict.fromkeys(
        [
            "this month",
            "este mes",
            "esse mes",
            "start of the month",
            "beginning of the month",
            "the start of the month",
            "the beginning of the month",
            "inicio do mes",
            "comeco do mes",
            "o inicio do mes",
            "o comeco do mes",
            "principio de mes",
            "inicio de mes",
            "principios de mes",
            "el principio de mes",
            "el inicio de mes",
        ],
        "month",
    ),
}


def _relative_day(text: str, now: datetime) -> Optional[date]:
    back = RELATIVE_DAYS.get(" ".join(words(text)))
    today = now.date()
    if back == "week":
        return date.fromordinal(today.toordinal() - today.weekday())
    if back == "month":
        return today.replace(day=1)
    if isinstance(back, int):
        return date.fromordinal(today.toordinal() - back)
    return None


def parse_since(text: str, lang: str, now: datetime, search: bool = True) -> Tuple[Optional[date], bool]:
    """(the date the text names, whether it names one at all). Relative dates
    ("since yesterday", "há 3 dias") count from `now`. Without `search`, the
    whole text must be the date."""
    import dateparser
    from dateparser.search import search_dates

    settings = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": now.replace(tzinfo=None), "DATE_ORDER": "DMY"}
    if lang == "en":
        settings["DATE_ORDER"] = "MDY"
    cleaned = re.sub(r"^\s*(desde|since|from|a partir de)\s+(o |el |la |a )?", "", text.strip(), flags=re.IGNORECASE)
    relative = _relative_day(cleaned, now)
    if relative is not None:
        return relative, True
    parsed = dateparser.parse(cleaned, languages=[lang], settings=settings)
    if parsed is None and search:
        found = search_dates(text, languages=[lang], settings=settings)
        parsed = found[0][1] if found else None
    return (parsed.date() if parsed else None), parsed is not None


def step(
    state: Mapping[str, Any], turn: Turn, catalog: Catalog, lang: str, now: datetime, labels: Mapping[str, str]
) -> Step:
    """Read one customer message while the form is active. `state` holds the slot
    values from before the message; `labels` names the fields in the customer's
    language (for "Noted: Database → SQL Server") and gives the examples of a
    rephrased question (`example_<kind>`)."""
    result = Step()
    requested = turn.requested
    question = turn.question or fallback_question(requested)
    option = resolve(question, turn.text, lang, intent=turn.intent) if question and turn.text else None
    spec = BY_SLOT.get(requested or "")
    corrected = _corrections(state, turn, lang)
    if corrected:
        # "Pensando bem, na verdade é bug e não dúvida": the earlier answer changes;
        # the question asked is answered only by what it can read for sure.
        for slot, value in corrected.items():
            result.updates[slot] = value
            result.responses.append(
                ("utter_intake_noted", {"field": labels.get(slot, slot), "value": turn.earlier[slot].title(value)})
            )
        if requested and (spec is None or spec.kind in ("text", "date", "product", "choice", "yesno")):
            result.updates[requested] = None
            return _after_answer(state, result)
    if spec is not None and spec.kind == "text" and _only_already_said(turn.text):
        # "Já te falei isso aí em cima": not the answer, and not a stop either.
        result.responses.append(("utter_intake_already_said", {}))
        result.updates[spec.slot] = None
        return _after_answer(state, result)
    # "Em parte" or "error, ya te dije" may look like "stop" to NLU; an answer
    # to the question asked wins over that guess. Otherwise a stop or a request
    # for a person goes to Rasa's rules (data/rules/intake.yml).
    wants_out = turn.intent in ("stop", "request_human") and not corrected
    if wants_out and (not (option and option.answered) or asks_for_person(turn.text)):
        return Step(reject=True)
    if requested == "intake_copy":
        return _answer_copy(state, turn, lang, result)
    mentioned = _from_entities(turn, catalog)
    # A version given while the previous version is asked is the previous one.
    if requested == "incident_previous_version" and "incident_version" in mentioned:
        mentioned["incident_previous_version"] = mentioned.pop("incident_version")
    for slot, value in mentioned.items():
        if slot != requested and state.get(slot) not in (None, value):
            result.responses.append(("utter_intake_noted", {"field": labels.get(slot, slot), "value": value}))
        result.updates[slot] = value
    if requested is None or requested in mentioned:
        return _after_answer(state, result)

    if mentioned and requested == "intake_confirmed":
        # "Actually it's SQL Server" at the summary: corrected, so the summary again.
        result.updates[requested] = None
        return _after_answer(state, result)
    if mentioned and spec and spec.kind in ("text", "date") and len(words(turn.text)) < spec.min_words + 2:
        # "Actually it's SQL Server" while the description is asked: a correction, not the answer.
        result.updates[requested] = None
        return _after_answer(state, result)
    if option is not None and option.kind == "ambiguous" and question is not None:
        first, second = option.candidates
        result.responses.append(
            ("utter_option_which", {"first": question.title(first), "second": question.title(second)})
        )
        answered = False
    elif spec:
        answered = _answer_field(spec, turn, catalog, lang, now, result, option)
    else:
        answered = _answer_step(requested, result, option)
    if not answered and not result.updates and not result.responses and turn.is_question:
        # Not an answer but a question: Rasa answers it, then the form asks again.
        return Step(reject=True)
    if not answered and turn.attempt >= MAX_ATTEMPTS:
        result.responses.clear()
        _way_out(requested, turn.text, spec, result, labels)
        return _after_answer(state, result)
    if not answered and not result.responses:
        result.responses.append(("utter_intake_choose", {}))
    if not answered and turn.attempt == MAX_ATTEMPTS - 1:
        result.responses.append(("utter_intake_rephrase", {"example": _example(spec, question, labels)}))
    if not answered:
        result.updates.setdefault(requested, None)
    return _after_answer(state, result)


# A remark longer than this is taken as an answer that mentions it ("como eu
# disse, o pedido não grava e aparece a mensagem X").
REMARK_MAX_WORDS = 16


def _only_already_said(text: str) -> bool:
    return says_already_said(text) and len(words(text)) <= REMARK_MAX_WORDS


def _corrections(state: Mapping[str, Any], turn: Turn, lang: str) -> Dict[str, Any]:
    """The earlier option answers the message takes back ("na verdade é bug"):
    only with a word of correction, and only to another of that question's options."""
    if not turn.earlier or not turn.text or not corrects_itself(turn.text):
        return {}
    found: Dict[str, Any] = {}
    for slot, question in turn.earlier.items():
        if slot == turn.requested or state.get(slot) in (None, UNKNOWN):
            continue
        read = resolve(question, turn.text, lang, strict=True)
        if read.answered and read.value is not None and read.value != state.get(slot):
            found[slot] = read.value
    return found


def fallback_question(requested: Optional[str]) -> Optional[Question]:
    """The options of a question when the caller has no buttons to read them
    from (tests, the benchmark's "before"): the values themselves as titles."""
    from common.answers import Option

    spec = BY_SLOT.get(requested or "")
    if spec and spec.kind == "choice":
        values: Tuple[str, ...] = spec.choices
    elif spec and spec.kind == "yesno" or requested in ("intake_duplicate", "intake_solved"):
        values = (YES, NO)
    elif requested == "intake_confirmed":
        values = (YES, "edit", COPY)
    elif requested == "intake_related":
        values = ("none",)
    elif requested == "intake_edit_field":
        values = tuple(f.slot for f in FIELDS)
    else:
        return None
    return Question(str(requested), tuple(Option(v, (v.replace("_", " "),)) for v in values))


def _example(spec: Optional[Field], question: Optional[Question], labels: Mapping[str, str]) -> str:
    """What to show as an example answer when asking a second time."""
    if question is not None and question.options:
        return question.options[0].titles[0]
    kind = spec.kind if spec else "text"
    return labels.get(f"example_{kind}", "")


def _way_out(requested: str, text: str, spec: Optional[Field], result: Step, labels: Mapping[str, str]) -> None:
    """The third answer in a row that is not understood: the question ends
    here. A field is noted as unknown (the analyst confirms it) and the form
    goes on; a step takes its safe side; the confirmation is never assumed."""
    if spec is not None:
        result.updates[requested] = UNKNOWN
        if spec.kind == "product" and words(text):
            result.updates[requested] = text.strip()[:60]  # their own word for it, kept for the analyst
        if requested == "incident_since":
            result.updates["incident_since_date"] = None
        shown = result.updates[requested] if result.updates[requested] != UNKNOWN else labels.get("unknown", UNKNOWN)
        result.responses.append(("utter_intake_way_out", {"field": labels.get(requested, requested), "value": shown}))
        return
    if requested == "intake_confirmed":
        result.updates[requested] = PAUSED
        return
    if requested == "intake_edit_field":
        result.updates.update({"intake_edit_field": None, "intake_confirmed": None})
        result.responses.append(("utter_intake_moving_on", {}))
        return
    result.updates[requested] = "none" if requested == "intake_related" else NO
    result.responses.append(("utter_intake_moving_on", {}))


def _from_entities(turn: Turn, catalog: Catalog) -> Dict[str, Any]:
    values: Dict[str, Any] = {}
    for entity in turn.entities:
        name, value = entity.get("entity"), entity.get("value")
        if name == "intake_edit_field" and turn.requested == "intake_edit_field" and value in BY_SLOT:
            values["intake_edit_field"] = value
        elif name == "kb_article" and turn.requested == "intake_related":
            values["intake_related"] = str(value)
        elif name == "intake_confirmed" and turn.requested == "intake_confirmed" and value == COPY:
            values["intake_confirmed"] = COPY
        slot = ENTITY_SLOTS.get(str(name))
        if slot is None or value is None or slot in values:
            continue
        spec = BY_SLOT[slot]
        if spec.kind == "choice" and value not in spec.choices:
            continue
        if spec.kind == "product":
            value = catalog.canonical("product", str(value))
            if value is None:
                continue
        if spec.kind == "database":
            value = catalog.canonical("database", str(value)) or ("other" if value == "other" else str(value))
        values[slot] = value
    return values


def _answer_field(
    spec: Field, turn: Turn, catalog: Catalog, lang: str, now: datetime, result: Step, option: Optional[Resolution]
) -> bool:
    text, slot = turn.text.strip(), spec.slot
    unknown = turn.intent == "dont_know" or (option is not None and option.kind in ("unknown", "skip"))
    if option is None and spec.kind in ("version", "product") and says_unknown(text):
        unknown = True  # "no sé cuál versión, eso lo ve sistemas": no buttons to read it against
    if unknown and not (option is not None and option.answered):
        if spec.required and turn.attempt < UNKNOWN_AFTER:
            result.responses.append(("utter_intake_needed", {}))
            return False
        # Optional, or said again after hearing why it is needed: noted as not
        # known, and the analyst asks whoever knows ("eso lo ve sistemas").
        result.updates[slot] = UNKNOWN
        if slot == "incident_since":
            result.updates["incident_since_date"] = None
        return True
    if turn.is_question and spec.kind in ("text", "choice", "date"):
        return False
    if spec.kind in ("choice", "yesno"):
        if option is None or not option.answered:
            return False
        result.updates[slot] = option.value
        return True
    if spec.kind == "product":
        value = catalog.canonical("product", text)
        if value:
            result.updates[slot] = value
            return True
        result.offer = tuple(catalog.closest("product", text))
        name = "utter_intake_product_suggestions" if result.offer else "utter_intake_product_unknown"
        result.responses.append((name, {"value": text[:60]}))
        return False
    if spec.kind == "database":
        value = catalog.canonical("database", text)
        if value is None and option is not None and option.answered:
            value = option.value
        if value is None:
            value = next(iter(catalog.closest("database", text, 1)), None)
        if value is None and len(words(text)) == 1 and option is not None and option.kind == "none":
            value = text  # a database not in the catalog (Informix, DB2...) is still an answer
        if value is None:
            return False
        result.updates[slot] = value
        return True
    if spec.kind == "version":
        value = find_version(text)
        if value is None:
            result.responses.append(("utter_intake_bad_version", {"value": text[:40]}))
            return False
        result.updates[slot] = value
        return True
    if spec.kind == "date":
        when, understood = parse_since(text, lang, now)
        if not understood or when is None:
            result.responses.append(("utter_intake_bad_date", {}))
            return False
        if when > now.date():
            result.responses.append(("utter_intake_future_date", {}))
            return False
        result.updates[slot] = text
        result.updates["incident_since_date"] = when.isoformat()
        return True
    # Free text: long enough for an analyst to act on.
    if len(words(text)) < spec.min_words:
        result.responses.append(("utter_intake_too_short", {"minimum": spec.min_words}))
        return False
    result.updates[slot] = text
    return True


def _answer_step(requested: str, result: Step, option: Optional[Resolution]) -> bool:
    """The steps after the fields: duplicate, related article, solved, confirmed, field to edit."""
    if option is None or not option.answered or option.value is None:
        return False
    if requested == "intake_edit_field" and option.value not in BY_SLOT:
        return False
    result.updates[requested] = option.value
    return True


def _after_answer(state: Mapping[str, Any], result: Step) -> Step:
    updates = result.updates
    edit = updates.get("intake_edit_field")
    if edit:
        # Ask that field again, then the confirmation again.
        updates.update({edit: None, "intake_edit_field": None, "intake_confirmed": None})
        if edit == "incident_since":
            updates["incident_since_date"] = None
    if updates.get("incident_after_update") == NO:
        updates["incident_previous_version"] = None
    return result


def next_slot(
    state: Mapping[str, Any], duplicate_candidate: bool = False, related: Sequence[str] = ()
) -> Optional[str]:
    """The slot to ask next, or None when the intake is over (see `outcome`)."""
    if state.get("intake_eligibility") in ("anonymous", "blocked"):
        return None
    for spec in FIELDS:
        if spec.slot == "incident_previous_version" and state.get("incident_after_update") != YES:
            continue
        if spec.slot == "incident_after_update" and state.get("incident_since") == UNKNOWN:
            continue
        if state.get(spec.slot) is None:
            return spec.slot
        if spec.slot == "incident_category" and state.get(spec.slot) == "suggestion":
            return None
    if duplicate_candidate and state.get("intake_duplicate") is None:
        return "intake_duplicate"
    if state.get("intake_duplicate") == YES:
        return None
    if related and state.get("intake_related") is None:
        return "intake_related"
    if state.get("intake_related") not in (None, "none") and state.get("intake_solved") is None:
        return "intake_solved"
    if state.get("intake_solved") == YES:
        return None
    if state.get("intake_confirmed") is None:
        return "intake_confirmed"
    if state.get("intake_confirmed") == "edit":
        return "intake_edit_field"
    if state.get("intake_confirmed") == COPY:
        return "intake_copy"
    return None


def outcome(state: Mapping[str, Any]) -> str:
    """How a finished intake ends: login | blocked | suggestion | duplicate |
    deflected | create | paused | incomplete."""
    eligibility = state.get("intake_eligibility")
    if eligibility == "anonymous":
        return "login"
    if eligibility == "blocked":
        return "blocked"
    if state.get("incident_category") == "suggestion":
        return "suggestion"
    if state.get("intake_duplicate") == YES:
        return "duplicate"
    if state.get("intake_solved") == YES:
        return "deflected"
    if state.get("intake_confirmed") == YES:
        return "create"
    if state.get("intake_confirmed") == PAUSED:
        return "paused"
    return "incomplete"


def ticket_fields(state: Mapping[str, Any]) -> Dict[str, Any]:
    """The fields as the hub's ticket API takes them (bot/domain/tickets.py)."""
    values = {spec.slot.removeprefix("incident_"): state.get(spec.slot) for spec in FIELDS}
    values["since_date"] = state.get("incident_since_date")
    values["cloud"] = state.get("incident_cloud") == YES
    values["after_update"] = state.get("incident_after_update") == YES
    return values


def impact_and_urgency(state: Mapping[str, Any]) -> Tuple[str, str]:
    return (
        IMPACT.get(str(state.get("incident_affected_users")), "medium"),
        URGENCY.get(str(state.get("incident_operation_stopped")), "medium"),
    )


def display_values(state: Mapping[str, Any], label: Any) -> Dict[str, str]:
    """Template values for utter_intake_summary; `label(key)` names a value in the
    customer's language (responses utter_label_* in domain.yml)."""

    def shown(slot: str, prefix: str | None = None) -> str:
        value = state.get(slot)
        if value is None:
            return "—"
        if value == UNKNOWN:
            return label("unknown")
        if value in (YES, NO) and prefix is None:
            return label(value)
        if prefix:
            return label(f"{prefix}_{value}")
        return str(value)

    database = state.get("incident_database")
    return {
        "category": shown("incident_category", "category"),
        "product": shown("incident_product"),
        "version": shown("incident_version"),
        "routine": shown("incident_routine"),
        "origin": shown("incident_origin", "origin"),
        "system_environment": shown("incident_system_environment", "system_environment"),
        "database": label("database_other") if database == "other" else shown("incident_database"),
        "cloud": shown("incident_cloud"),
        "summary": shown("incident_summary"),
        "description": shown("incident_description"),
        "steps": shown("incident_steps"),
        "expected": shown("incident_expected"),
        "since": shown("incident_since"),
        "after_update": shown("incident_after_update"),
        "previous_version": f"({state['incident_previous_version']})" if state.get("incident_previous_version") else "",
        "affected_users": shown("incident_affected_users", "affected_users"),
        "operation_stopped": shown("incident_operation_stopped", "operation_stopped"),
        "cc": ", ".join(state.get("intake_cc") or ()) or "—",
    }


def _answer_copy(state: Mapping[str, Any], turn: Turn, lang: str, result: Step) -> Step:
    """The addresses to copy on the ticket's e-mails, typed after "copy someone":
    each one checked (the hub's rule, common/addresses.py); all good, they join
    the ones already given (at most CC_MAX) and the summary comes again. A
    "skip" or "no" goes back to the summary with nothing added."""
    found = written_addresses(turn.text)
    bad = [address for address in found if not is_one_address(address)]
    back = {"intake_copy": None, "intake_confirmed": None}
    if not found:
        nothing = Question("intake_copy", (Option(NO, (NO,)),))
        said = resolve(nothing, turn.text, lang, intent=turn.intent)
        if said.kind in ("skip", "unknown") or said.value == NO or turn.intent in ("deny", "dont_know"):
            result.updates.update(back)
            return result
    if bad or not found:
        if turn.attempt >= MAX_ATTEMPTS:
            result.updates.update(back)
            result.responses.append(("utter_intake_moving_on", {}))
            return result
        response = ("utter_intake_copy_invalid", {"value": bad[0][:80]}) if bad else ("utter_intake_copy_none", {})
        result.responses.append(response)
        result.updates["intake_copy"] = None
        return result
    kept: Dict[str, str] = {}
    for address in [*(state.get("intake_cc") or ()), *found]:
        kept.setdefault(address.lower(), address)
    addresses = list(kept.values())
    if len(addresses) > CC_MAX:
        result.responses.append(("utter_intake_copy_too_many", {"maximum": CC_MAX}))
    result.updates.update(back, intake_cc=addresses[:CC_MAX])
    return result
