"""Staff screens (login required); the officer dashboard is built on this blueprint."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")
