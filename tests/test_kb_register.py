"""One Spanish register: Carolina says "tú", and so do the articles she quotes (issue 22).

Her own replies (domain.yml) use neutral Latin-American tuteo ("puedes", "tu
contraseña"); an article answered in "usted" ("haga clic", "consulte a su ESN") in
the same chat reads as two people. Only Carolina's words are checked: an article's
title, summary (the chat answer) and body, and domain.yml's Spanish responses. The
article examples and tags are customers' words, in whatever register they wrote.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import yaml

from common.kb.articles import DEFAULT_ROOT, parse_article

DOMAIN = Path(__file__).resolve().parents[1] / "domain.yml"

# Forms that only "usted" (or only voseo) produces: each has a tuteo twin
# ("haz clic", "consulta", "tu contraseña"; "puedes", "fíjate", "dime"), so a
# match is a slip, not a false alarm. Ambiguous words stay out: "tenga" and
# "haga" alone are also third person ("que cada colaborador tenga", "cuando haga
# falta"), "escribí" is also "yo escribí", "su" also belongs to third parties.
USTED = (
    r"usted",
    r"haga clic",
    r"no haga",
    r"consulte",
    r"ingrese",
    r"recuerde",
    r"tenga a mano",
    r"tenga en cuenta",
    r"mantenga",
    r"comuníquese",
    r"regístrese",
    r"asegúrese",
    r"no se preocupe",
    r"inicie sesión",
    r"pídale",
    r"pídaselo",
    r"pregúntele",
    r"pregúnteme",
    r"le ayud\w*",
    r"ayudarle",
    r"orientarle",
    r"su (?:contraseña|usuario|e-mail|correo|perfil|ESN|ejecutivo|solicitud|empresa|caso|entorno)",
)
VOSEO = (
    r"podés",
    r"tenés",
    r"querés",
    r"sabés",
    r"necesitás",
    r"fijate",
    r"decime",
    r"contame",
    r"escribime",
    r"avisame",
)
SLIP = re.compile(r"\b(?:" + "|".join(USTED + VOSEO) + r")\b", re.IGNORECASE)


def slips(text: str) -> List[str]:
    return [match.group(0) for match in SLIP.finditer(text)]


def article_slips(folder: Path) -> Dict[str, List[str]]:
    """Register slips per Spanish article in `folder`, in Carolina's words only."""
    found: Dict[str, List[str]] = {}
    for path in sorted(folder.glob("*.md")):
        article = parse_article(path, "es")
        words = slips("\n".join((article.title, article.summary, article.body)))
        if words:
            found[path.stem] = words
    return found


def response_slips(domain: Path) -> Dict[str, List[str]]:
    """Register slips per response in domain.yml's Spanish variations (the text, not the
    buttons: a button title is the customer's reply, "Tengo una duda")."""
    found: Dict[str, List[str]] = {}
    for name, variations in yaml.safe_load(domain.read_text(encoding="utf-8"))["responses"].items():
        for variation in variations:
            spanish = any(
                c.get("name") == "language" and c.get("value") == "es" for c in variation.get("condition") or ()
            )
            words = slips(variation.get("text", "")) if spanish else []
            if words:
                found.setdefault(name, []).extend(words)
    return found


def test_the_marker_list_tells_usted_and_voseo_from_tuteo():
    assert slips("Haga clic en **Olvidé mi contraseña** y consulte a su ESN.") == [
        "Haga clic",
        "consulte",
        "su ESN",
    ]
    assert slips("Si no podés entrar, fijate en tu correo.") == ["podés", "fijate"]
    tuteo = "Haz clic, consulta a tu ESN, ten en cuenta que cada usuario tenga su propio e-mail cuando haga falta."
    assert slips(tuteo) == []


def test_spanish_articles_address_the_customer_as_tu():
    assert article_slips(DEFAULT_ROOT / "es") == {}


def test_carolinas_spanish_responses_address_the_customer_as_tu():
    assert response_slips(DOMAIN) == {}
