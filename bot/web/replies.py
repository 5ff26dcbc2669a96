"""The shapes of the API's JSON replies, as pydantic models: one per route
(REPLIES), turned into the response schemas of the served OpenAPI document
(bot/web/openapi.py). With CAROLINA_CHECK_REPLIES=1 (the tests set it) a
middleware validates every reply against its model and turns a mismatch into a
500, so the whole test suite proves the document: a key the model does not
declare, or one it declares that is missing or of another type, fails."""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Literal, Optional, Tuple, Type, Union

from aiohttp import web
from pydantic import BaseModel, ConfigDict, RootModel, ValidationError

from bot.web.problems import Handler, problem

logger = logging.getLogger(__name__)
Fields = Optional[Dict[str, Any]]


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(Reply):
    error: str
    message: str


class Health(Reply):
    status: Literal["ok"]


class Vocabulary(Reply):
    languages: List[str]
    queues: Dict[str, Dict[str, str]]
    categories: Dict[str, Dict[str, Any]]
    ticket_categories: List[str]
    statuses: Dict[str, Dict[str, Any]]
    levels: List[str]
    criticalities: Dict[str, Dict[str, str]]
    unknown: str
    values: Dict[str, Dict[str, str]]
    fields: List[Dict[str, Any]]


class Message(Reply):
    id: int
    sender: Literal["customer", "bot", "agent", "system"]
    text: str
    # The button a customer clicked (text: its title, as people read it; the command it sent is not shown).
    title: Optional[str]
    payload: Optional[Dict[str, Any]]
    intent: Optional[str]
    confidence: Optional[float]
    language: Optional[str]
    client_message_id: Optional[str]
    created_at: Optional[str]
    # As people read it (bot/domain/messages.py `shown`): the field a click answered, a doubtful understanding.
    answered: Optional[Dict[str, Any]] = None
    # The field a typed line answered, when a form had asked for it (its intent is then not shown).
    form_field: Optional[str] = None
    low_confidence: bool = False


class Contact(Reply):
    name: Optional[str]
    email: Optional[str]
    company: Optional[str]


class PortalContact(Contact):
    can_open_tickets: bool


class TicketCustomer(Contact):
    language: Optional[str]


class HandoffSummary(Reply):
    id: int
    queue: str
    status: str
    resolution: Optional[str]
    reason: Optional[str]
    fields: Fields


class TicketBrief(Reply):
    number: str
    queue: str
    category: Optional[str]
    criticality: Optional[str]
    status: str
    summary: Optional[str]
    fields: Fields


class Conversation(Reply):
    id: str
    contact: Optional[PortalContact]
    mode: str
    satisfaction: Optional[int]
    deflections: List[str]
    tickets: List[TicketBrief]
    handoffs: List[HandoffSummary]
    language: Optional[str]
    channel: str
    started_at: str
    messages: List[Message]


class Article(Reply):
    id: str
    score: float
    title: str
    summary: str
    link: str


class Articles(RootModel[List[Article]]):
    pass


class TicketUpdateView(Reply):
    fields: Fields
    transcript: Optional[List[Dict[str, Any]]]
    created_at: str


class ParentTicket(Reply):
    number: str
    summary: Optional[str]
    status: str
    fields: Fields
    transcript: Optional[List[Dict[str, Any]]]


class Ticket(Reply):
    number: str
    status: str
    queue: str
    category: Optional[str]
    summary: Optional[str]
    fields: Fields
    impact: Optional[str]
    urgency: Optional[str]
    criticality: Optional[str]
    company: Optional[str]
    language: Optional[str]
    conversation_id: Optional[str]
    created_at: str
    updated_at: str
    transcript: Optional[List[Dict[str, Any]]]
    updates: List[TicketUpdateView]
    parent: Optional[ParentTicket]


class CreatedTicket(Ticket):
    created: bool
    emailed: bool
    email: Optional[str]


class SimilarTicket(Reply):
    number: str
    summary: Optional[str]
    status: str
    score: float
    # The customer's words for the status (the conversation's language) and when the ticket last changed.
    status_label: Optional[str] = None
    updated_at: Optional[str] = None
    last_interaction_at: Optional[str] = None


class ThreadAttachment(Reply):
    id: str
    filename: str
    size: int
    content_type: str
    purged: bool
    # The customer's view: a download link with a short-lived `?t=` (none once the file is gone).
    url: Optional[str] = None


class ThreadMessage(Reply):
    id: int
    author: Literal["customer", "agent", "carolina", "system"]
    author_name: Optional[str]
    visibility: Literal["public", "internal"]
    text: str
    via: str
    status_from: Optional[str]
    status_to: Optional[str]
    created_at: Optional[str]
    attachments: List[ThreadAttachment]


