"""Root-cause analysis: the failure catalog, fingerprints, the Gemini refiner and the evaluation."""
