"""Enrichment: fetch the real error of a failure from the Databricks Jobs API and ADF/Synapse REST."""
