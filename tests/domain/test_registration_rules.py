"""Registration rules (age, guardian consent, well-formed identity) and the masking of personal data."""

from __future__ import annotations

from datetime import date

import pytest

from timebank.domain.errors import InvalidInput, RuleViolation
from timebank.domain.rules import RuleSet
from timebank.domain.volunteer import age_on, check_registration, mask_id_number, mask_phone

TODAY = date(2026, 11, 18)
RULES = RuleSet("v", date(2021, 3, 1))


def born_years_ago(years: int, days_later: int = 0) -> date:
    return date(TODAY.year - years, TODAY.month, TODAY.day + days_later)


class TestAge:
    def test_age_counts_whole_years_up_to_the_birthday(self) -> None:
        assert age_on(date(2012, 11, 18), TODAY) == 14
        assert age_on(date(2012, 11, 19), TODAY) == 13
        assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
        assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18

    def test_under_14_is_refused_even_with_a_guardians_consent(self) -> None:
        with pytest.raises(RuleViolation, match="from age 14") as raised:
            check_registration(birth_date=born_years_ago(14, days_later=1), guardian_consent=True, today=TODAY, rules=RULES)
        assert raised.value.field == "birth_date"

    def test_from_the_14th_birthday_a_minor_registers_with_a_guardians_consent(self) -> None:
        check_registration(birth_date=born_years_ago(14), guardian_consent=True, today=TODAY, rules=RULES)

    @pytest.mark.parametrize("years", [14, 15, 17])
    def test_14_to_17_need_a_guardians_consent(self, years: int) -> None:
        with pytest.raises(RuleViolation, match="guardian_consent") as raised:
            check_registration(birth_date=born_years_ago(years), guardian_consent=False, today=TODAY, rules=RULES)
        assert raised.value.field == "guardian_consent"

    def test_an_adult_needs_no_consent(self) -> None:
        check_registration(birth_date=born_years_ago(18), guardian_consent=False, today=TODAY, rules=RULES)

    def test_a_birth_date_in_the_future_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="future") as raised:
            check_registration(birth_date=date(2026, 11, 19), guardian_consent=True, today=TODAY, rules=RULES)
        assert raised.value.field == "birth_date"

    def test_the_age_limits_come_from_the_rule_set(self) -> None:
        shanghai_like = RuleSet("other", date(2021, 1, 1), min_registration_age=16, guardian_consent_below_age=16)
        with pytest.raises(RuleViolation, match="from age 16"):
            check_registration(birth_date=born_years_ago(15), guardian_consent=True, today=TODAY, rules=shanghai_like)
        check_registration(birth_date=born_years_ago(16), guardian_consent=False, today=TODAY, rules=shanghai_like)


class TestIdentityFields:
    @pytest.mark.parametrize(
        ("field", "value"),
        [("name", " "), ("sex", "robot"), ("id_type", "library_card"), ("id_number", "  ")],
    )
    def test_a_malformed_identity_field_is_named(self, field: str, value: str) -> None:
        with pytest.raises(InvalidInput) as raised:
            check_registration(birth_date=date(1990, 1, 1), guardian_consent=False, today=TODAY, rules=RULES,
                               **{field: value})
        assert raised.value.field == field


class TestMasking:
    def test_an_id_number_keeps_only_its_first_three_and_last_two_characters(self) -> None:
        masked = mask_id_number("11010119900517001X")
        assert masked == "110" + "*" * 13 + "1X"
        assert len(masked) == 18 and "19900517" not in masked

    @pytest.mark.parametrize("short", ["", "A", "12345"])
    def test_a_short_id_number_is_masked_entirely(self, short: str) -> None:
        assert mask_id_number(short) == "*" * len(short)

    def test_a_passport_number_is_masked_the_same_way(self) -> None:
        assert mask_id_number("E12345678") == "E12****78"

    def test_a_phone_keeps_its_first_three_and_last_four_digits(self) -> None:
        assert mask_phone("13912345678") == "139****5678"
        assert mask_phone("+8613912345678") == "139****5678"

    def test_a_short_phone_is_masked_entirely(self) -> None:
        assert mask_phone("1234567") == "*******"
