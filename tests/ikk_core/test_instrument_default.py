"""The packaged default instrument implements ikk-instrument-spec.md: names, labels, rules, method.

Label texts below are copied from the spec's tables, so a typo in the YAML shows up here.
"""

from __future__ import annotations

from ikk_core.expressions import compile_expression
from ikk_core.instrument import BUILTIN_VARIABLES, Instrument
from ikk_core.instrument_io import load_default_instrument, validate

PROFILE = [
    "H_KEPALA", "H_RT", "H_ANGGOTA", "P_PASANGAN", "P_ANAK", "P_BALITA", "P_BADUTA",
    "P_LAHIR2", "P_SEKOLAH", "P_LANSIA", "P_PENDAPATAN",
]  # fmt: skip
INDICATORS = {
    "LS": ["LS1", "LS2", "LS3"],
    "KF": ["KF1", "KF2", "KF3", "KF4", "KF5", "KF6"],
    "KE": ["KE1", "KE2", "KE3", "KE4", "KE5", "KE6", "KE7", "KE8"],
    "KSP": ["KSP1", "KSP2", "KSP3", "KSP4", "KSP5", "KSP6"],
    "KSB": ["KSB1", "KSB2", "KSB3", "KSB4", "KSB5", "KSB6"],
}
NEGATIVE = {"KF2", "KF3", "KE8", "KSP1", "KSP2", "KSP3", "KSB5"}
APPLIES = {
    "P_PASANGAN": {"LS1", "LS3", "KSP1", "KSP5", "KSP6"},
    "P_ANAK": {"LS2", "KF4", "KE8", "KSP2", "KSB6"},
    "P_BALITA": {"KF2"},
    "P_BADUTA": {"KF5"},
    "P_LAHIR2": {"KF6"},
    "P_SEKOLAH": {"KE4", "KE5"},
    "P_LANSIA": {"KSB1"},
}


def instrument() -> Instrument:
    return load_default_instrument()


def test_default_instrument_is_identified_and_marked_provisional() -> None:
    inst = instrument()
    assert inst.id == "ikk-kalsel-default"
    assert inst.version == "2026.2"
    assert inst.title.id == "Indeks Kualitas Keluarga Kalimantan Selatan (instrumen sementara)"
    assert inst.settings.provisional is True
    assert validate(inst) == []


def test_default_instrument_is_loaded_once_per_process() -> None:
    assert load_default_instrument() is load_default_instrument()


def test_there_are_29_indicators_counted_3_6_8_6_6_in_dimension_order() -> None:
    inst = instrument()
    assert [d.code for d in inst.dimensions] == ["LS", "KF", "KE", "KSP", "KSB"]
    assert {d: [i.code for i in inst.indicators_of(d)] for d in INDICATORS} == INDICATORS
    assert [len(inst.indicators_of(d)) for d in INDICATORS] == [3, 6, 8, 6, 6]
    assert len(inst.indicators) == 29
    assert all(i.weight == 1.0 for i in inst.indicators)
    assert all(d.weight == 1.0 for d in inst.dimensions)


def test_dimension_names_are_the_specs() -> None:
    names = {d.code: d.name.id for d in instrument().dimensions}
    assert names == {
        "LS": "Legalitas dan Struktur",
        "KF": "Ketahanan Fisik",
        "KE": "Ketahanan Ekonomi",
        "KSP": "Ketahanan Sosial Psikologi",
        "KSB": "Ketahanan Sosial Budaya",
    }


def test_profile_comes_first_then_one_question_per_indicator_except_ke2() -> None:
    inst = instrument()
    names = [q.name for q in inst.questions]
    expected_indicator_questions = [c for codes in INDICATORS.values() for c in codes if c != "KE2"]
    assert names == PROFILE + expected_indicator_questions
    assert len(expected_indicator_questions) == 28
    assert len(inst.questions) == 39


def test_each_indicator_question_is_asked_exactly_when_its_indicator_applies() -> None:
    inst = instrument()
    for indicator in inst.indicators:
        if indicator.code == "KE2":
            continue
        question = inst.question(indicator.code)
        assert question.relevant == indicator.applies_if, indicator.code
        assert question.section == indicator.dimension
        assert question.type == "select_one" and question.list_name == "yesno"


