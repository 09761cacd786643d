"""A reading names its device by serial in `deviceSerial` (#15): `deviceId` took a serial too, so a
gateway author sending Device.id got "未登记的设备". deviceId stays, deprecated; exactly one of the
two, else that reading alone is rejected."""

from tests.eldercare.conftest import reading

RECORD = """mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) {
  __typename
  ... on ReadingsRecorded { accepted rejected { index deviceSerial deviceId code message } }
  ... on InvalidReadings { code rejected { index deviceSerial code } } } }"""
FIELD = "name type { name kind } isDeprecated deprecationReason description"
INTROSPECT = f"""{{
  input: __type(name: "ReadingInput") {{ inputFields(includeDeprecated: true) {{ {FIELD} }} }}
  rejected: __type(name: "RejectedReading") {{ fields(includeDeprecated: true) {{ {FIELD} }} }} }}"""


def by_serial(device: str | None, kind: str, value: float | None, minute: int, **names) -> dict:
    sent = reading(device, kind, value, minute)
    del sent["deviceId"]
    if device is not None:
        sent["deviceSerial"] = device
    return {**sent, **names}


async def send(gql, ward, *readings: dict) -> dict:
    body = await gql(RECORD, {"r": list(readings)}, token=ward.tokens["DEVICE_GATEWAY"])
    assert "errors" not in body, body
    return body["data"]["readingsRecord"]


async def test_a_reading_names_its_device_by_serial(gql, ward):
    result = await send(gql, ward, by_serial("T-WB-A", "HEART_RATE", 72, 0))

    assert (result["accepted"], result["rejected"]) == (1, [])


async def test_the_deprecated_device_id_still_takes_the_serial(gql, ward):
    result = await send(gql, ward, reading("T-WB-A", "HEART_RATE", 72, 0))

    assert (result["accepted"], result["rejected"]) == (1, [])


async def test_a_reading_naming_no_device_or_two_is_rejected_alone(gql, ward):
    result = await send(
        gql,
        ward,
        by_serial("T-WB-A", "HEART_RATE", 72, 0),
        by_serial(None, "HEART_RATE", 72, 1),  # neither
        by_serial("T-WB-A", "HEART_RATE", 72, 2, deviceId="T-WB-A"),  # both
        by_serial(None, "HEART_RATE", 72, 3, deviceSerial=None, deviceId="T-WB-A"),  # null serial, id given
    )

    assert result["accepted"] == 2
    assert [(r["index"], r["deviceSerial"], r["code"]) for r in result["rejected"]] == [
        (1, None, "DEVICE_SERIAL_MISSING"),
        (2, "T-WB-A", "DEVICE_SERIAL_GIVEN_TWICE"),
    ]
    assert all(r["message"] for r in result["rejected"])


async def test_a_batch_of_readings_naming_no_device_stores_nothing(gql, ward):
    result = await send(gql, ward, by_serial(None, "SOS", None, 0))

    assert result == {
        "__typename": "InvalidReadings",
        "code": "NO_VALID_READINGS",
        "rejected": [{"index": 0, "deviceSerial": None, "code": "DEVICE_SERIAL_MISSING"}],
    }


async def test_a_rejection_names_the_serial_in_device_serial_and_its_old_alias(gql, ward):
    result = await send(
        gql, ward, by_serial("T-WB-A", "HEART_RATE", 72, 0), by_serial("WB-UNKNOWN", "SPO2", 97, 0)
    )

    assert [(r["deviceSerial"], r["deviceId"], r["code"]) for r in result["rejected"]] == [
        ("WB-UNKNOWN", "WB-UNKNOWN", "UNKNOWN_DEVICE")
    ]


async def test_the_graph_says_which_to_use(gql, ward):
    body = await gql(INTROSPECT, token=ward.tokens["DEVICE_GATEWAY"])

    inputs = {field["name"]: field for field in body["data"]["input"]["inputFields"]}
    assert (
        inputs["deviceSerial"]["isDeprecated"] is False
        and inputs["deviceSerial"]["type"]["kind"] != "NON_NULL"
    )
    assert (
        "serial" in inputs["deviceSerial"]["description"]
        and "deviceId" in inputs["deviceSerial"]["description"]
    )
    assert (
        inputs["deviceId"]["isDeprecated"] is True
        and "deviceSerial" in inputs["deviceId"]["deprecationReason"]
    )
    fields = {field["name"]: field for field in body["data"]["rejected"]["fields"]}
    assert fields["deviceSerial"]["isDeprecated"] is False
    assert (
        fields["deviceId"]["isDeprecated"] is True
        and "deviceSerial" in fields["deviceId"]["deprecationReason"]
    )
