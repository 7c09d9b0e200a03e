"""Handoffs as FHIR: one ResearchSubject per handoff (status and its history from the staff
workflow) with its Patient (name and contact), in a searchset Bundle.

Built and validated with fhir.resources 6.5.0 (pydantic 1, as in Rasa 3.6's environment),
whose models follow FHIR R4B (4.3.0). The status mapping and the identifier systems are data:
bot/content/fhir.yml. The library checks structure and types but not the codes of a required
value set, so each status code is also checked against the value set the library carries.

`bundle(..., include_contact=False)` leaves every Patient out (no name, phone, e-mail or
caregiver): the ResearchSubject then only points at "Patient/<id>". That is the export for a
role that must not see contact details.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from fhir.resources import __fhir_version__ as FHIR_VERSION
from fhir.resources.bundle import Bundle
from fhir.resources.patient import Patient
from fhir.resources.researchsubject import ResearchSubject

from bot import content

STATUS_VALUES: tuple[str, ...] = tuple(
    ResearchSubject.__fields__["status"].field_info.extra["enum_values"]
)
WORKFLOW_LABELS = {
    "new": "New",
    "contacted": "Contacted",
    "scheduled": "Scheduled",
    "enrolled": "Enrolled",
    "not_a_fit": "Not a fit",
    "unreachable": "Unreachable",
    "declined": "Declined",
    "answered": "Answered",
    "closed": "Closed",
}


class MappingError(ValueError):
    """bot/content/fhir.yml maps a status to a code the FHIR release does not have."""


@dataclass(frozen=True)
class Config:
    status_codes: Mapping[str, str]
    by_kind: Mapping[str, Mapping[str, str]]
    ended: frozenset[str]
    base: str
    reference_system: str
    study_system: str
    workflow_system: str
    outcome_system: str

    @property
    def history_url(self) -> str:
        return f"{self.base}/StructureDefinition/status-history"

    @property
    def outcome_url(self) -> str:
        return f"{self.base}/StructureDefinition/prescreen-outcome"

    @property
    def best_time_url(self) -> str:
        return f"{self.base}/StructureDefinition/best-time-to-call"

    def code(self, status: str, kind: str) -> str:
        special = self.by_kind.get(kind, {})
        if status in special:
            return special[status]
        if status not in self.status_codes:
            raise MappingError(f"no FHIR code for workflow status {status!r}")
        return self.status_codes[status]


def parse_config(data: Mapping[str, Any]) -> Config:
    if str(data.get("fhir_version")) != FHIR_VERSION:
        raise MappingError(
            f"fhir.yml is written for FHIR {data.get('fhir_version')}, "
            f"the library has {FHIR_VERSION}"
        )
    codes = {str(k): str(v) for k, v in dict(data["status_codes"]).items()}
    kinds = {
        str(kind): {str(k): str(v) for k, v in dict(m).items()}
        for kind, m in dict(data.get("by_kind") or {}).items()
    }
    ended = frozenset(str(c) for c in data.get("ended") or ())
    for code in [*codes.values(), *(c for m in kinds.values() for c in m.values()), *ended]:
        if code not in STATUS_VALUES:
            raise MappingError(f"{code!r} is not a ResearchSubject status in FHIR {FHIR_VERSION}")
    return Config(
        status_codes=codes,
        by_kind=kinds,
        ended=ended,
        base=str(data["base"]).rstrip("/"),
        reference_system=str(data["reference_system"]),
        study_system=str(data["study_system"]),
        workflow_system=str(data["workflow_system"]),
        outcome_system=str(data["outcome_system"]),
    )


@cache
def config() -> Config:
    return parse_config(content.load("fhir"))


@dataclass(frozen=True)
class Change:
    """One step of a record's workflow: the status it got, and when."""

    status: str
    at: datetime


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def subject_id(record: Mapping[str, Any]) -> str:
    return f"handoff-{record['id']}"


def patient_id(record: Mapping[str, Any]) -> str:
    return f"handoff-{record['id']}-person"


def history(record: Mapping[str, Any], changes: Sequence[Change]) -> list[Change]:
    """new at creation, then each status change, oldest first."""
    return [Change("new", record["created_at"]), *sorted(changes, key=lambda c: c.at)]


