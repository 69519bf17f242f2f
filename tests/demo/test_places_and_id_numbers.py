"""The Beijing places and resident ID numbers shared by the demo and the data-set generator."""

from __future__ import annotations

from datetime import date
from random import Random

from stdnum.cn import ric

from demo.id_numbers import OLD_CODES, birth_region_code, resident_id_number
from demo.places import DEVELOPMENT_AREA, DEVELOPMENT_AREA_CODE, DISTRICT_CODES, DISTRICTS, RESIDENTS_2020, STREETS
from timebank.domain.places import BEIJING_DISTRICTS


def test_every_district_level_unit_of_the_domain_has_streets_and_every_district_a_code_and_residents() -> None:
    assert set(STREETS) == set(BEIJING_DISTRICTS) and all(STREETS.values())
    assert set(DISTRICTS) | {DEVELOPMENT_AREA} == set(BEIJING_DISTRICTS)
    assert set(DISTRICT_CODES) == set(RESIDENTS_2020) == set(DISTRICTS)
    assert DEVELOPMENT_AREA_CODE in DISTRICT_CODES.values()


def test_each_code_is_the_one_python_stdnum_registers_for_that_district() -> None:
    for name, code in DISTRICT_CODES.items():
        number = resident_id_number(code, date(2020, 1, 1), 0, "female")
        assert ric.get_birth_place(number)["county"] == name


def test_a_number_is_valid_and_carries_region_birth_date_and_sex() -> None:
    number = resident_id_number("110108", date(1975, 6, 30), 17, "male")
    assert ric.is_valid(number)
    assert (number[:6], ric.get_birth_date(number), int(number[14:17])) == ("110108", date(1975, 6, 30), 35)


def test_the_region_code_always_existed_when_the_person_was_born() -> None:
    rng = Random(3)
    for year in range(1946, 2010, 3):
        for district in BEIJING_DISTRICTS:
            birth = date(year, 3, 1)
            code = birth_region_code(rng, district, birth)
            assert ric.is_valid(resident_id_number(code, birth, 1, "female"))
    assert set(OLD_CODES) < set(DISTRICT_CODES.values())
