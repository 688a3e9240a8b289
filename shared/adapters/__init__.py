"""Adapters: the outside world (Azure Storage, Service Bus, SaaS APIs) behind small ports."""