class TicketThread(Reply):
    number: str
    status: str
    status_label: str
    deadline_at: Optional[str]
    messages: List[ThreadMessage]


class TicketReplied(Reply):
    number: str
    status: str
    message: ThreadMessage


class TicketSurveyAnswer(Reply):
    score: int
    comment: Optional[str]
    at: Optional[str]


class TicketValidated(Reply):
    number: str
    status: str


class TicketSurveyed(Reply):
    number: str
    status: str
    survey: TicketSurveyAnswer


class AgentTicket(Ticket):
    """A ticket as the console shows it: its thread (internal notes too), deadline, survey and copies."""

    thread: List[ThreadMessage]
    deadline_at: Optional[str]
    deadline_to: Optional[str]
    warn_at: Optional[str]
    survey: Optional[TicketSurveyAnswer]
    cc: List[str]
    customer: Optional[TicketCustomer]


class AgentTicketMessage(Reply):
    message: ThreadMessage
    status: str


class SimilarTickets(Reply):
    tickets: List[SimilarTicket]


class TicketInformationAdded(Reply):
    number: str
    status: str
    created: bool


class TicketStatus(Reply):
    number: str
    status: str


class Deflected(Reply):
    conversation_id: str
    article_id: str


class Decision(Reply):
    live: bool
    queue: str
    why: Optional[str]  # closed | holiday | nobody_online | busy; null when live
    position: int
    wait_minutes: int
    opens_at: Optional[str]
    holiday: Optional[str]
    queue_name: str
    opens: str


class Escalated(Reply):
    outcome: Literal["handoff", "ticket", "unavailable"]
    decision: Optional[Decision] = None
    handoff_id: Optional[int] = None
    position: Optional[int] = None
    ticket: Optional[CreatedTicket] = None


class Agent(Reply):
    id: int
    email: str
    name: str
    role: str
    queues: List[str]
    presence: str
    disabled: bool


class Session(Reply):
    agent: Agent
    token: str
    csrf_token: str


class Me(Reply):
    agent: Agent
    csrf_token: str


class AgentReply(Reply):
    agent: Agent


class Agents(Reply):
    agents: List[Agent]


class Done(Reply):
    ok: bool


class Named(Reply):
    id: int
    name: str


class TransferNote(Reply):
    text: str
    by: Optional[str]


class Handoff(Reply):
    id: int
    conversation_id: str
    queue: str
    status: str
    resolution: Optional[str]
    reason: Optional[str]
    fields: Fields
    impact: Optional[str]
    urgency: Optional[str]
    criticality: Optional[str]
    language: Optional[str]
    position: Optional[int]
    customer: Optional[Contact]
    agent: Optional[Named]
    ticket: Optional[str]
    transfer_note: Optional[TransferNote]
    created_at: str
    accepted_at: Optional[str]
    closed_at: Optional[str]
    transcript_url: str
    transcript: Optional[List[Message]] = None


class Line(Reply):
    id: int
    sender: Literal["customer", "bot", "agent", "system"]
    text: str
    at: str


class ListedHandoff(Handoff):
    """A handoff in the console's queue and rail (bot/domain/workspace.py)."""

    queued_since: str
    last_line: Optional[Line]
    customer_line: Optional[Line]


class Handoffs(Reply):
    queued: List[ListedHandoff]
    mine: List[ListedHandoff]
    now: str


class QueueState(Reply):
    queue: str
    open: bool
    online: int
    waiting: int


class QueueStates(Reply):
    queues: List[QueueState]


class Sent(Reply):
    id: int
    text: str


class TranscriptFound(Reply):
    conversation_id: str
    started_at: str
    language: Optional[str]
    contact: Optional[Contact]
    tickets: List[str]
    queues: List[str]
    satisfaction: Optional[int]
    snippet: Optional[str]


class Transcripts(Reply):
    conversations: List[TranscriptFound]


class Transcript(Reply):
    conversation_id: str
    language: Optional[str]
    started_at: str
    satisfaction: Optional[int]
    contact: Optional[Contact]
    handoffs: List[HandoffSummary]
    tickets: List[str]
    messages: List[Message]


class TicketSummary(Reply):
    number: str
    status: str
    queue: str
    category: Optional[str]
    summary: Optional[str]
    criticality: Optional[str]
    company: Optional[str]
    language: Optional[str]
    conversation_id: Optional[str]
    created_at: str
    updated_at: str
    customer: Optional[str]
    assignee: Optional[str]


class Tickets(Reply):
    """A page of the list, most critical then oldest first, and the count per status under the other filters."""

    tickets: List[TicketSummary]
    total: int
    page: int
    per_page: int
    pages: int
    counts: Dict[str, int]


class CardTicket(Reply):
    number: str
    summary: Optional[str]
    status: str
    criticality: Optional[str]
    conversation_id: Optional[str]
    created_at: str


