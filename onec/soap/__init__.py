"""The portal's side of PortalExchange, the SOAP web service 1C publishes
(onec/WEBSERVICE.md): `client.py` is the only place that talks to zeep."""
