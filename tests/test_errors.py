"""The one-line form of pgxannot's errors."""

from __future__ import annotations

from pgxannot.errors import VcfError


def test_one_line_joins_message_and_hint_with_one_full_stop():
    assert VcfError("no records.", path="a.vcf", hint="give a VCF").one_line() == "a.vcf: no records. give a VCF"
    assert VcfError("no records", path="a.vcf", where="line 3", hint="fix it").one_line() == (
        "a.vcf (line 3): no records. fix it")


def test_a_question_keeps_its_question_mark_before_the_hint():
    err = VcfError("wrong build or a VCF filtered to other regions?", path="a.vcf", hint="give a PGx VCF")
    assert err.one_line() == "a.vcf: wrong build or a VCF filtered to other regions? give a PGx VCF"