def research_subject(
    record: Mapping[str, Any], changes: Sequence[Change], trial: Mapping[str, str]
) -> ResearchSubject:
    """One handoff as a validated ResearchSubject (no contact details in it)."""
    cfg = config()
    kind = str(record.get("kind") or "prescreen")
    steps = history(record, changes)
    code = cfg.code(str(record["status"]), kind)
    extensions: list[dict[str, Any]] = [
        {
            "url": cfg.history_url,
            "extension": [
                {"url": "status", "valueCode": cfg.code(step.status, kind)},
                {
                    "url": "workflowStatus",
                    "valueCoding": {
                        "system": cfg.workflow_system,
                        "code": step.status,
                        "display": WORKFLOW_LABELS.get(step.status, step.status),
                    },
                },
                {"url": "date", "valueDateTime": _when(step.at)},
            ],
        }
        for step in steps
    ]
    extensions.append(
        {
            "url": cfg.outcome_url,
            "valueCoding": {"system": cfg.outcome_system, "code": str(record["outcome"])},
        }
    )
    period: dict[str, str] = {"start": _when(record["created_at"])}
    if code in cfg.ended:
        period["end"] = _when(steps[-1].at)
    subject = ResearchSubject.parse_obj(
        {
            "resourceType": "ResearchSubject",
            "id": subject_id(record),
            "extension": extensions,
            "identifier": [{"system": cfg.reference_system, "value": str(record["reference"])}],
            "status": code,
            "period": period,
            "study": {
                "identifier": {"system": cfg.study_system, "value": trial["nct_id"]},
                "display": trial.get("title", trial["nct_id"]),
            },
            "individual": {"reference": f"Patient/{patient_id(record)}"},
        }
    )
    if subject.status not in STATUS_VALUES:  # pragma: no cover - parse_config checked it
        raise MappingError(f"{subject.status!r} is not a ResearchSubject status")
    return subject


def _telecom(contact: Mapping[str, Any]) -> list[dict[str, Any]]:
    points = []
    if contact.get("phone"):
        points.append({"system": "phone", "value": str(contact["phone"]), "rank": 1})
    if contact.get("email"):
        points.append({"system": "email", "value": str(contact["email"])})
    return points


def patient(record: Mapping[str, Any]) -> Patient:
    """The person of a handoff: name, phone, e-mail, best time; for a caregiver's prescreen
    the caregiver as the Patient's contact (and their phone/e-mail when they are the one to
    call)."""
    cfg = config()
    contact = record.get("contact") or {}
    data: dict[str, Any] = {"resourceType": "Patient", "id": patient_id(record)}
    if contact.get("name"):
        data["name"] = [{"text": str(contact["name"])}]
    telecom = _telecom(contact)
    carer = contact.get("answered_by") if isinstance(contact.get("answered_by"), dict) else None
    if carer:
        party: dict[str, Any] = {}
        if carer.get("name"):
            party["name"] = {"text": str(carer["name"])}
        if carer.get("relation"):
            party["relationship"] = [{"text": str(carer["relation"])}]
        if contact.get("call") == "caregiver" and telecom:
            party["telecom"], telecom = telecom, []
        if party:
            data["contact"] = [party]
    if telecom:
        data["telecom"] = telecom
    if contact.get("best_time"):
        data["extension"] = [{"url": cfg.best_time_url, "valueString": str(contact["best_time"])}]
    return Patient.parse_obj(data)


def bundle(
    records: Iterable[Mapping[str, Any]],
    changes: Mapping[int, Sequence[Change]],
    *,
    base_url: str,
    include_contact: bool = True,
    total: int | None = None,
    trial: Mapping[str, str] | None = None,
    links: Mapping[str, str] | None = None,
) -> Bundle:
    """A searchset Bundle: each handoff's ResearchSubject (search mode "match") and, with
    include_contact, its Patient (mode "include"). base_url: the FHIR base the fullUrls use;
    links: relation -> URL (self, next, previous; default self = the search without paging)."""
    base = base_url.rstrip("/")
    entries: list[dict[str, Any]] = []
    count = 0
    for record in records:
        count += 1
        # Each record's own study when a deployment serves several (its "trial", an nct_id).
        with content.serving(content.from_nct(record.get("trial"))):
            study = trial or content.trial()
        subject = research_subject(record, changes.get(int(record["id"]), ()), study)
        entries.append(
            {
                "fullUrl": f"{base}/ResearchSubject/{subject.id}",
                "resource": subject,
                "search": {"mode": "match"},
            }
        )
        if include_contact:
            person = patient(record)
            entries.append(
                {
                    "fullUrl": f"{base}/Patient/{person.id}",
                    "resource": person,
                    "search": {"mode": "include"},
                }
            )
    return Bundle.parse_obj(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": count if total is None else total,
            "link": [
                {"relation": relation, "url": url}
                for relation, url in (links or {"self": f"{base}/ResearchSubject"}).items()
            ],
            "entry": entries,
        }
    )
