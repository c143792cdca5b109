"""Domain steps and the shared mechanisms they use, wrapped as Prefect tasks for the flows to run."""
