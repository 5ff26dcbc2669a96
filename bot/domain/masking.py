"""Finds personal data in a chat message and replaces it with a marker (LGPD):
CPF, CNPJ (numeric and the alphanumeric form of July 2026), payment card
numbers and their security codes ("cvv 123"), and passwords given after a cue
("minha senha é ...").

Documents and cards are masked only when their check digits are valid, so
tickets, versions, phones and amounts pass untouched. What check digits cannot
tell apart (1 number in 100 of the right length has valid CPF or CNPJ digits,
1 in 10 passes Luhn) is settled by the shape (card prefixes and lengths, IP
addresses, timestamps) and by the word just before the number ("pedido",
"telefone"). A password needs a cue, a connector ("é", "is", ":") and a value
that is not an ordinary word of a sentence about passwords ("minha senha é
inválida"); without a connector ("senha 123mudar"), a value that looks like a
password even more.

What is read is what the text looks like: digits of other scripts and widths,
Unicode spaces and dashes count as their ASCII selves, and characters nobody
sees (zero-width spaces, soft hyphens) are skipped, so they hide nothing.

Pure: no I/O. tests/privacy/corpus.yml and bench/privacy.py measure it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, FrozenSet, List, Optional, Set, Tuple

from stdnum import luhn
from stdnum.br import cnpj, cpf

from common.languages import DEFAULT_LANGUAGE, normalise_code
from common.text import fold

KINDS: Tuple[str, ...] = ("cpf", "cnpj", "card", "password")

MARKERS = {
    "cpf": {"pt": "[CPF]", "es": "[CPF]", "en": "[CPF]"},
    "cnpj": {"pt": "[CNPJ]", "es": "[CNPJ]", "en": "[CNPJ]"},
    "card": {"pt": "[cartão]", "es": "[tarjeta]", "en": "[card]"},
    "password": {"pt": "[senha]", "es": "[contraseña]", "en": "[password]"},
}
_ALL_MARKERS = tuple(sorted({m for by_language in MARKERS.values() for m in by_language.values()}))


@dataclass(frozen=True)
class Masked:
    text: str  # the text with every finding replaced by its marker
    kinds: FrozenSet[str]  # which kinds were found

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def marker(kind: str, language: Optional[str]) -> str:
    return MARKERS[kind][normalise_code(language) or DEFAULT_LANGUAGE]


Span = Tuple[int, int, str]  # start, end, kind


def mask(text: str, language: Optional[str] = None) -> Masked:
    view, where = _view(text)
    lowered = view.lower()
    spans = sorted(
        _passwords(view, lowered) + _numbers(view) + _security_codes(view, lowered),
        key=lambda span: (span[0], span[2] != "password"),
    )
    if where is not None:  # back to the original text, invisible characters inside a span included
        spans = [(where[start], where[end - 1] + 1, kind) for start, end, kind in spans]
    # Where spans overlap, the first wins and its marker covers both: the
    # password in "senha: 52998224725" (not a CPF), and all of the card in
    # "senha: 4111 1111 1111 1111", whose password value is its first group.
    pieces: List[str] = []
    kinds: Set[str] = set()
    last = 0
    for start, end, kind in spans:
        if start >= last:
            pieces += [text[last:start], marker(kind, language)]
            kinds.add(kind)
        last = max(last, end)
    return Masked("".join(pieces) + text[last:], frozenset(kinds))


# --- what the text looks like ------------------------------------------------

# Phones and copy-paste bring full-width digits (５２９), other scripts' digits
# (٥٢٩), no-break and thin spaces, typographic dashes and the minus sign, and
# characters nobody sees (zero-width spaces and joiners, soft hyphens, the
# emoji keycap's selectors: 5️⃣). Python's \d matches every script's digits
# but the check-digit libraries take ASCII only, and a regex separator is one
# ASCII character: the detector reads a view in which each of those is the
# ASCII character it looks like, or is gone.
_FULL_WIDTH = range(0xFF01, 0xFF5F)  # ！ to ～: ASCII's full-width forms
# Latin-1 holds the letters of pt and es: of it, only the no-break space and
# the soft hyphen need a look (a regex finds the first other one faster than
# a set of the characters is built).
_UNUSUAL = re.compile(r"[^\x00-\x9f\xa1-\xac\xae-\xff]")


@lru_cache(maxsize=2048)
def _plain(char: str) -> str:
    category = unicodedata.category(char)
    # Format characters (zero-width, soft hyphen, direction marks), enclosing marks, variation selectors.
    if category in ("Cf", "Me") or "\ufe00" <= char <= "\ufe0f":
        return ""
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    if category == "Zs":
        return " "
    if category == "Pd" or char == "\u2212":
        return "-"
    return chr(ord(char) - 0xFEE0) if ord(char) in _FULL_WIDTH else char


def _view(text: str) -> Tuple[str, Optional[List[int]]]:
    """The text as the detector reads it and, when characters were dropped,
    where each of the view's characters is in the text."""
    first = None if text.isascii() else _UNUSUAL.search(text)
    if first is None:  # nearly every message
        return text, None
    table = {ord(c): plain for c in set(text[first.start() :]) if (plain := _plain(c)) != c}
    if not table:  # curly quotes, emoji
        return text, None
    view = text.translate(table)
    if len(view) == len(text):
        return view, None
    return view, [at for at, c in enumerate(text) if table.get(ord(c)) != ""]


