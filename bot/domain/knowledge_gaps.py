"""Knowledge gaps: the questions Carolina could not answer (or answered
unhelpfully), grouped into topics, so that a writer sees which article to write
next. Questions about one missing topic land in one group whatever their
language (pt, es, en).

No model download: the words of each question are folded (case, accents), its
lemmas come from spaCy's lookup tables (common/lemmas.py), the stop words of the
three languages and chat filler go, and the support domain's words that differ
between the languages ("nota fiscal", "factura", "invoice") become one concept
through a small hand-written table (CONCEPTS). Each question is then a TF-IDF
vector of its words and concepts and of its words' character n-grams (which
bring together cognates the table does not list: "sincronização",
"sincronización", "synchronization"), hashed into a fixed number of dimensions;
two questions' similarity is a mix of the two cosines. Groups are built by average-link agglomerative clustering,
stopping at THRESHOLD: a question joins a group only if it is, on average,
similar enough to everything already in it (single link would chain unrelated
questions through one ambiguous one).

THRESHOLD and WORD_WEIGHT were tuned on tests/reports/gaps_dev.yml and measured
on tests/reports/gaps_heldout.yml (tests/reports/test_gaps.py); document
frequencies include the knowledge base's example questions, so words every
support question uses ("erro", "sistema") weigh little even in a short list."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ReportEvent, utc
from common.languages import LANGUAGES
from common.lemmas import spacy_pipeline
from common.text import fold

# The events whose questions are gaps: nothing found, only a list of
# suggestions, or an answer the customer said did not help.
GAP_KINDS = ("no_answer", "suggestions", "helpful")

# Tuned on tests/reports/gaps_dev.yml (see the module's docstring).
THRESHOLD = 0.30
WORD_WEIGHT = 0.85
NGRAMS = (3, 4, 5)
DIMENSIONS = 4096
# At most this many questions are grouped per report (the most recent ones):
# the grouping is quadratic in the number of distinct questions (3,000 take
# about 0.7 s on a 2-core server; the same questions again are remembered).
MAX_QUESTIONS = 3000
EXAMPLES = 3

# The support domain's words across the three languages, folded: each row's
# words or phrases (comma-separated) are one concept. Plurals ending in -s are
# found without their -s as well. Written for the domain (an ERP vendor's
# support); words a question's lemmas already match need no row.
CONCEPTS: Dict[str, str] = {
    "certificate": "certificado, certificate, certificado digital, digital certificate, e-cnpj, a1, a3",
    "invoice": (
        "nota fiscal, notas fiscais, nota fiscal eletronica, nfe, nf e, nfce, nfse, danfe, cte, factura, factura "
        "electronica, cfdi, invoice, electronic invoice, e-invoice, faturamento, facturacion, billing, fatura"
    ),
    "password": "senha, contrasena, clave, password, passcode",
    "print": (
        "impressora, impresora, printer, imprimir, imprime, impressao, impresion, print, printing, imprimiendo, "
        "imprimindo, printed"
    ),
    "backup": (
        "backup, back up, backing up, copia de seguranca, copia de seguridad, respaldo, respaldar, restore, restaurar, "
        "restauracao, restauracion"
    ),
    "update": (
        "atualizacao, atualizar, atualizei, atualiza, actualizacion, actualizar, actualiza, actualice, update, "
        "updating, updated, upgrade, upgrading, migracao, migracion, migration"
    ),
    "version": "versao, versoes, version, versiones, release, build, patch, parche, pacote",
    "report": "relatorio, relatorios, informe, reporte, report",
    "user": "usuario, user, utilizador, operador, operator",
    "error": (
        "erro, error, errores, falha, falla, fallo, fail, fails, failed, failure, falhou, problema, problem, issue, bug"
    ),
    "wrong": "errado, errada, incorreto, incorreta, incorrecto, incorrecta, wrong, incorrect, mal",
    "payroll": "folha de pagamento, folha, nomina, payroll, payslip, holerite, recibo de sueldo",
    "salary": "salario, sueldo, salary, wage, wages",
    "employee": "funcionario, empleado, colaborador, employee, staff, trabalhador, trabajador, worker",
    "overtime": "hora extra, horas extra, horas extras, overtime",
    "vacation": "ferias, vacaciones, vacation, leave",
    "timeclock": "ponto eletronico, marcacao de ponto, fichaje, reloj checador, time clock, timesheet",
    "database": (
        "banco de dados, base de dados, base de datos, database, bd, bbdd, sql server, oracle, postgres, postgresql, "
        "dbaccess"
    ),
    "bank": "banco, bancario, bancaria, bank, banking",
    "boleto": "boleto, bank slip, payment slip, boleto bancario",
    "cnab": "cnab, remessa, remesa, retorno bancario, arquivo de retorno, remittance",
    "currency": "moeda, moneda, currency, currencies, divisa",
    "exchange": "cotacao, tipo de cambio, taxa de cambio, exchange rate, exchange rates, currency rate, currency rates",
    "permission": (
        "permissao, permissoes, permiso, permission, privilegio, privilege, perfil de acesso, perfil de acceso, access "
        "profile, liberar acesso, grant"
    ),
    "access": "acesso, acessar, acceso, acceder, access, accessing",
    "login": "login, logar, log in, logging in, sign in, iniciar sesion, ingresar, entrar, logon",
    "menu": "menu, menus",
    "routine": "rotina, rutina, routine, programa, program, tela, pantalla, screen",
    "export": "exportar, exportacao, exportacion, export, exporting",
    "import": "importar, importacao, importacion, import, importing",
    "spreadsheet": "excel, planilha, hoja de calculo, planilla, spreadsheet, xls, xlsx, csv",
    "email": "email, e-mail, correo, correio, mail, correo electronico",
    "tax": (
        "imposto, impuesto, tributo, tax, taxes, icms, ipi, iss, pis, cofins, iva, vat, retencao, retencion, "
        "withholding"
    ),
    "tax_authority": "sefaz, receita federal, sat, afip, dian, sii, hacienda, tax authority",
    "rejected": "rejeitada, rejeitado, rejeicao, rechazada, rechazado, rechazo, rejected, rejection",
    "send": "enviar, envio, transmitir, transmissao, transmision, send, sending, sent, submit",
    "stock": "estoque, inventario, existencia, stock, inventory, almoxarifado, armazem, almacen, warehouse, deposito",
    "balance": "saldo, balance, balances",
    "purchase": "compra, compras, purchase, purchasing, procurement, comprar",
    "order": "pedido, orden, order, ordem",
    "purchase_order": "pedido de compra, pedido de compras, orden de compra, purchase order, oc",
    "sales": "venda, vendas, venta, ventas, sale, sales, faturar, facturar",
    "approval": (
        "aprovacao, aprovar, aprovador, aprobacion, aprobar, aprobador, approval, approve, approver, alcada, workflow"
    ),
    "asset": "ativo fixo, ativo, activo fijo, activo, asset, fixed asset, patrimonio, bienes de uso",
    "depreciation": "depreciacao, depreciacion, depreciation, depreciar, depreciate, amortizacao",
    "slow": (
        "lento, lenta, lentidao, lentitud, slow, slowness, demora, demorado, demorando, tarda, performance, "
        "desempenho, rendimiento, slowly"
    ),
    "freeze": "travando, travado, trava, congela, congelado, freeze, freezes, frozen, hangs",
    "blocked": "bloqueado, bloqueada, bloqueio, bloqueo, blocked, locked, lock, lockout, travou",
    "license": "licenca, licencas, licencia, license, licence, licensing, license server",
    "schedule": (
        "agendamento, agendado, agendada, agendar, schedule, scheduled, scheduler, programada, programado, programar, "
        "cron"
    ),
    "job": "job, tarefa, tarea, task, processo automatico, proceso automatico",
    "statement": "extrato, extracto, statement, ofx",
    "reconciliation": "conciliacao, conciliacion, reconciliation, reconcile, conciliar",
    "customer": "cliente, customer, client",
    "supplier": "fornecedor, proveedor, supplier, vendor",
    "product": "produto, producto, product, item, articulo, sku",
    "accounting": "contabilidade, contabilidad, accounting, contabil, contable, ledger, lancamento",
    "closing": "fechamento, cierre, closing, encerramento, month end",
    "month": "mes, mensal, mensual, monthly, month",
    "install": "instalar, instalacao, instalacion, install, installation, installing, instalo, instale",
    "config": (
        "configurar, configuracao, configuracion, configure, configuration, setup, set up, config, parametro, "
        "parametrizar, parameter, setting, settings"
    ),
    "expired": (
        "vencido, vencida, venceu, vencio, vencer, expirado, expirada, expirou, expired, expire, expires, caducado, "
        "caduco"
    ),
    "due_date": "vencimento, vencimiento, due date",
    "register": "cadastro, cadastrar, dar de alta, registrar, registro, registrado, register, registered",
    "label": "etiqueta, label, barcode, codigo de barras, codigo de barra",
    "cost": "custo, costo, cost",
    "price": "preco, precio, price, tabela de precos, lista de precios, price list, pricing",
    "discount": "desconto, descuento, discount",
    "commission": "comissao, comision, commission",
    "freight": "frete, flete, freight, shipping, transportadora, carrier",
    "delivery": "entrega, delivery, remito, romaneio",
    "mobile": "aplicativo, app, aplicacion, mobile, celular, movil, phone, telefone, smartphone",
    "integration": "integracao, integracion, integration, api, webservice, web service, rest",
    "server": "servidor, server, appserver",
    "connection": "conexao, conexion, connection, conectar, connect, desconecta, disconnect",
    "cancel": "cancelar, cancelamento, cancelacion, cancellation, cancel, estornar, estorno, anular",
    "delete": "excluir, exclusao, borrar, eliminar, delete, remove, apagar",
    "calculate": "calcular, calculo, calculation, calculate, calculated, calcula, calculando",
    "download": "baixar, download, descargar, descarga, downloading",
    "file": "arquivo, archivo, file, fichero",
    "duplicate": "duplicado, duplicada, duplicate, duplicated, duplicidade, duplicidad, twice",
    "company": "empresa, company, filial, sucursal, branch, cnpj, rut, rfc",
    "logo": "logotipo, logo, logomarca",
    "price_quote": "orcamento, presupuesto, quote, quotation, cotizacion",
    "training": "treinamento, capacitacao, capacitacion, curso, training, course",
    "new": "novo, nova, nuevo, nueva, new, latest, ultima",
}

# Words that say nothing about the topic, beyond the languages' stop words.
FILLER = frozenset(
    fold(word)
    for word in """
    como cómo how what qual cual quais cuales onde donde where quando cuando when porque por que why
    tenho tengo have has preciso necesito need needs quero quiero want gostaria quisiera would like
    posso puedo can could consigo consegue consigue able please favor por ajuda ayuda help socorro
    oi ola olá hola hello hi bom boa buenos buenas good dia dias tarde noite noche morning obrigado obrigada
    gracias thanks thank fazer faço hacer hago do does did make sistema system sistemas erp protheus totvs
    nao não no not don't doesnt dont isnt won't ta tá pra pro vc vcs voce você usted ustedes you meu minha
    mi mis my seu sua su sus your hoje hoy today agora ahora now ainda todavia still já ya already
    algo something alguem alguien someone tudo todo everything nada nothing alguma algum alguna alguno any
    dá da dar deu saiu sale sai sair aparece aparecer appears shows mostra muestra está esta estar esta is are was
    fica ficou queda quedo stays stay vai va goes ir get gets got funciona funcionando works working work
    ok okay sim si yes favor consultar consulta question pergunta pregunta duvida dúvida duda doubt
    """.split()
)


def is_gap() -> ColumnElement[bool]:
    """The report events that are gaps: nothing found, a list of suggestions, an answer that did not help."""
    return and_(
        ReportEvent.kind.in_(GAP_KINDS),
        or_(ReportEvent.kind != "helpful", ReportEvent.data["helpful"].as_boolean().is_(False)),
    )


@dataclass(frozen=True)
class Question:
    event_id: int
    text: str
    language: Optional[str]


@dataclass(frozen=True)
class Group:
    key: str
    count: int
    languages: Tuple[str, ...]
    examples: Tuple[str, ...]
    event_ids: Tuple[int, ...]

    def as_json(self) -> Dict[str, object]:
        return {
            "key": self.key,
            "count": self.count,
            "languages": list(self.languages),
            "examples": list(self.examples),
            "event_ids": list(self.event_ids),
        }


@lru_cache(maxsize=1)
def _lexicon() -> Tuple[Dict[str, str], Dict[Tuple[str, ...], str], int]:
    """(word -> concept, phrase -> concept, the longest phrase's length)."""
    words: Dict[str, str] = {}
    phrases: Dict[Tuple[str, ...], str] = {}
    for concept, forms in CONCEPTS.items():
        for form in forms.split(","):
            parts = tuple(_TOKEN.findall(fold(form)))
            if len(parts) == 1:
                words.setdefault(parts[0], concept)
            elif parts:
                phrases.setdefault(parts, concept)
    return words, phrases, max(len(p) for p in phrases)


@lru_cache(maxsize=1)
def _stop_words() -> FrozenSet[str]:
    stops = set(FILLER)
    for lang in LANGUAGES:
        stops |= {fold(word) for word in spacy_pipeline(lang).Defaults.stop_words}
    concepts, _, _ = _lexicon()
    return frozenset(stops - set(concepts))


@cache
def _lemma_table(lang: str):  # type: ignore[no-untyped-def]
    return spacy_pipeline(lang).get_pipe("lemmatizer").lookups.get_table("lemma_lookup")


_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def _concept_of(surface: str, lemma: str, concepts: Mapping[str, str]) -> Optional[str]:
    for form in (
        surface,
        lemma,
        surface[:-1] if surface.endswith("s") else "",
        surface[:-2] if surface.endswith("es") else "",
    ):
        if form and form in concepts:
            return concepts[form]
    return None


# Customers' words repeat: each is folded once per process.
_fold_word = lru_cache(maxsize=65536)(fold)


def terms(text: str, language: Optional[str]) -> List[str]:
    """The question's topic words: concepts ("c:invoice") and folded lemmas of the
    other content words, in order."""
    lang = language if language in LANGUAGES else "pt"
    return list(_terms(text, lang))


# A period's questions are mostly the ones the last page load grouped: each is
# read once, and a reload after new events pays for the new questions only.
@lru_cache(maxsize=16384)
def _terms(text: str, lang: str) -> Tuple[str, ...]:
    table = _lemma_table(lang)
    raw = _TOKEN.findall(text.lower())
    surfaces = [_fold_word(word) for word in raw]
    concepts, phrases, longest = _lexicon()
    stops = _stop_words()
    found: List[str] = []
    i = 0
    while i < len(raw):
        for size in range(min(longest, len(raw) - i), 1, -1):
            concept = phrases.get(tuple(surfaces[i : i + size]))
            if concept:
                found.append("c:" + concept)
                i += size
                break
        else:
            surface = surfaces[i]
            lemma = _fold_word(str(table.get(raw[i], raw[i])))
            concept = _concept_of(surface, lemma, concepts)
            if concept:
                found.append("c:" + concept)
            elif surface not in stops and lemma not in stops and len(surface) > 1 and not surface.isdigit():
                found.append(lemma if len(lemma) > 1 else surface)
            i += 1
    return tuple(found)


def _features(words: Sequence[str]) -> Tuple[Counter, Counter]:
    """(word and concept counts, character n-gram counts of the plain words)."""
    word_counts: Counter = Counter(words)
    grams: Counter = Counter()
    for word in words:
        if word.startswith("c:"):
            continue
        padded = f"<{word}>"
        for n in NGRAMS:
            grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return word_counts, grams


def _slot(feature: str) -> int:
    # crc32, not hash(): the same feature lands in the same slot in every process.
    return zlib.crc32(feature.encode("utf-8")) % DIMENSIONS


@lru_cache(maxsize=1)
def _background() -> Tuple[Tuple[Counter, Counter], ...]:
    """The knowledge base's example questions: document frequencies of everyday support words."""
    from common.kb.articles import load_library

    documents = []
    for lang, articles in load_library().items():
        for article in articles.values():
            for example in article.examples:
                words, grams = _features(terms(example, lang))
                documents.append((Counter(dict.fromkeys(words, 1)), Counter(dict.fromkeys(grams, 1))))
    return tuple(documents)


def _matrix(items: Sequence[Counter], background: Iterable[Counter]) -> np.ndarray:
    """Rows of L2-normalised TF-IDF weights (sublinear tf), hashed into DIMENSIONS."""
    frequency: Counter = Counter()
    total = 0
    for document in background:
        frequency.update(document.keys())
        total += 1
    for item in items:
        frequency.update(item.keys())
        total += 1
    rows = np.zeros((len(items), DIMENSIONS), dtype=np.float32)
    for row, item in enumerate(items):
        for feature, count in item.items():
            idf = np.log((1 + total) / (1 + frequency[feature])) + 1.0
            rows[row, _slot(feature)] += (1.0 + np.log(count)) * idf
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return rows / norms


def similarities(word_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """The questions' pairwise similarity (0..1), WORD_WEIGHT on words and concepts, the rest on n-grams."""
    features = [_features(words) for words in word_lists]
    background = _background()
    words = _matrix([f[0] for f in features], (b[0] for b in background))
    grams = _matrix([f[1] for f in features], (b[1] for b in background))
    similarity = WORD_WEIGHT * (words @ words.T) + (1.0 - WORD_WEIGHT) * (grams @ grams.T)
    return np.clip(similarity, 0.0, 1.0)


def _components(similarity: np.ndarray, threshold: float) -> List[List[int]]:
    """Groups of items linked by any pair at least `threshold` alike: average-link
    groups never cross them, so each is clustered on its own (small matrices)."""
    parent = list(range(len(similarity)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(similarity >= threshold, k=1)), strict=False):
        a, b = root(int(i)), root(int(j))
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: Dict[int, List[int]] = defaultdict(list)
    for i in range(len(similarity)):
        members[root(i)].append(i)
    return list(members.values())


def average_link(similarity: np.ndarray, weights: Sequence[float], threshold: float) -> List[List[int]]:
    """Agglomerative clustering, average link (weighted by how often each item
    occurs), merging while the two most alike clusters are at least `threshold` alike."""
    clusters: List[List[int]] = []
    for component in _components(similarity, threshold):
        clusters += _average_link_component(similarity, weights, threshold, component)
    return clusters


def _average_link_component(
    similarity: np.ndarray, weights: Sequence[float], threshold: float, component: List[int]
) -> List[List[int]]:
    if len(component) == 1:
        return [component]
    index = np.array(component)
    sims = similarity[np.ix_(index, index)].astype(np.float64)
    np.fill_diagonal(sims, -np.inf)
    size = np.array([float(weights[i]) for i in component])
    alive = np.ones(len(component), dtype=bool)
    members = [[i] for i in component]
    # Each cluster's most alike other cluster: a merge changes few of them, so a
    # merge costs a row or two, not a search of the whole matrix.
    best = sims.argmax(axis=1)
    best_value = sims[np.arange(len(component)), best]
    while True:
        a = int(np.argmax(best_value))
        if best_value[a] < threshold:
            break
        b = int(best[a])
        a, b = min(a, b), max(a, b)
        # Lance-Williams for average link: the merged cluster's similarity to each other one.
        merged = (size[a] * sims[a] + size[b] * sims[b]) / (size[a] + size[b])
        alive[b] = False
        merged[~alive] = -np.inf
        merged[a] = -np.inf
        sims[a, :], sims[:, a] = merged, merged
        sims[b, :], sims[:, b] = -np.inf, -np.inf
        size[a] += size[b]
        members[a] += members[b]
        best_value[b] = -np.inf
        stale = np.flatnonzero(alive & ((best == a) | (best == b)))
        stale = np.union1d(stale, [a])
        best[stale] = sims[stale].argmax(axis=1)
        best_value[stale] = sims[stale, best[stale]]
        # An average is never above the larger of the two it replaces: only a tie can make `a` another's best.
        closer = alive & ((merged > best_value) | ((merged == best_value) & (a < best)))
        closer[a] = False
        best[closer], best_value[closer] = a, merged[closer]
    return [sorted(members[i]) for i in range(len(component)) if alive[i]]


def _same_text(text: str) -> str:
    return " ".join(_TOKEN.findall(fold(text)))


def warm() -> None:
    """Loads what the first grouping would (spaCy's lookup tables, the knowledge
    base's examples: about 4 s), for a caller that would rather pay it early."""
    _background()
    for lang in LANGUAGES:
        terms("", lang)
    # The clustering's first np.union1d imports numpy.ma (0.1 s).
    np.union1d(np.arange(2), np.arange(1))


def grouped(questions: Sequence[Question]) -> List[Group]:
    """group_questions, remembered: the same questions (a page reloaded, another
    filter and back) are grouped once."""
    return list(_grouped(tuple(questions), THRESHOLD))


@lru_cache(maxsize=8)
def _grouped(questions: Tuple[Question, ...], threshold: float) -> Tuple[Group, ...]:
    return tuple(group_questions(questions, threshold))


def group_questions(questions: Sequence[Question], threshold: float = THRESHOLD) -> List[Group]:
    """The questions in topics, most frequent first (then oldest first)."""
    if not questions:
        return []
    # Questions with the same topic words are one item, weighted by how often it was asked.
    items: Dict[Tuple[str, ...], List[Question]] = {}
    for question in sorted(questions, key=lambda q: q.event_id):
        words = tuple(terms(question.text, question.language))
        items.setdefault(words or (f"#{_same_text(question.text)}",), []).append(question)
    keys = list(items)
    weights = [len(items[k]) for k in keys]
    similarity = similarities(keys)
    groups = []
    for cluster in average_link(similarity, weights, threshold):
        groups.append(
            _group([keys[i] for i in cluster], [items[keys[i]] for i in cluster], similarity, cluster, weights)
        )
    groups.sort(key=lambda g: (-g.count, g.event_ids[0]))
    return groups


def _group(
    keys: List[Tuple[str, ...]],
    asked: List[List[Question]],
    similarity: np.ndarray,
    cluster: List[int],
    weights: Sequence[float],
) -> Group:
    members = [q for questions in asked for q in questions]
    event_ids = tuple(sorted(q.event_id for q in members))
    # The most central questions (most alike the rest of the group, counting repeats) make the examples.
    sub = similarity[np.ix_(cluster, cluster)]
    weight = np.array([weights[i] for i in cluster], dtype=np.float64)
    centrality = (sub @ weight) / weight.sum()
    order = sorted(range(len(cluster)), key=lambda i: (-round(float(centrality[i]), 6), _representative(asked[i])))
    examples: List[str] = []
    seen = set()
    for i in order:
        for text in _texts_by_preference(asked[i]):
            if _same_text(text) not in seen:
                seen.add(_same_text(text))
                examples.append(text)
                break
        if len(examples) == EXAMPLES:
            break
    if len(examples) < EXAMPLES:
        for i in order:
            for text in _texts_by_preference(asked[i]):
                if _same_text(text) not in seen and len(examples) < EXAMPLES:
                    seen.add(_same_text(text))
                    examples.append(text)
    term_weight: Counter = Counter()
    for words, questions in zip(keys, asked, strict=False):
        for word in set(words):
            term_weight[word] += len(questions)
    top = sorted(term_weight, key=lambda w: (-term_weight[w], w))[:3]
    key = hashlib.sha1(f"{event_ids[0]}|{' '.join(top)}".encode()).hexdigest()[:12]
    languages = tuple(sorted({q.language for q in members if q.language}))
    return Group(key, len(members), languages, tuple(examples), event_ids)


def _texts_by_preference(questions: Sequence[Question]) -> List[str]:
    """The ways one question was asked, the most frequent first, then the shortest."""
    counts = Counter(" ".join(q.text.split()) for q in questions)
    return sorted(counts, key=lambda text: (-counts[text], len(text), text))


def _representative(questions: Sequence[Question]) -> Tuple[int, str]:
    text = _texts_by_preference(questions)[0]
    return len(text), text


async def mark_handled(session: AsyncSession, event_ids: Iterable[int], when: datetime) -> int:
    """A writer dealt with these questions: they leave the gaps report. Only
    gaps not yet handled change (not an answer, nor a vote that it helped); how many did."""
    wanted = sorted({int(i) for i in event_ids})
    if not wanted:
        return 0
    done = 0
    for start in range(0, len(wanted), 500):
        result = await session.execute(
            update(ReportEvent)
            .where(
                ReportEvent.id.in_(wanted[start : start + 500]),
                is_gap(),
                ReportEvent.handled_at.is_(None),
            )
            .values(handled_at=utc(when))
            .execution_options(synchronize_session=False)
        )
        done += int(getattr(result, "rowcount", 0) or 0)
    return done
