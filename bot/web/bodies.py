"""The shapes of the API's request bodies, as pydantic models: one per route
that reads a body (BODIES), read by `read()` and turned into the request
schemas of the served OpenAPI document (bot/web/openapi.py), so the document
and the validation are the same thing. The rules beyond shape (a ticket's
summary, a status's transitions) stay in the domain."""

from __future__ import annotations

from typing import Annotated, Any, Dict, List, Literal, Optional, Tuple, Type, TypeVar, Union

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.errors import DomainError
from bot.web.problems import json_object
from common.vocabulary import LEVELS, QUEUES, STATUSES

Level = Literal[LEVELS]  # type: ignore[valid-type]
Queue = Literal[QUEUES]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]
FieldValue = Optional[Union[str, bool]]
# The incident fields by name: their schema, built from the vocabulary, is bot/web/openapi.py's IncidentFields.
IncidentFields = Annotated[Dict[str, FieldValue], Field(json_schema_extra={"x-schema": "IncidentFields"})]
Model = TypeVar("Model", bound=BaseModel)


class Body(BaseModel):
    # Callers may send more than a route reads (the action server sends its form's turn).
    model_config = ConfigDict(extra="ignore")


class TicketCreate(Body):
    conversation_id: str = Field(min_length=1)
    fields: IncidentFields
    impact: Level
    urgency: Level
    language: Optional[str] = Field(default=None, description="pt, es or en; anything else is ignored")
    queue: Optional[Queue] = None
    cc: Optional[List[str]] = Field(
        default=None, max_length=5, description="who else gets a copy of the ticket's e-mails: up to 5 addresses"
    )
    form_turn: Optional[Union[str, int]] = None


class TicketInformation(Body):
    conversation_id: str = Field(min_length=1)
    fields: IncidentFields
    form_turn: Optional[Union[str, int]] = None


class FollowUp(Body):
    conversation_id: str = Field(min_length=1)
    description: str
    language: Optional[str] = None
    form_turn: Optional[Union[str, int]] = None


class ConsoleStatusChange(Body):
    status: Status
    note: Optional[str] = Field(default=None, description="kept with the change (its first 2,000 characters)")


class TicketReply(Body):
    conversation_id: str = Field(min_length=1)
    text: str = Field(
        default="", max_length=4000, description="the customer's answer; may be empty when the conversation sent files"
    )


class TicketValidation(Body):
    conversation_id: str = Field(min_length=1)
    accepted: bool = Field(description="true: the solution works (the ticket closes); false: not solved")
    reason: Optional[str] = Field(default=None, max_length=4000, description="why it is not solved")


class TicketSurvey(Body):
    conversation_id: str = Field(min_length=1)
    score: int = Field(ge=0, le=10, description="0 to 10")
    comment: Optional[str] = Field(default=None, max_length=2000)


class ConsoleTicketMessage(Body):
    text: str = Field(default="", max_length=4000)
    visibility: Literal["public", "internal"] = Field(
        default="public", description="public: the customer sees it (and is e-mailed); internal: analysts only"
    )
    status: Optional[Status] = Field(default=None, description="the ticket's new status, set with the message")
    attachments: List[str] = Field(
        default_factory=list, max_length=20, description="public ids of files uploaded with POST /api/attachments"
    )


class Praise(Body):
    text: str = Field(min_length=1, max_length=4000)


class Deflection(Body):
    conversation_id: str = Field(min_length=1)
    article_id: str = Field(min_length=1)


class EscalationTicket(Body):
    fields: IncidentFields
    impact: Level
    urgency: Level
    language: Optional[str] = None
    queue: Optional[Queue] = None
    cc: Optional[List[str]] = Field(
        default=None, max_length=5, description="who else gets a copy of the ticket's e-mails: up to 5 addresses"
    )


class Escalation(Body):
    conversation_id: str = Field(min_length=1)
    queue: Optional[Queue] = None
    reason: Optional[str] = None
    language: Optional[str] = None
    ticket: Optional[EscalationTicket] = None
    form_turn: Optional[Union[str, int]] = None


class Login(Body):
    # Missing is the same as wrong: 401, not a hint about the form.
    email: str = ""
    password: str = ""


