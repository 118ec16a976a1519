"""The statistics web admin: sign-in, pages, charts and exports."""
