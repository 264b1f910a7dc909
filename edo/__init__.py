"""Contracts to a qualified e-signature (issue 13). So far the template machinery only, not
yet a feature (no feature.py): `fields` (what a template may name), `docx_template` (upload
check and filling; `sandbox` is the Jinja it runs in, `template_server` the process that
forks a child per template), `docx_diff` (what a manager's edit changed), `pdf` (the copy
sent for signature)."""
