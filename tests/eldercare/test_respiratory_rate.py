"""Respiratory rate (LOINC 9279-1) is recorded and judged by DOMAIN.md's default band (#15):
warning 9–11 or 21–24, critical ≤ 8 or ≥ 25."""

import pytest
from sqlalchemy import text

from tests.eldercare.conftest import reading

C, W, N = "CRITICAL", "WARNING", None


@pytest.mark.parametrize(
    ("value", "severity"),
    [(8, C), (9, W), (11, W), (12, N), (20, N), (21, W), (24, W), (25, C)],
)
async def test_each_edge_of_the_default_respiratory_band(record, value, severity):
    result = await record(reading("T-WB-A", "RESPIRATORY_RATE", value, 0))

    assert (result["accepted"], result["rejected"]) == (1, [])
    assert [(a["kind"], a["severity"]) for a in result["alertsRaised"]] == (
        [("VITAL_OUT_OF_RANGE", severity)] if severity else []
    )


@pytest.mark.parametrize(("value", "possible"), [(2.9, False), (3, True), (60, True), (60.1, False)])
async def test_a_respiratory_rate_a_sensor_cannot_report_is_impossible(record, value, possible):
    result = await record(
        reading("T-WB-A", "RESPIRATORY_RATE", value, 0), reading("T-WB-A", "HEART_RATE", 72, 0)
    )

    assert result["accepted"] == (2 if possible else 1)
    assert [r["code"] for r in result["rejected"]] == ([] if possible else ["IMPOSSIBLE_VALUE"])


async def test_it_is_stored_with_its_loinc_code_and_named_in_the_summary(record, session):
    raised = await record(reading("T-WB-A", "RESPIRATORY_RATE", 26, 0))

    loinc = await session.scalar(
        text(
            "SELECT r.loinc FROM readings r JOIN devices d ON d.id = r.device_id "
            "WHERE d.serial = 'T-WB-A' AND r.kind = 'RESPIRATORY_RATE'"
        )
    )
    assert loinc == "9279-1"
    assert raised["alertsRaised"][0]["summary"] == "呼吸频率危急：26 次/分"


async def test_the_default_band_is_a_row_of_vital_thresholds(session):
    row = (
        await session.execute(
            text(
                "SELECT critical_low, warning_low, warning_high, critical_high FROM vital_thresholds "
                "WHERE elder_id IS NULL AND kind = 'RESPIRATORY_RATE'"
            )
        )
    ).one()

    assert tuple(row) == (8, 11, 21, 25)
