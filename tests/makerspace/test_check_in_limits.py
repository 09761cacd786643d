"""Only wrong check-in codes count towards LINLI_CODE_ATTEMPTS_*: a check-in tried outside its window,
on someone else's reservation or with a malformed ID compares no code, so it is no guess."""

import httpx
import pytest

from tests.makerspace.conftest import CHECK_IN, TUESDAY, at

pytestmark = pytest.mark.usefixtures("tuesday_morning")


async def check_in(client: httpx.AsyncClient, token: str, reservation: dict, code: str) -> str:
    """The answer's code: the DomainError's, or the top-level error's (RATE_LIMITED), or the status."""
    response = await client.post(
        "/graphql",
        json={"query": CHECK_IN, "variables": {"id": reservation["id"], "code": code}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if "errors" in body:
        return body["errors"][0]["extensions"]["code"]
    answer = body["data"]["reservationCheckIn"]
    return answer.get("code") or answer.get("status") or answer["__typename"]


async def test_check_ins_outside_the_window_never_count_but_wrong_codes_still_do(
    client_with, booker, residents, tokens, clock
):
    past = await booker.create(residents[0], "窗边工位 W04", at(8, 30), at(9))
    coming = await booker.create(residents[0], "窗边工位 W04", at(10), at(10, 30))
    someone_elses = await booker.create(residents[1], "工位 D11", at(10), at(10, 30))
    # 09:30: check-in of the 10:00 reservation opens at 09:50; that of 08:30 closed at 08:45
    clock.now = TUESDAY.replace(hour=9, minute=30)
    code = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]

    async with client_with(code_attempts_per_person=3) as client:
        too_early = [await check_in(client, residents[0], coming, code) for _ in range(11)]
        too_late = [await check_in(client, residents[0], past, code) for _ in range(4)]
        not_mine = [await check_in(client, residents[0], someone_elses, code) for _ in range(4)]
        malformed = [await check_in(client, residents[0], {"id": "not-an-id"}, code) for _ in range(4)]
        clock.now = TUESDAY.replace(hour=9, minute=55)
        code = (await booker.code(tokens["MAKERSPACE_STAFF"]))["code"]
        wrong = "000000" if code != "000000" else "111111"
        guesses = [await check_in(client, residents[0], coming, wrong) for _ in range(4)]

    assert too_early == ["CHECK_IN_TOO_EARLY"] * 11
    assert too_late == ["CHECK_IN_TOO_LATE"] * 4
    assert not_mine == ["NOT_FOUND"] * 4
    assert malformed == ["BAD_REQUEST"] * 4
    assert guesses == ["INVALID_CHECK_IN_CODE"] * 3 + ["RATE_LIMITED"]