class CardConversation(Reply):
    conversation_id: str
    started_at: str
    language: Optional[str]
    satisfaction: Optional[int]


class CardScore(Reply):
    score: int
    at: str
    after: Literal["chat", "ticket"]


class CustomerCard(Reply):
    conversation_id: str
    contact: Optional[Contact]
    language: Optional[str]
    open_tickets: List[CardTicket]
    conversations: List[CardConversation]
    satisfaction: Optional[CardScore]


class CannedReplies(Reply):
    replies: Dict[str, List[str]]


class AuditEntry(Reply):
    id: int
    created_at: str
    actor: Literal["agent", "actions", "anonymous", "system"]
    agent_id: Optional[int]
    ip: Optional[str]
    action: str
    target: str
    detail: Optional[Dict[str, Any]]


class AuditEntries(Reply):
    entries: List[AuditEntry]


class SampleCustomer(Reply):
    key: str
    label: str


class SampleCustomers(Reply):
    customers: List[SampleCustomer]


class DemoToken(Reply):
    token: Optional[str]


class PersonalData(Reply):
    """Everything the hub holds about one person (bot/domain/data_subject.py's export)."""

    format: str
    generated_at: str
    contacts: List[Dict[str, Any]]
    conversations: List[Dict[str, Any]]
    tickets: List[Dict[str, Any]]
    attachments: List[Dict[str, Any]]
    outgoing_mail: List[Dict[str, Any]]
    tracker_events: List[Dict[str, Any]]


class ErasureCounts(Reply):
    contacts: int
    conversations: int
    messages: int
    handoffs: int
    tickets: int
    ticket_updates: int
    ticket_messages: int
    attachments: int
    outgoing_mail: int
    audit_log: int
    tracker_events: int
    outbox_files: int
    attachment_files: int


class Erased(Reply):
    erased: ErasureCounts


class ContainmentDay(Reply):
    date: str
    bot: int
    human: int
    ticket: int


class ContainmentTotals(Reply):
    conversations: int
    bot: int
    human: int
    ticket: int


class ContainmentReport(Reply):
    days: List[ContainmentDay]
    totals: ContainmentTotals


class ArticleFigures(Reply):
    article_id: str
    title: str
    shown: int
    helpful: int
    unhelpful: int
    helpful_rate: Optional[float]


class KnowledgeBaseReport(Reply):
    answers: int
    suggestions: int
    no_answer: int
    helpful: int
    unhelpful: int
    helpful_rate: Optional[float]
    most_shown: List[ArticleFigures]
    least_helpful: List[ArticleFigures]


class GapGroup(Reply):
    key: str
    count: int
    languages: List[str]
    examples: List[str]
    event_ids: List[int]


class GapsReport(Reply):
    groups: List[GapGroup]


class GapsMarked(Reply):
    handled: int


class QueueFigures(Reply):
    queue: str
    requests: int
    queued: int
    accepted: int
    abandoned: int
    abandon_rate: Optional[float]
    wait_p50_seconds: Optional[float]
    wait_p90_seconds: Optional[float]
    handle_p50_seconds: Optional[float]


class HourOnline(Reply):
    hour: int
    analysts: float


class LiveChatReport(Reply):
    queues: List[QueueFigures]
    online_by_hour: List[HourOnline]


class TicketDay(Reply):
    date: str
    opened: int
    by_category: Dict[str, int]
    by_criticality: Dict[str, int]


class StatusTime(Reply):
    status: str
    count: int
    p50_hours: Optional[float]
    mean_hours: Optional[float]


class TicketsReport(Reply):
    days: List[TicketDay]
    opened: int
    deflected: int
    time_in_status: List[StatusTime]


class SurveyComment(Reply):
    date: str
    score: int
    text: str


class SurveyFigures(Reply):
    responses: int
    nps: Optional[float]
    distribution: List[int]
    comments: List[SurveyComment]


class SatisfactionReport(Reply):
    live_chat: SurveyFigures
    ticket: SurveyFigures


class AttachmentStored(Reply):
    """An uploaded file as the hub judged it (bot/domain/attachments.py): the type is the sniffed one."""

    id: str
    filename: str
    size: int
    content_type: str


ReplyModel = Union[Type[Reply], Type[RootModel]]

