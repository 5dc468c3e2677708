"""`pgxannot kb update cpic` brings CPIC's own words; reports show them verbatim beneath ours.

Against the loopback server of ``tests/kb/conftest.py`` serving CPIC-API-shaped tables.
The bundled knowledge base keeps only pgxannot's wording.
"""

from __future__ import annotations

import re

from pgxannot.guidance import guidance_for, load_guidance_kb
from pgxannot.kb import manage, resolve
from pgxannot.pgx.model import Diplotype, GeneCall
from pgxannot.report.html import render_html


def serve_cpic(server, api: dict[str, bytes]) -> str:
    for path, body in api.items():
        server.add(path, body, headers={"Content-Type": "application/json"})
    return server.url("/v1/")


def _pm() -> GeneCall:
    return GeneCall("CYP2C19", "called", (Diplotype("*2/*2", ("*2", "*2"), (), "Poor Metabolizer", None),),
                    "Poor Metabolizer", None, (), "vcf")


def _report(drugs: list[dict]) -> dict:
    return {"sample": "P1", "patient": {"medications": ["clopidogrel"]}, "genes": [], "drugs": drugs,
            "medications": {"recognized": ["clopidogrel"], "not_recognized": []}, "findings": [],
            "provenance": {}}


def test_updated_cpic_text_is_shown_verbatim_with_attribution(server, home, fast, cpic_api):
    manage.update("cpic", url=serve_cpic(server, cpic_api), allow_http=True, home=home, policy=fast)
    kb = resolve.load_knowledge_base({"cpic": "active", "home": str(home)}).guidance
    e = next(d for d in guidance_for([_pm()], ["clopidogrel"], kb=kb).drugs if d["drug"] == "clopidogrel")
    assert e["cpic_text"] and "prasugrel" in str(e["cpic_text"])
    assert e["cpic_implications"] and "CYP2C19" in str(e["cpic_implications"])
    assert e["recommendation"] != e["cpic_text"]  # our summary stays ours
    html = render_html(_report([e]))
    card = html[html.index('id="actionable"'):html.index('id="drugs"')]
    ours, theirs = card.index("Avoid clopidogrel"), card.index(str(e["cpic_text"]).split(".")[0])
    assert ours < theirs  # CPIC's words beneath our summary line
    assert re.search(r"CPIC&#39;s own words|CPIC's own words", card) and "cpicpgx.org" in card


def test_bundled_knowledge_base_has_our_wording_only():
    kb = load_guidance_kb()
    e = next(d for d in guidance_for([_pm()], ["clopidogrel"], kb=kb).drugs if d["drug"] == "clopidogrel")
    assert e["cpic_text"] is None and e["cpic_implications"] is None
    assert "CPIC's own words" not in render_html(_report([e])).replace("&#39;", "'")