# --- documents and cards -----------------------------------------------------

# Every pattern starts with a digit: the regex engine then skips the prose
# between numbers quickly (a scan that starts with a look-behind costs three
# times as much on a long message).
#
# Not inside a longer word or number: not after a letter or digit, nor after
# "digit.", "digit/" or "NF-" (the middle of a version, an IP, a date, a code;
# "CPF-" and "CPF" glued to the number are fine), nor after "+" (an
# international phone); not before "., /-" and a digit. An underscore and a
# slash after a word are not part of the number: file names and URL paths
# ("comprovante_52998224725.pdf", "/clientes/52998224725") carry documents.
_LEFT = (
    r"(?:(?<=(?i:cpf)\d)|(?<=(?i:cpf)[.-]\d)|(?<=(?i:cnpj)\d)|(?<=(?i:cnpj)[.-]\d)"
    r"|(?<![^\W_]\d)(?<!\+\d)(?<!\w[.,-]\d)(?<!\d/\d))"
)
_RIGHT = r"(?![^\W_])(?![.,/-]\d)"
# Where a CPF, CNPJ or card may start: 11 to 23 digits, single separators
# (or the spaces and line break a card's groups may have, see _GAP).
_NUMBER = re.compile(r"\d" + _LEFT + r"(?:(?:[./-]| / |\s{1,3})?\d){10,22}" + _RIGHT)

_CPF = re.compile(r"\d{3}[. -]?\d{3}[. -]?\d{3}[. -]?\d{2}" + _RIGHT)
_CNPJ = re.compile(r"\d{2}[. ]?\d{3}[. ]?\d{3}(?: ?/ ?| )?\d{4}[- ]?\d{2}" + _RIGHT)
# Grouped as printed on cards (4-4-4-4[-1..3], Amex/Diners 4-6-5/4-6-4), and
# not a piece of a longer grouped number (an NF-e key is eleven groups of
# four: no group of four just before or after; a CPF, a date or a phone's
# "98765-4321" next to the card is no such group); or 13 to 19 digits in a
# row. Between groups: a dot, a hyphen, one or two spaces or tabs, or a line
# break (a number wrapped by the mail or PDF it was copied from; _card takes
# one line break at most: four lines of four digits are a list). Grouping,
# Luhn and the issuer prefix say "card" well enough for mixed separators
# ("4111 1111-1111 1111").
_GAP = r"(?:[.-]|[ \t]{1,2}(?:\r?\n[ \t]*)?|\r?\n[ \t]*)"
_CARD = re.compile(
    r"(?<!(?<![\d-])\d{4}[ \t\n-])(?:"
    rf"\d{{4}}{_GAP}\d{{4}}{_GAP}\d{{4}}{_GAP}\d{{1,4}}(?:{_GAP}\d{{1,3}})?(?!{_GAP}\d{{4}}(?!\d))"
    rf"|\d{{4}}{_GAP}\d{{6}}{_GAP}\d{{4,5}}(?!{_GAP}\d)"
    r"|\d{13,19})" + _RIGHT
)
_LAST_GROUP = re.compile(_GAP + r"\d{1,3}$")
_DIGIT_RUN = re.compile(r"\d+")
# The alphanumeric CNPJ: letters in the first twelve places, found from its
# two check digits backwards; formatted (12.ABC.345/01DE-35), half formatted
# (12ABC345/01DE-35) or not (12ABC34501DE35).
_A = "[0-9A-Za-z]"
_ALPHANUMERIC_SHAPES = (
    rf"{_A}{{2}}\.{_A}{{3}}\.{_A}{{3}}/{_A}{{4}}-\d\d",
    rf"{_A}{{8}}/{_A}{{4}}-\d\d",
    rf"{_A}{{12}}\d\d",
)
_ALPHANUMERIC_CNPJ = re.compile(
    r"\d\d" + _RIGHT + "(?:" + "|".join(rf"(?<=(?<![\w+]){shape})" for shape in _ALPHANUMERIC_SHAPES) + ")"
)
_ALPHANUMERIC_SHAPE = re.compile("|".join(_ALPHANUMERIC_SHAPES))

