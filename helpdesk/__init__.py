"""The application: composes the kiosk and dashboard blueprints with the shared services."""

from helpdesk.app import create_app

__all__ = ["create_app"]
