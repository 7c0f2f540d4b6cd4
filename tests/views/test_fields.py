"""app/views/fields.py: what the date-time field reads as a moment, and what it refuses."""
from datetime import datetime

import pytest

from app.views.fields import parse


@pytest.mark.parametrize("text", [
    "2027-01-06 23:59:59", " 2027-01-06  23:59:59 ", "2027-01-06T23:59:59", "2027-1-6 23:59:59",
    "2027/01/06 23:59:59", "2027.01.06 23:59:59", "２０２７－０１－０６　２３：５９：５９",
])
def test_reads_what_people_type(text):
    assert parse(text) == datetime(2027, 1, 6, 23, 59, 59)


@pytest.mark.parametrize("text", [
    "", "2027-01-06", "2027-01-06 23:59", "2027-02-29 00:00:00", "2027-01-06 24:00:00", "2027-01-06 23:60:00",
    "06/01/2027 23:59:59", "2027-01-06 23:59:59.5", "明天",
])
def test_refuses_what_is_not_a_moment_to_the_second(text):
    assert parse(text) is None
