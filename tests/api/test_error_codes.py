"""Expected failures are typed (#16): each a class, each code a member of the graph's ErrorCode
enum, the result type chosen by class, and the README's table generated from the enum."""

from pathlib import Path

import graphql
import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from models.people import Person
from resolvers.eldercare.errors import InvalidReadings
from resolvers.errors import DomainFailure, ErrorCode, NotFound, failure_for
from resolvers.makerspace.errors import SlotTaken
from schema import build_schema
from schema.common import NotFound as NotFoundResult
from schema.common import RuleViolation, as_domain_error
from schema.error_codes import MEANINGS, with_readme_table
from schema.makerspace import SlotTaken as SlotTakenResult
from tests.conftest import make_settings

SCHEMA = build_schema(make_settings())
README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_generated_from_the_enum():
    readme = README.read_text(encoding="utf-8")
    drifted = "README's error codes drifted: run `linli export-schema`"
    assert readme == with_readme_table(readme, SCHEMA), drifted


def test_every_code_is_an_enum_member_a_client_can_switch_on():
    sdl = graphql.build_schema(SCHEMA.as_str())
    code_enum = sdl.get_type("ErrorCode")
    assert set(code_enum.values) == {code.value for code in ErrorCode} == {code.value for code in MEANINGS}
    assert str(sdl.get_type("DomainError").fields["code"].type) == "ErrorCode!"
    assert str(sdl.get_type("RejectedReading").fields["code"].type) == "ErrorCode!"
    for graph_type in sdl.get_possible_types(sdl.get_type("DomainError")):
        assert str(graph_type.fields["code"].type) == "ErrorCode!", graph_type.name


def test_each_result_type_answers_one_failure_class_and_no_two_the_same():
    answered = {}
    for graph_type in SCHEMA._schema.get_possible_types(SCHEMA._schema.get_type("DomainError")):
        failure = SCHEMA.get_type_by_name(graph_type.name).origin.answers
        assert issubclass(failure, DomainFailure), graph_type.name
        assert failure not in answered, f"{graph_type.name} and {answered.get(failure)} answer {failure}"
        answered[failure] = graph_type.name
        if failure is not DomainFailure:  # RuleViolation carries whatever the others do not
            assert failure.codes, f"{failure.__name__} must say which codes it carries"


def test_the_result_is_chosen_by_class_the_closest_member_first():
    taken = SlotTaken("该时段已被他人预约")
    chosen = as_domain_error(taken, (SlotTakenResult, RuleViolation, NotFoundResult))
    assert type(chosen) is SlotTakenResult
    # A union without SlotTaken answers it as what it also is: a rule that said no.
    fallback = as_domain_error(taken, (RuleViolation, NotFoundResult))
    assert type(fallback) is RuleViolation and fallback.code == ErrorCode.SLOT_TAKEN
    assert type(as_domain_error(NotFound("该预约"), (RuleViolation, NotFoundResult))) is NotFoundResult
    with pytest.raises(TypeError):
        as_domain_error(NotFound("该预约"), (SlotTakenResult,))


def test_a_failure_class_carries_only_its_codes():
    assert InvalidReadings(ErrorCode.EMPTY_BATCH, "没有读数").code == ErrorCode.EMPTY_BATCH
    with pytest.raises(ValueError):
        InvalidReadings(ErrorCode.DAILY_CAP, "x")
    with pytest.raises(ValueError):
        DomainFailure("NO_SUCH_CODE", "x")


async def test_a_violated_constraint_becomes_the_failure_it_means_and_any_other_is_raised(session):
    phone = await session.scalar(select(Person.phone).limit(1))
    meaning = {"uq_persons_phone": lambda: DomainFailure(ErrorCode.PHONE_TAKEN, "该手机号已登记")}
    with pytest.raises(IntegrityError) as violated:
        async with session.begin_nested():
            await session.execute(insert(Person).values(phone=phone, name="重复"))
    assert failure_for(violated.value, meaning).code == ErrorCode.PHONE_TAKEN
    # A constraint the map does not name is a fault, not a "no": raised as it came.
    with pytest.raises(IntegrityError):
        failure_for(violated.value, {"ex_reservations_resource_period": meaning["uq_persons_phone"]})
