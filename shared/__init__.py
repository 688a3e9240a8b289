"""The AIOps RCA Assistant product package: domain, stage handlers and adapters."""
