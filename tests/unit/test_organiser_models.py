"""The organiser API's input models: what they accept and refuse (no I/O)."""
from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError

from chalicelib import states
from chalicelib.organiser_models import ExportIn, State


def test_the_state_names_are_the_states_modules():
    assert set(typing.get_args(State)) == set(states.ALL_STATES)
    assert len(typing.get_args(State)) == len(states.ALL_STATES)


def test_an_export_holds_the_listed_signatures_unless_states_are_named():
    assert ExportIn(format="csv").states == ["listed"]
    assert ExportIn(format="json", states=["pending", "listed", "pending"]).states == [
        "pending", "listed"]
    assert ExportIn(format="docx", states=["listed"]).states == ["listed"]


@pytest.mark.parametrize("body", [{"format": "csv", "states": ["gone"]},
                                  {"format": "csv", "states": []},
                                  {"format": "html", "states": ["rejected"]}])
def test_export_states_are_validated(body):
    with pytest.raises(ValidationError):
        ExportIn.model_validate(body)


def test_the_export_formats_are_the_writers_formats():
    from chalicelib import organiser_models
    from chalicelib.exports import on_demand
    fmt = ExportIn.model_fields["format"].annotation
    assert set(typing.get_args(fmt)) == set(on_demand.FORMATS)
    assert organiser_models.LIST_FORMATS == on_demand.LIST_FORMATS
