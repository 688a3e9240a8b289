"""Local Azure Functions runtime: hosts the app's HTTP, Service Bus, timer and SignalR bindings."""
