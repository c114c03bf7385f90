"""The spec's worked example (ikk-instrument-spec.md): families A, B and C as a cadre enters them.

One definition for the engine, service and end-to-end tests, so the three cannot drift apart.
Yes/no answers are the choice names ("ya"/"tidak"); `as_button_labels` gives the button texts.
"""

from __future__ import annotations

from collections.abc import Mapping

NEGATIVE = frozenset({"KF2", "KF3", "KSP1", "KSP2", "KSP3", "KSB5", "KE8"})
"""Questions that ask whether something bad happened: "tidak" meets the indicator."""
INDICATOR_QUESTIONS = (
    "LS1", "LS2", "LS3", "KF1", "KF2", "KF3", "KF4", "KF5", "KF6",
    "KE1", "KE3", "KE4", "KE5", "KE6", "KE7", "KE8",
    "KSP1", "KSP2", "KSP3", "KSP4", "KSP5", "KSP6",
    "KSB1", "KSB2", "KSB3", "KSB4", "KSB5", "KSB6",
)


def entered(profile: Mapping[str, str], exceptions: Mapping[str, str]) -> dict[str, str]:
    """What the cadre enters for every question the family could be asked: "ya" to every
    positive question, "tidak" to every event (negative) question, then the exceptions."""
    answers = dict(profile)
    for name in INDICATOR_QUESTIONS:
        answers[name] = "tidak" if name in NEGATIVE else "ya"
    answers.update(exceptions)
    return answers


def as_button_labels(family: Mapping[str, str]) -> dict[str, str]:
    """The same family with yes/no written as the buttons show them ("Ya"/"Tidak")."""
    labels = {"ya": "Ya", "tidak": "Tidak"}
    return {name: labels.get(value, value) for name, value in family.items()}


# A: couple, no children, no elderly, 2 members, 2.000.000 → 18 of 18 met.
FAMILY_A = entered(
    {"H_KEPALA": "Ahmad Fauzi", "H_RT": "1", "H_ANGGOTA": "2", "P_PASANGAN": "ya",
     "P_ANAK": "tidak", "P_LANSIA": "tidak", "P_PENDAPATAN": "2.000.000"},
    {},
)
# B: couple with children (balita, school age), 5 members, 2 juta (400.000 per capita):
# LS2, KE5 not met, KE8 and KSP2 happened → 26 applicable, 21 met.
FAMILY_B = entered(
    {"H_KEPALA": "Budi Santoso", "H_RT": "2", "H_ANGGOTA": "5", "P_PASANGAN": "ya",
     "P_ANAK": "ya", "P_BALITA": "ya", "P_BADUTA": "tidak", "P_LAHIR2": "tidak",
     "P_SEKOLAH": "ya", "P_LANSIA": "tidak", "P_PENDAPATAN": "2 juta"},
    {"LS2": "tidak", "KE5": "tidak", "KE8": "ya", "KSP2": "ya"},
)
# C: no couple, children (school age), elderly, 3 members, 1.500.000: KF1, KE1, KE6 not met
# → 21 applicable, 17 met.
FAMILY_C = entered(
    {"H_KEPALA": "Citra Lestari", "H_RT": "3", "H_ANGGOTA": "3", "P_PASANGAN": "tidak",
     "P_ANAK": "ya", "P_BALITA": "tidak", "P_LAHIR2": "tidak", "P_SEKOLAH": "ya",
     "P_LANSIA": "ya", "P_PENDAPATAN": "Rp 1.500.000"},
    {"KF1": "tidak", "KE1": "tidak", "KE6": "tidak"},
)
