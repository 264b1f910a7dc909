"""Contracts to a qualified e-signature in Vchasno EDO (issue 13): the feature (`feature`,
`models`). `vchasno` is the adapter to Vchasno (over
py-vchasno); `fields` (what a template may name), `docx_template` (upload check and filling;
`sandbox` is the Jinja it runs in, `template_server` the process that forks a child per
template), `docx_diff` (what a manager's edit changed), `pdf` (the copy sent for signature)."""
