"""Shared numbers of elder care: what sensors can report, units, the event channel and its lock."""

from datetime import timedelta

from models.eldercare import (
    ReadingKind,
)

EVENT_CHANNEL = "care_alert_events"


EVENT_ORDER_LOCK = 0x43415245  # "CARE": events take their sequence one transaction at a time


MAX_BATCH = 500


FUTURE_TOLERANCE = timedelta(minutes=5)


# What a sensor can physically report; anything outside is a broken device, not a patient.
POSSIBLE = {
    ReadingKind.HEART_RATE: (20, 250),
    ReadingKind.SPO2: (50, 100),
    ReadingKind.SYSTOLIC_BP: (50, 300),
    ReadingKind.DIASTOLIC_BP: (30, 200),
    ReadingKind.BODY_TEMPERATURE: (30, 45),
    ReadingKind.RESPIRATORY_RATE: (3, 60),
}


UNITS = {
    ReadingKind.HEART_RATE: ("心率", "次/分"),
    ReadingKind.SPO2: ("血氧饱和度", "%"),
    ReadingKind.SYSTOLIC_BP: ("收缩压", "mmHg"),
    ReadingKind.DIASTOLIC_BP: ("舒张压", "mmHg"),
    ReadingKind.BODY_TEMPERATURE: ("体温", "°C"),
    ReadingKind.RESPIRATORY_RATE: ("呼吸频率", "次/分"),
}


ACTIVITY_KINDS = {ReadingKind.MOTION.value, ReadingKind.DOOR.value}
