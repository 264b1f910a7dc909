"""1C / BAS exchange: the CommerceML reader and importer, the PortalExchange web service's contract."""
