"""The demo: seeding a demo shop and running web, worker, beat and the fake carrier together."""