# Issuer prefixes and lengths of the networks used in Brazil: a Luhn-valid
# number outside them (an EAN, a protocol) is not taken for a card.
_CARD_PREFIXES: Tuple[Tuple[int, int, FrozenSet[int]], ...] = tuple(
    (lo, hi, frozenset(lengths))
    for lo, hi, lengths in (
        (4, 4, (13, 16, 19)),  # Visa, and Elo's 4xxxxx ranges
        (51, 55, (16,)),  # Mastercard
        (2221, 2720, (16,)),  # Mastercard 2-series
        (34, 34, (15,)),  # Amex
        (37, 37, (15,)),  # Amex
        (300, 305, (14, 16)),  # Diners
        (3095, 3095, (14, 16)),  # Diners
        (36, 36, (14, 16)),  # Diners
        (38, 39, (14, 16)),  # Diners, Hipercard 38
        (3528, 3589, (16, 17, 18, 19)),  # JCB
        (50, 50, (16, 19)),  # Elo 50xxxx, Aura
        (6, 6, (13, 16, 17, 18, 19)),  # Discover, UnionPay, Elo 6xxxxx, Hipercard 606282
    )
)

# The words just before a number that say it is something else ("pedido
# 52998224725", "meu celular é 11924586720"), read backwards over fillers;
# only for numbers not written in their document's own format. Not "chave":
# an NF-e's is 44 digits, never taken for a document, while an 11- or
# 14-digit "chave" is a PIX key, which is a CPF or a CNPJ.
_OTHER_LABELS = frozenset(
    """
    telefone tel fone celular cel whatsapp whats zap ligar liga ligue contato phone mobile cell call telefono
    teléfono movil móvil llamar pedido order orden protocolo protocol atendimento chamado ticket nota nf nfe nf-e
    nfs-e invoice factura boleto nsu serial serie série barcode barras
    """.split()
)
_LABEL_FILLERS = frozenset("n nº no numero número number de do da na para pra e é eh is es at al".split())
_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)?")
# Nearby, these overrule a shape that looks like something else (an IP, a time).
_DOCUMENT_CUE = re.compile(r"\b(?:cpf|cnpj|cart[aã]o|card|tarjeta|cr[eé]dito|credit|d[eé]bito|debit)\b", re.I)
_WINDOW = 40
_SEPARATORS = str.maketrans("", "", " ./-\t\r\n")
_FORMATTED_CPF = re.compile(r"\d{3}\.\d{3}\.\d{3}-\d{2}")


def _numbers(text: str) -> List[Span]:
    spans: List[Span] = []
    if not any(c.isdigit() for c in text):
        return spans
    position = 0
    while (number := _NUMBER.search(text, position)) is not None:
        found = _document_at(text, number.start())
        if found:
            spans.append(found)
        position = found[1] if found else number.start() + 1
    for digits in _ALPHANUMERIC_CNPJ.finditer(text):
        end = digits.end()
        start = next(
            end - size for size in (18, 16, 14) if end >= size and _ALPHANUMERIC_SHAPE.fullmatch(text, end - size, end)
        )
        if _alphanumeric_cnpj(text[start:end], text, start):
            spans.append((start, end, "cnpj"))
    return spans


