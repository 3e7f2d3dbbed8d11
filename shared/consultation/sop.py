"""The office's SOP steps that happen at the desk, each with its standard time ("mutu baku waktu")."""

from __future__ import annotations

from dataclasses import dataclass

from shared.i18n import N_


@dataclass(frozen=True)
class Step:
    """One SOP step: its number, its name and its standard time in minutes."""

    number: int
    name: str
    minutes: int


STEPS = (
    Step(2, N_("Terima dan catat permasalahan"), 10),
    Step(3, N_("Jawab permasalahan"), 30),
    Step(4, N_("Eskalasi ke helpdesk provinsi"), 15),
    Step(5, N_("Catat dalam laporan"), 10),
    Step(6, N_("Laporan, foto dan tanda terima"), 10),
)
BY_NUMBER = {step.number: step for step in STEPS}
FIRST, LAST = STEPS[0].number, STEPS[-1].number
# A step's timer turns amber from this share of its standard time and red past it.
WARN_SHARE = 0.8