def test_applicability_follows_the_profile_questions_of_the_spec() -> None:
    inst = instrument()
    for profile, codes in APPLIES.items():
        for code in codes:
            indicator = next(i for i in inst.indicators if i.code == code)
            assert indicator.applies_if == f"${{{profile}}} = 'ya'", code
    conditional = set().union(*APPLIES.values())
    for indicator in inst.indicators:
        if indicator.code not in conditional:
            assert indicator.applies_if is None, indicator.code


def test_meets_rules_score_yes_except_the_negative_events() -> None:
    for indicator in instrument().indicators:
        if indicator.code == "KE2":
            continue
        answer = "tidak" if indicator.code in NEGATIVE else "ya"
        assert indicator.meets_if == f"${{{indicator.code}}} = '{answer}'", indicator.code


def test_ke2_compares_income_per_person_with_the_poverty_line() -> None:
    ke2 = next(i for i in instrument().indicators if i.code == "KE2")
    assert ke2.meets_if == "${P_PENDAPATAN} div ${H_ANGGOTA} >= ${GARIS_KEMISKINAN}"
    assert ke2.applies_if is None
    assert ke2.sector == "Dinas Sosial / Bappeda"
    rule = compile_expression(ke2.meets_if)
    # Worked example: A 2.000.000 / 2 = 1.000.000 ≥ 600.000; B 2.000.000 / 5 = 400.000 < 600.000.
    assert rule.test({"P_PENDAPATAN": 2_000_000, "H_ANGGOTA": 2, "GARIS_KEMISKINAN": 600_000})
    assert not rule.test({"P_PENDAPATAN": 2_000_000, "H_ANGGOTA": 5, "GARIS_KEMISKINAN": 600_000})


def test_every_rule_refers_only_to_existing_questions_or_builtins() -> None:
    inst = instrument()
    known = {q.name for q in inst.questions} | BUILTIN_VARIABLES
    order = {q.name: n for n, q in enumerate(inst.questions)}
    for indicator in inst.indicators:
        meets = compile_expression(indicator.meets_if)
        assert meets.refs <= known and meets.refs - BUILTIN_VARIABLES, indicator.code
        if indicator.applies_if:
            assert compile_expression(indicator.applies_if).refs <= known
    for n, question in enumerate(inst.questions):
        if question.relevant:
            refs = compile_expression(question.relevant).refs
            assert all(order[r] < n for r in refs), question.name


def test_indicator_labels_match_the_spec_text() -> None:
    inst = instrument()
    assert inst.question("LS1").label.id == (
        "Apakah pasangan suami-istri memiliki buku nikah / akta perkawinan?"
    )
    # Issue 11 §9: the event is asked plainly (no double negative, no "bebas dari").
    assert inst.question("KF2").label.id == (
        "Apakah ada balita yang mengalami gizi kurang atau stunting (menurut catatan Posyandu)?"
    )
    assert inst.question("KF3").label.id == (
        "Apakah ada anggota keluarga dengan penyakit kronis atau disabilitas yang menghambat "
        "kegiatan sehari-hari?"
    )
    assert inst.question("KE8").label.id == (
        "Apakah ada anak usia 5–17 tahun yang bekerja sehingga sekolahnya terganggu?"
    )
    assert inst.question("KSP1").label.id == (
        "Dalam 12 bulan terakhir, apakah terjadi kekerasan fisik atau psikis terhadap istri "
        "atau perempuan dalam keluarga?"
    )
    assert inst.question("KSB2").label.id == (
        "Dalam 6 bulan terakhir, apakah ada anggota keluarga yang ikut kegiatan sosial "
        "(gotong royong, arisan, PKK/dasawisma)?"
    )
    names = {i.code: i.name.id for i in inst.indicators}
    assert names["KE4"] == "Kemampuan membiayai pendidikan anak"
    assert names["KF3"] == "Kesehatan untuk kegiatan sehari-hari"  # issue 11 §9: no "bebas"
    assert names["KSB5"] == "Bebas perkawinan anak"
    assert names["KE2"] == "Pendapatan per kapita"


def test_sectors_match_the_spec_table() -> None:
    sectors = {i.code: i.sector for i in instrument().indicators}
    assert sectors["LS1"] == "Kemenag (KUA) / Disdukcapil"
    assert sectors["KF1"] == "Dinas Ketahanan Pangan"
    assert sectors["KE6"] == "Dinas Koperasi dan UMKM"
    assert sectors["KSP1"] == "DP3A (UPTD PPA)"
    assert sectors["KSP3"] == "Kesbangpol"
    assert sectors["KSB2"] == "DPMD / PKK"
    assert all(sectors.values())