def _document_at(text: str, start: int) -> Optional[Span]:
    """The CNPJ, card or CPF that starts here, if any (in that order: a
    14-digit number valid as a CNPJ and as a card is a CNPJ)."""
    for kind, pattern, valid in _NUMBERS:
        found = pattern.match(text, start)
        if found is None:
            continue
        candidate = found.group()
        if valid(candidate, text, start):
            return start, found.end(), kind
        # "4111 1111 1111 1111 123": a card followed by its security code,
        # or an amount ("... 150 reais"): the card alone is masked.
        last = _LAST_GROUP.search(candidate) if kind == "card" else None
        head = candidate[: last.start()] if last else ""
        if len(_DIGIT_RUN.findall(head)) == 4 and valid(head, text, start):
            return start, start + len(head), kind
    return None


def _before(text: str, start: int) -> str:
    return text[max(0, start - _WINDOW) : start]


def _labelled(before: str) -> bool:
    for word in reversed(_TOKEN.findall(before.lower())[-4:]):
        if word not in _LABEL_FILLERS:
            return word in _OTHER_LABELS or word[:-1] in _OTHER_LABELS and word.endswith("s")  # "pedidos/..."
    return False


def _cpf(candidate: str, text: str, start: int) -> bool:
    number = candidate.translate(_SEPARATORS)
    # 111.111.111-11 passes the check digits, but the Receita never issues it: a placeholder.
    if len(set(number)) == 1 or not cpf.is_valid(number):
        return False
    if _FORMATTED_CPF.fullmatch(candidate):  # written as a CPF is written
        return True
    before = _before(text, start)
    looks_like_ip = candidate.count(".") == 3 and all(int(group) <= 255 for group in candidate.split("."))
    if looks_like_ip and not _DOCUMENT_CUE.search(before):
        return False
    return not _labelled(before)


def _cnpj(candidate: str, text: str, start: int) -> bool:
    number = candidate.translate(_SEPARATORS)
    if not cnpj.is_valid(number):
        return False
    if "/" in candidate:  # written as a CNPJ is written
        return True
    before = _before(text, start)
    if _looks_like_timestamp(number) and not _DOCUMENT_CUE.search(before):
        return False
    return not _labelled(before)


def _alphanumeric_cnpj(candidate: str, text: str, start: int) -> bool:
    number = candidate.translate(_SEPARATORS)
    if number.isdigit():  # found with the other numbers
        return False
    # A 14-character code ending in two digits passes the check 1 time in
    # 100: unformatted, it must look like an identifier (upper case, digits
    # among the letters) or follow the word CNPJ.
    if "/" not in candidate and not (number.isupper() and any(c.isdigit() for c in number[:12])):
        if "cnpj" not in _before(text, start).lower():
            return False
    return cnpj.is_valid(number.upper())


def _looks_like_timestamp(number: str) -> bool:
    """20261205143012: YYYYMMDDhhmmss, as logs and file names write times."""
    year, month, day = int(number[:4]), int(number[4:6]), int(number[6:8])
    hour, minute, second = int(number[8:10]), int(number[10:12]), int(number[12:14])
    return 1970 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60


def _card(candidate: str, text: str, start: int) -> bool:
    digits = candidate.translate(_SEPARATORS)
    if candidate.count("\n") > 1 or not (luhn.is_valid(digits) and _card_prefix(digits)):
        return False
    # Grouped like a card, it is one; a bare run of digits may be an order number.
    return not (digits == candidate and _labelled(_before(text, start)))


def _card_prefix(digits: str) -> bool:
    return any(len(digits) in lengths and lo <= int(digits[: len(str(lo))]) <= hi for lo, hi, lengths in _CARD_PREFIXES)


_NUMBERS: Tuple[Tuple[str, re.Pattern, Callable[[str, str, int], bool]], ...] = (
    ("cnpj", _CNPJ, _cnpj),
    ("card", _CARD, _card),
    ("cpf", _CPF, _cpf),
)

# A card's security code after its name ("cvv 123", "código de segurança:
# 1234"): card data that must never be kept (PCI DSS), with or without the
# number next to it, and three or four digits after "cvv" are nothing else.
# Masked as the card. The expiry date is left: harmless without the number,
# and dates are what Carolina reads.
_SECURITY_CODE = re.compile(
    r"\b(?:cvv2?|cvc2?|c[oó]d(?:igo|\.)?\s*(?:de\s+)?segur(?:an[çc]a|idad)|security\s+code)"
    r"(?:\s+(?:do|da|del|de\s+la|of\s+the)\s+(?:cart[aã]o|tarjeta|card))?"
    r"\s*(?::|=|\b(?:é|eh|es|is)\b)?\s*(\d{3,4})" + _RIGHT,
    re.I,
)


