"""Small instruments built from the dataclasses, so engine tests do not depend on default wording.

`family_instrument()` mimics the shape of the default questionnaire: a profile section whose
answers switch later questions and whole sections on and off.
"""

from __future__ import annotations

from ikk_core.expressions import Value
from ikk_core.instrument import (
    Band,
    Choice,
    Dimension,
    Indicator,
    Instrument,
    Question,
    Section,
    Settings,
    Text,
)

YESNO = (Choice("ya", Text("Ya", "Yes")), Choice("tidak", Text("Tidak", "No")))


def yes_no(name: str, label: str, *, section: str, relevant: str | None = None) -> Question:
    return Question(
        name, "select_one", Text(label, f"EN {label}"), list_name="yesno", relevant=relevant,
        section=section,
    )


def make_instrument(
    questions: tuple[Question, ...], sections: tuple[Section, ...] = ()
) -> Instrument:
    return Instrument(
        id="uji",
        version="1",
        title=Text("Uji"),
        settings=Settings(
            ikk_bands=(Band("K1", Text("a"), 0.0),),
            family_bands=(Band("rendah", Text("rendah"), 0.0),),
        ),
        dimensions=(
            Dimension("LS", Text("Legalitas dan Struktur", "Legality and Structure")),
            Dimension("KF", Text("Ketahanan Fisik", "Physical Resilience")),
            Dimension("KE", Text("Ketahanan Ekonomi")),
        ),
        questions=questions,
        choices={"yesno": YESNO},
        indicators=(Indicator("A1", "LS", Text("a"), meets_if="${A1} = 'ya'"),),
        sections=sections,
    )


def family_instrument() -> Instrument:
    """Profile (NAMA … CATATAN), then sections LS (A*), KF (B*: only with children), KE (C*)."""
    p = "PROFIL"
    questions = (
        Question("NAMA", "text", Text("Nama kepala keluarga", "Name of the head of family"),
                 constraint="string-length(.) >= 2 and string-length(.) <= 80",
                 constraint_message=Text("Nama harus 2 sampai 80 huruf."), section=p),
        Question("RT", "integer", Text("Nomor RT"), constraint=". >= 1 and . <= 99",
                 constraint_message=Text("RT harus angka 1 sampai 99."), section=p),
        Question("ANGGOTA", "integer", Text("Jumlah anggota keluarga (orang)"),
                 constraint=". >= 1 and . <= 30",
                 constraint_message=Text("Jumlah anggota harus 1 sampai 30."),
                 warn_max=15, warn_message=Text("Lebih dari 15 orang. Yakin?"), section=p),
        yes_no("PASANGAN", "Apakah ada pasangan suami-istri?", section=p),
        yes_no("ANAK", "Apakah ada anak usia 0–17 tahun?", section=p),
        yes_no("BALITA", "Apakah ada anak balita?", section=p, relevant="${ANAK} = 'ya'"),
        yes_no("SEKOLAH", "Apakah ada anak usia sekolah?", section=p, relevant="${ANAK} = 'ya'"),
        Question("GAJI", "integer", Text("Perkiraan pendapatan keluarga per bulan (Rupiah)"),
                 constraint=". >= 0 and . <= 1000000000",
                 constraint_message=Text("Pendapatan harus 0 sampai 1.000.000.000."),
                 appearance="currency", section=p),
        Question("CATATAN", "text", Text("Catatan untuk keluarga ini"), required=False,
                 hint=Text("Misalnya: rumah di ujung gang."), section=p),
        Question("INFO_A", "note", Text("Bagian berikut tentang legalitas keluarga."),
                 section="LS"),
        yes_no("A1", "Apakah pasangan memiliki buku nikah?", section="LS",
               relevant="${PASANGAN} = 'ya'"),
        yes_no("A2", "Apakah semua anak memiliki akta kelahiran?", section="LS",
               relevant="${ANAK} = 'ya'"),
        yes_no("B1", "Apakah orang tua tidur terpisah dari anak?", section="KF",
               relevant="${ANAK} = 'ya'"),
        yes_no("B2", "Apakah balita tidak mengalami gizi kurang?", section="KF",
               relevant="${BALITA} = 'ya'"),
        yes_no("C1", "Apakah rumah milik sendiri?", section="KE"),
        yes_no("C2", "Apakah semua anak usia sekolah masih bersekolah?", section="KE",
               relevant="${SEKOLAH} = 'ya'"),
    )
    sections = (Section("PROFIL", Text("Profil keluarga", "Family profile")),)
    return make_instrument(questions, sections)


#: A family with a couple and no children, every question answered up to the end.
NO_CHILDREN: dict[str, Value] = {
    "NAMA": "Siti Aminah",
    "RT": 3,
    "ANGGOTA": 2,
    "PASANGAN": "ya",
    "ANAK": "tidak",
    "GAJI": 2_000_000,
    "CATATAN": None,
    "A1": "ya",
    "C1": "ya",
}

#: The same family with children (a toddler and a school child): more questions apply.
WITH_CHILDREN: dict[str, Value] = {
    "NAMA": "Siti Aminah",
    "RT": 3,
    "ANGGOTA": 5,
    "PASANGAN": "ya",
    "ANAK": "ya",
    "BALITA": "ya",
    "SEKOLAH": "ya",
    "GAJI": 2_500_000,
    "CATATAN": "Rumah di ujung gang",
    "A1": "ya",
    "A2": "tidak",
    "B1": "ya",
    "B2": "ya",
    "C1": "tidak",
    "C2": "ya",
}
