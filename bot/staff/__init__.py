"""The study team's side: staff users, API tokens, the audit trail, the work queue and working
hours, notifications, the daily digest, the recruitment funnel and the FHIR export."""