def _security_codes(text: str, lowered: str) -> List[Span]:
    if "cv" not in lowered and "segur" not in lowered and "security" not in lowered:
        return []
    return [(code.start(1), code.end(1), "card") for code in _SECURITY_CODE.finditer(text)]


# --- passwords ---------------------------------------------------------------

# "clave" is also "key" ("la clave del problema es ..."), "pass", "pw" and
# "pin" (a card's or a token's, or a pin on a map) are short and common: after
# them only a value that looks like a password counts ("mi clave" is a
# password again).
_CUE = re.compile(
    r"\b(?:senhas?|contrase[ñn]as?|passwords?|passwd|pwd|passcode|(?P<loose>claves?|pass|pw|pin))\b", re.I
)
_CUE_STEMS = ("senha", "contras", "pass", "pw", "clave", "pin")
_POSSESSIVE = re.compile(r"\b(?:mi|tu|su)\s+$", re.I)
# What may stand between the cue and the connector: "nova", "do portal",
# "que recebi por email", "for the admin user", "I use" (a few words, no
# negation, no punctuation).
_WORD = r"(?!(?:não|nao|not|never|nunca)\b)[^\s.,;:!?=\"'“”‘’«»]+"
_QUALIFIERS = (
    r"(?:\s+(?:nova|novo|atual|antiga|antigo|provis[oó]ria|tempor[aá]ria|padr[aã]o|inicial|agora|new|old|current|"
    r"temporary|default|initial|now|nueva|actual|antigua|temporal|provisional|provisoria|ahora))?"
    r"(?:\s+(?:do|da|de|dos|das|no|na|ao|à|pro|pra|para|del|en|al|for|of|on|to|at)(?:\s+" + _WORD + r"){1,4}?)?"
    r"(?:\s+(?:que|which|that|i|you|we|they)(?:\s+" + _WORD + r"){1,4}?)?"
)
_QUOTED = (
    r"(?:\"(?P<q1>[^\"\n]{1,64})\"|'(?P<q2>[^'\n]{1,64})'|[“”](?P<q3>[^“”\n]{1,64})[“”]|‘(?P<q4>[^’\n]{1,64})’"
    r"|`(?P<q5>[^`\n]{1,64})`)"  # markdown code: senha `Abc@123`
)
_QUOTES = ("q1", "q2", "q3", "q4", "q5")
_VALUE = r"(?:" + _QUOTED + r"|(?P<bare>\S+))"
_FILLER = r"(?:(?:agora|now|ahora|apenas|s[oó]|solo|just|simply|simplesmente)\s+)?"
# "é", "is", "'s", ":", "=", an arrow say that a value follows; "e", "para",
# "to", "a", a dash (and a quoted value right after the cue) only when the
# value looks like a password; nothing at all ("login admin senha admin123")
# only when it looks like one even more (see _plausible). Not "por": "senha
# por e-mail" is how a password travels, not what it is.
_STRONG = re.compile(
    r"[\"'”’]?"  # the end of a quoted key: {"senha": "..."}
    + _QUALIFIERS
    + r"\s*(?::|=>?|->|→|⇒|(?<=['’])s\b"  # "password's"
    + r"|\b(?:é|eh|era|foi|ser[aá]|seria|fica|ficou|is|was|es|fue|ser[ií]a)\b(?:\s*:)?)\s*"
    + _FILLER
    + _VALUE,
    re.I,
)
_WEAK = re.compile(_QUALIFIERS + r"\s+(?:e|para|pra|to|a|-)\s+" + _VALUE, re.I)
_BARE_QUOTED = re.compile(r"\s+" + _QUOTED)
_AGE = r"(?:nova|novo|antiga|antigo|atual|anterior|new|old|current|previous|nueva|nuevo|antigua|antiguo|actual)"
_BARE = re.compile(rf"(?:[ \t]+{_AGE})?[ \t]+" + _VALUE, re.I)
_Patterns = Tuple[Tuple[re.Pattern, str], ...]
_PATTERNS: _Patterns = ((_STRONG, "strong"), (_WEAK, "weak"), (_BARE_QUOTED, "weak"), (_BARE, "bare"))
# A second password named by its age alone, in a new clause after the first:
# "minha senha nova: X e a antiga: Y", "old password: X, new: Y".
_AGAIN = re.compile(rf"(?:[,;]|\b(?:e|y|and|mas|but|pero)\b)\s*(?:(?:a|o|la|el|the|my|minha|meu|mi)\s+)?{_AGE}\b", re.I)
_NEXT_PARAMETER = re.compile(r"&\w+=")  # password=abc&user=joe

