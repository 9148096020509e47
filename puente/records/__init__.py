"""Records: STIX 2.1 objects under markings: validation, storage, versions and search."""
