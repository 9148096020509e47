"""The web edge: app assembly, authentication, problem details, templates and assets."""