_TRAILING = ".,;:!?)\"'”’»"
_REDACTED = re.compile(r"[*•·xX#]+")  # "senha: ******": hidden already
# A digit or a symbol (not a hyphen: "e-mail"; capitals inside a word are
# product names as often as passwords: "WhatsApp").
_LOOKS_LIKE_PASSWORD = re.compile(r"\d|[^\w\s'-]")
_EMPHASIS = "*_~`"  # markdown around a word: "**Pendência**"
# What follows "é/is/es" in sentences about passwords: articles, prepositions,
# pronouns, negations, adverbs, and the states a password is in.
_NOT_A_VALUE = frozenset(
    """
    nao n nem nunca sempre ainda ja muito mt bem mais menos meio tao bastante tipo
    a o as os um uma uns umas de do da dos das para pra pro por pelo pela com sem em no na num numa ao aos
    que qual quando como onde se e ou mas porque pq isso isto essa esse esta este aquela aquele
    minha meu sua seu nossa nosso dele dela mesma mesmo igual diferente nova novo antiga antigo atual outra outro
    provisoria provisorio temporaria temporario padrao pessoal secreta sigilosa forte fraca longa curta grande
    pequena valida invalida correta correto incorreta incorreto errada errado certa certo expirada expirou vencida
    venceu bloqueada bloqueou travada travou obrigatoria necessaria exigida pedida solicitada rejeitada recusada
    aceita enviada gerada criada alterada trocada resetada redefinida cadastrada salva funciona funcionando entra
    aparece deu esta estava ficou foi era ok facil dificil case sensivel vazia branco nula usuario login email
    e-mail cpf cnpj numerica alfanumerica composta formada intransferivel responsabilidade
    siempre todavia ya muy la el los las un una unos unas del con sin cual si y pero mi tu su
    nueva nuevo vieja viejo antigua otra otro temporal provisional segura fuerte debil larga corta correcta
    incorrecta erronea equivocada expiro caducada caduco vencio obligatoria requerida necesaria rechazada
    generada creada cambiada restablecida sirve es fue sensible vacia correo
    not never always still already very too so quite really an the my your his her our their its this that these
    those of for to in on at by with without and or but because if when what which how same different new old
    current another other temporary default secure strong weak long short valid invalid correct incorrect wrong
    right expired expiring blocked locked required needed mandatory rejected refused accepted sent generated
    created changed reset working works fine okay sensitive empty blank being been supposed missing set saved
    stored visible hidden encrypted about over under less more probably definitely also just now
    case-sensitive case-insensitive confidencial obrigatorio opcional protegida privada pessoal
    obligatorio confidential private optional protected personal min minimo max maximo
    esqueci perdi digitei coloquei coloco troquei mudei tentei mandei mando vou vai sei lembro tenho uso
    olvide cambie puse pongo tengo recuerdo voy forgot lost typed tried entered will see check ask use
    """.split()
)
# Words of the sentence rather than a password: a participle ("a senha é
# definida pelo administrador", "my password was hacked") or a word followed
# by more of the sentence ("senha: coloco a mesma", "senha: ver [CPF]": a
# marker is a word too, so masking twice decides the same).
_PARTICIPLE = re.compile(r"(?:[ai]d[ao]s?|..ed)$")
_NEXT_WORD = re.compile(r"[ \t]+(\[?\w+)")
# What may follow a password without a comma: "jabuticaba e meu usuário é ...", "... obrigado".
_AFTER_A_VALUE = frozenset(
    "e mas ou porem y pero o and but or obrigado obrigada valeu gracias thanks thank pode".split()
)
# "my password is 12 characters long": a length, not a password.
_UNIT = re.compile(
    r"\s*(?:caracteres?|characters?|chars?|d[ií]gitos?|digits?|letras?|letters?|n[uú]meros?|numbers?)\b", re.I
)