# Every route that answers JSON, and the shape of its successful replies (errors are Problem).
REPLIES: Dict[Tuple[str, str], ReplyModel] = {
    ("post", "/api/attachments"): AttachmentStored,
    # The file itself (Content-Disposition: not checked); errors are Problem.
    ("get", "/api/attachments/{public_id}"): AttachmentStored,
    ("get", "/api/health"): Health,
    ("get", "/api/vocabulary"): Vocabulary,
    ("get", "/api/conversations/{id}"): Conversation,
    ("get", "/api/kb/search"): Articles,
    ("post", "/api/tickets"): CreatedTicket,
    ("get", "/api/tickets"): SimilarTickets,
    ("get", "/api/tickets/{number}"): Ticket,
    ("post", "/api/tickets/{number}/updates"): TicketInformationAdded,
    ("post", "/api/tickets/{number}/follow-ups"): CreatedTicket,
    ("get", "/api/tickets/{number}/thread"): TicketThread,
    ("post", "/api/tickets/{number}/replies"): TicketReplied,
    ("post", "/api/tickets/{number}/validation"): TicketValidated,
    ("post", "/api/tickets/{number}/survey"): TicketSurveyed,
    ("post", "/api/deflections"): Deflected,
    ("post", "/api/conversations/{id}/praise"): Message,
    ("get", "/api/escalations/decision"): Decision,
    ("post", "/api/escalations"): Escalated,
    ("post", "/api/agent/login"): Session,
    ("post", "/api/agent/logout"): Done,
    ("get", "/api/agent/me"): Me,
    ("put", "/api/agent/presence"): AgentReply,
    ("get", "/api/agent/handoffs"): Handoffs,
    ("get", "/api/agent/queues"): QueueStates,
    ("get", "/api/agent/handoffs/{id}"): Handoff,
    ("post", "/api/agent/handoffs/{id}/accept"): Handoff,
    ("post", "/api/agent/handoffs/{id}/messages"): Sent,
    ("post", "/api/agent/handoffs/{id}/transfer"): Handoff,
    ("post", "/api/agent/handoffs/{id}/close"): Handoff,
    ("post", "/api/agent/handoffs/{id}/release"): Handoff,
    ("post", "/api/agent/handoffs/{id}/ticket"): Handoff,
    ("get", "/api/agent/transcripts"): Transcripts,
    ("get", "/api/agent/transcripts/{id}"): Transcript,
    ("get", "/api/agent/tickets"): Tickets,
    ("get", "/api/agent/conversations/{id}/customer"): CustomerCard,
    ("get", "/api/agent/canned-replies"): CannedReplies,
    ("put", "/api/agent/canned-replies/{language}"): CannedReplies,
    ("patch", "/api/agent/agents/{id}"): AgentReply,
    ("get", "/api/agent/tickets/{number}"): AgentTicket,
    ("post", "/api/agent/tickets/{number}/messages"): AgentTicketMessage,
    ("post", "/api/agent/tickets/{number}/status"): TicketStatus,
    ("get", "/api/agent/agents"): Agents,
    ("get", "/api/agent/audit"): AuditEntries,
    ("post", "/api/agent/agents"): AgentReply,
    ("post", "/api/agent/password"): Done,
    ("post", "/api/agent/agents/{id}/disable"): AgentReply,
    ("post", "/api/agent/agents/{id}/enable"): AgentReply,
    ("post", "/api/agent/agents/{id}/password"): AgentReply,
    ("get", "/api/demo/customers"): SampleCustomers,
    ("post", "/api/demo/customers/{key}/token"): DemoToken,
    ("get", "/api/agent/privacy/export"): PersonalData,
    ("post", "/api/agent/privacy/erase"): Erased,
    ("get", "/api/reports/containment"): ContainmentReport,
    ("get", "/api/reports/kb"): KnowledgeBaseReport,
    ("get", "/api/reports/gaps"): GapsReport,
    ("post", "/api/reports/gaps/handled"): GapsMarked,
    ("get", "/api/reports/live_chat"): LiveChatReport,
    ("get", "/api/reports/tickets"): TicketsReport,
    ("get", "/api/reports/satisfaction"): SatisfactionReport,
}


def route_of(request: web.Request) -> Optional[Tuple[str, str]]:
    resource = request.match_info.route.resource
    return (request.method.lower(), resource.canonical) if resource is not None else None


def mismatch(request: web.Request, response: web.StreamResponse) -> Optional[str]:
    """What is wrong with a JSON reply, measured against its model (None: nothing, or not checked)."""
    route = route_of(request)
    if (
        route not in REPLIES
        or not isinstance(response, web.Response)
        or response.content_type != "application/json"
        or "Content-Disposition" in response.headers  # a transcript download, not an API reply
    ):
        return None
    model = REPLIES[route] if response.status < 400 else Problem
    try:
        model.model_validate(json.loads(response.body or b"null"))  # type: ignore[arg-type]
    except (ValidationError, ValueError) as error:
        return f"{route[0].upper()} {route[1]} answered {response.status} unlike {model.__name__}: {error}"
    return None


@web.middleware
async def check_replies(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    wrong = mismatch(request, response)
    if wrong is None:
        return response
    logger.error("%s", wrong)
    return problem(500, "reply_mismatch", wrong[:2000])
