"""Contracts to a qualified e-signature (issue 13). So far the template machinery only:
`fields` (what a template may name), `docx_template` (upload check and filling),
`docx_diff` (what a manager's edit changed), `pdf` (the copy sent for signature)."""