_YEAR = re.compile(r"(?:19|20)\d\d")
_DATE_LIKE = re.compile(r"\d+(?:[./:-]\d+)+")
_LINK = re.compile(r"[a-z]+://|www\.", re.I)


def _passwords(text: str, lowered: str) -> List[Span]:
    spans: List[Span] = []
    for cue in _cues(text, lowered):
        if spans and cue.start() < spans[-1][1]:
            continue
        loose = bool(cue.group("loose")) and not _POSSESSIVE.search(text, max(0, cue.start() - 4), cue.start())
        found = _password_value(text, cue.end(), loose, _PATTERNS)
        if found:
            spans.append((found[0], found[1], "password"))
    for again in _AGAIN.finditer(text, spans[0][1]) if spans else ():
        found = _password_value(text, again.end(), False, _PATTERNS[:1])
        if found and not any(start <= again.start() < end for start, end, _ in spans):
            spans.append((found[0], found[1], "password"))
    return spans


def _cues(text: str, lowered: str) -> List[re.Match]:
    """The cue words, found with str.find: a case-insensitive regex scan of a
    long message costs more than everything else together."""
    if len(lowered) != len(text):  # a few letters change length in lower case
        return list(_CUE.finditer(text))
    starts = set()
    for stem in _CUE_STEMS:
        at = lowered.find(stem)
        while at >= 0:
            starts.add(at)
            at = lowered.find(stem, at + 1)
    return [cue for at in sorted(starts) if (cue := _CUE.match(text, at))]


def _password_value(text: str, at: int, loose: bool, patterns: _Patterns) -> Optional[Tuple[int, int]]:
    """Where the password given after a cue that ends here is, if one is."""
    for pattern, how in patterns:
        found = pattern.match(text, at)
        if found is None:
            continue
        quoted = next((g for g in _QUOTES if found.group(g)), None)
        if quoted:
            value, start = found.group(quoted), found.start(quoted)
            ok = value.strip() not in _ALL_MARKERS and fold(value.strip()) not in _NOT_A_VALUE
            if how != "strong":  # senha "Teste 123", not senha `ver com TI`
                ok = ok and _LOOKS_LIKE_PASSWORD.search(value) is not None
            return (start, start + len(value)) if ok else None
        bare = found.group("bare")
        # Masked already, a remark ("(não lembro)"), the next label ("senha:
        # login: ..."), or where to reset it ("senha: https://...").
        if bare.startswith(_ALL_MARKERS + ("(",)) or bare.endswith(":") or _LINK.match(bare):
            return None
        value, start = _NEXT_PARAMETER.split(bare, 1)[0].rstrip(_TRAILING), found.start("bare")
        if not _plausible(value, text, start + len(value), "weak" if loose and how == "strong" else how, loose):
            return None
        # The full stops and exclamation marks right after it may be its own
        # ("Summer2024!"): they go with it; a marker that swallows a full stop
        # costs nothing, a password that keeps its last character leaks it.
        tail = bare[len(value) :]
        return start, start + len(value) + len(tail) - len(tail.lstrip(".!?"))
    return None


def _plausible(value: str, text: str, end: int, how: str, loose: bool) -> bool:
    if len(value) < 3 or _REDACTED.fullmatch(value) or _UNIT.match(text, end):
        return False
    bare = value.strip(_EMPHASIS)
    word = fold(bare)
    if word in _NOT_A_VALUE:
        return False
    if bare.isalpha():
        after = _NEXT_WORD.match(text, end)
        if _PARTICIPLE.search(word) or (after and fold(after.group(1)) not in _AFTER_A_VALUE):
            return False
    if how == "strong":
        return True
    if _DATE_LIKE.fullmatch(bare):  # without "é" or ":", a date or a version: "senha - 12/05"
        return False
    if how == "weak":
        return _LOOKS_LIKE_PASSWORD.search(bare) is not None
    # Nothing between the cue and the value: digits that are not a year
    # ("senha 123456", "PIN 4821"), or six or more letters with digits or
    # symbols that are not a code in capitals ("senha v12", "senha 2FA",
    # "erro de senha ORA-01017").
    if bare.isdigit():
        return len(bare) >= 4 and not _YEAR.fullmatch(bare)
    has_letters = any(c.isalpha() for c in bare)
    looks = _LOOKS_LIKE_PASSWORD.search(bare) is not None
    return not loose and len(bare) >= 6 and has_letters and looks and not bare.isupper()