def test_every_text_has_english_too() -> None:
    inst = instrument()
    assert inst.title.en
    assert all(q.label.en for q in inst.questions)
    assert all(i.name.en for i in inst.indicators)
    assert all(d.name.en for d in inst.dimensions)


def test_profile_questions_have_the_specs_labels_types_and_skips() -> None:
    inst = instrument()
    assert inst.question("H_KEPALA").label.id == "Nama kepala keluarga"
    assert inst.question("H_ANGGOTA").label.id == "Jumlah anggota keluarga (orang)"
    assert inst.question("P_BADUTA").label.id == "Apakah ada anak usia 6–23 bulan?"
    assert inst.question("P_LANSIA").label.id == (
        "Apakah ada anggota keluarga atau orang tua berusia 60 tahun ke atas?"
    )
    types = {q.name: q.type for q in inst.questions if q.name in PROFILE}
    assert types["H_KEPALA"] == "text"
    assert [n for n, t in types.items() if t == "integer"] == ["H_RT", "H_ANGGOTA", "P_PENDAPATAN"]
    relevant = {q.name: q.relevant for q in inst.questions if q.name in PROFILE}
    assert relevant["P_BALITA"] == "${P_ANAK} = 'ya'"
    assert relevant["P_BADUTA"] == "${P_BALITA} = 'ya'"
    assert relevant["P_LAHIR2"] == "${P_ANAK} = 'ya'"
    assert relevant["P_SEKOLAH"] == "${P_ANAK} = 'ya'"
    assert relevant["P_PASANGAN"] is None and relevant["P_LANSIA"] is None
    assert all(q.section == "PROFIL" for q in inst.questions if q.name in PROFILE)
    assert inst.section_name("PROFIL") == "Profil keluarga"


def test_profile_constraints_accept_exactly_the_specs_ranges() -> None:
    inst = instrument()

    def accepts(name: str, value: str | int) -> bool:
        constraint = inst.question(name).constraint
        assert constraint is not None
        return compile_expression(constraint).test({}, current=value)

    assert not accepts("H_KEPALA", "A") and accepts("H_KEPALA", "Ab")
    assert accepts("H_KEPALA", "x" * 80) and not accepts("H_KEPALA", "x" * 81)
    assert [accepts("H_RT", v) for v in (0, 1, 99, 100)] == [False, True, True, False]
    assert [accepts("H_ANGGOTA", v) for v in (0, 1, 30, 31)] == [False, True, True, False]
    assert accepts("P_PENDAPATAN", 0) and accepts("P_PENDAPATAN", 1_000_000_000)
    assert not accepts("P_PENDAPATAN", 1_000_000_001)
    assert inst.question("H_RT").constraint_message.id == "Ketik nomor RT saja, misalnya 3."


def test_household_size_above_15_asks_for_confirmation() -> None:
    question = instrument().question("H_ANGGOTA")
    assert question.warn_max == 15 and question.warn_min is None
    assert question.warn_message.id.startswith("Yakin?")


def test_income_is_a_currency_with_a_hint_on_how_to_write_it() -> None:
    question = instrument().question("P_PENDAPATAN")
    assert question.appearance == "currency"
    assert question.hint.id == "Boleh ditulis 2.500.000 atau 2,5 juta"


def test_yes_no_list_has_the_names_ya_and_tidak() -> None:
    choices = instrument().choices["yesno"]
    assert [(c.name, c.label.id) for c in choices] == [("ya", "Ya"), ("tidak", "Tidak")]


def test_method_settings_are_the_specs_defaults() -> None:
    s = instrument().settings
    assert s.aggregation == "dimension_mean"
    assert s.red_threshold == 75
    assert [(b.name, b.label.id, b.min) for b in s.ikk_bands] == [
        ("Kategori 1", "Kualitas keluarga kurang responsif gender", 0),
        ("Kategori 2", "Kualitas keluarga cukup responsif gender", 50),
        ("Kategori 3", "Kualitas keluarga responsif gender dan hak anak", 75),
    ]
    assert [(b.name, b.min) for b in s.family_bands] == [
        ("rendah", 0),
        ("sedang", 50),
        ("baik", 75),
    ]
    assert s.poverty_line_default == 600_000
    assert dict(s.poverty_lines) == {}
    assert s.poverty_line_for("63.02.01.2001") == 600_000
