"""The contact log: recording contacts, listing them, and errors that say how to fix."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from migq.errors import MigqError, UsageError
from migq.followup.contacts_log import contacts_for, last_contacts, record_contact
from migq.store import schema


def test_record_and_list_in_date_order(store):
    record_contact(store, "fra", "Phone", "promised a reply", date(2008, 4, 15))
    record_contact(store, "FRA", "meeting", "met the counsellor", date(2008, 4, 2))
    record_contact(store, "DEU", "note", "", date(2008, 4, 3))
    entries = contacts_for(store, "FRA")
    assert [(e.on_date, e.channel, e.note) for e in entries] == [
        (date(2008, 4, 2), "meeting", "met the counsellor"), (date(2008, 4, 15), "phone", "promised a reply")]
    assert entries[0].actor == "tester"
    assert [e.on_date for e in contacts_for(store, "FRA", as_of=date(2008, 4, 10))] == [date(2008, 4, 2)]
    latest = last_contacts(store)
    assert latest["FRA"].note == "promised a reply" and latest["DEU"].channel == "note"
    assert set(last_contacts(store, as_of=date(2008, 4, 2))) == {"FRA"}


def test_each_contact_is_audited(store):
    record_contact(store, "KEN", "email", "sent the form again by hand", date(2008, 5, 1))
    with store.read() as conn:
        rows = conn.execute(select(schema.audit_log).where(schema.audit_log.c.action == "contact_logged")).all()
    assert len(rows) == 1 and rows[0].iso3 == "KEN"
    assert json.loads(rows[0].detail) == {"channel": "email", "on_date": "2008-05-01"}


def test_unknown_recipient_suggests_close_codes(store):
    with pytest.raises(MigqError) as err:
        record_contact(store, "FRN", "phone", "x", date(2008, 4, 1))
    assert "'FRN' is not the ISO3 code" in str(err.value) and "FRA (France)" in str(err.value)
    with pytest.raises(MigqError, match="DEU"):
        record_contact(store, "Germany", "phone", "x", date(2008, 4, 1))
    assert contacts_for(store, "FRA") == []


def test_bad_channel_and_future_date(store):
    with pytest.raises(UsageError, match="phone, email, meeting, note"):
        record_contact(store, "FRA", "fax", "x", date(2008, 4, 1))
    with pytest.raises(UsageError, match="future"):
        record_contact(store, "FRA", "phone", "x", date.today() + timedelta(days=3))