class Presence(Body):
    presence: Literal["online", "offline"]


class AgentMessage(Body):
    text: Any = None  # read by the same rule as a customer's message (clean_text)


class Transfer(Body):
    queue: Queue
    note: str = Field(default="", max_length=1000, description="for the next analyst; the customer never sees it")


class AgentCreate(Body):
    email: str = ""
    name: str = ""
    password: str = ""
    queues: List[str] = Field(default_factory=list, description="queue names (common/vocabulary.yml)")
    role: str = Field(default="agent", description="agent, supervisor (an agent who also reads the reports) or admin")


class PasswordChange(Body):
    current_password: str = ""
    new_password: str = Field(default="", description="at least 8 characters")


class PasswordReset(Body):
    password: str = Field(default="", description="the analyst's new password, at least 8 characters")


class AgentEdit(Body):
    """What an administrator changes of an analyst: only the keys given."""

    name: Optional[str] = None
    role: Optional[str] = Field(default=None, description="agent, supervisor or admin")
    queues: Optional[List[str]] = Field(default=None, description="queue names (common/vocabulary.yml)")


class CannedRepliesChange(Body):
    replies: List[str] = Field(default_factory=list, description="the language's ready answers, in order (at most 30)")


class PrivacyErase(Body):
    # One of email and contact_id (bot/domain/data_subject.py checks it, 422 otherwise).
    email: Optional[str] = Field(default=None, description="every contact with this e-mail address")
    contact_id: Optional[str] = Field(default=None, description="the portal's contact id")
    confirm: bool = Field(default=False, description="must be true: an erasure cannot be undone")


class GapsHandled(Body):
    event_ids: List[int] = Field(
        min_length=1, max_length=10000, description="the ids of a knowledge-gap group's questions (its event_ids)"
    )


# Every route that reads a body, and its shape.
BODIES: Dict[Tuple[str, str], Type[Body]] = {
    ("post", "/api/tickets"): TicketCreate,
    ("post", "/api/tickets/{number}/updates"): TicketInformation,
    ("post", "/api/tickets/{number}/follow-ups"): FollowUp,
    ("post", "/api/tickets/{number}/replies"): TicketReply,
    ("post", "/api/tickets/{number}/validation"): TicketValidation,
    ("post", "/api/tickets/{number}/survey"): TicketSurvey,
    ("post", "/api/deflections"): Deflection,
    ("post", "/api/conversations/{id}/praise"): Praise,
    ("post", "/api/escalations"): Escalation,
    ("post", "/api/agent/login"): Login,
    ("put", "/api/agent/presence"): Presence,
    ("post", "/api/agent/handoffs/{id}/messages"): AgentMessage,
    ("post", "/api/agent/handoffs/{id}/transfer"): Transfer,
    ("post", "/api/agent/tickets/{number}/status"): ConsoleStatusChange,
    ("post", "/api/agent/tickets/{number}/messages"): ConsoleTicketMessage,
    ("post", "/api/agent/agents"): AgentCreate,
    ("post", "/api/agent/password"): PasswordChange,
    ("post", "/api/agent/agents/{id}/password"): PasswordReset,
    ("patch", "/api/agent/agents/{id}"): AgentEdit,
    ("put", "/api/agent/canned-replies/{language}"): CannedRepliesChange,
    ("post", "/api/agent/privacy/erase"): PrivacyErase,
    ("post", "/api/reports/gaps/handled"): GapsHandled,
}


def problem_of(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


JSON_BODY = "carolina.json_body"


async def json_body(request: web.Request) -> Dict[str, Any]:
    """The body as a JSON object, read once: the actions' door (bot/web/api.py)
    reads it for the conversation it names, then the handler reads it."""
    if JSON_BODY not in request:
        request[JSON_BODY] = await json_object(request)
    body: Dict[str, Any] = request[JSON_BODY]
    return body


async def read(request: web.Request, model: Type[Model]) -> Tuple[Model, Dict[str, Any]]:
    """The body as `model` (422 when its shape is wrong) and as the JSON object it
    came as (what idempotency keys are checked against)."""
    raw = await json_body(request)
    try:
        return model.model_validate(raw), raw
    except ValidationError as error:
        raise DomainError(422, "invalid", problem_of(error)) from error
