"""Models of the tracking_portal app."""
