"""Federation: the TAXII 2.1 server, partners, the sync client, receipts and recalls."""
