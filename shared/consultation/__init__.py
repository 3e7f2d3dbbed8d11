"""The consultation at the desk: SOP steps 2 to 6, problems and answers, escalations, the report and receipt."""
