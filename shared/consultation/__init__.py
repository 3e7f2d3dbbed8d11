"""The consultation at the desk: SOP steps 2 to 6, problems and answers, escalations, the report and receipt."""

# Every table, this package's included, is registered by shared.models; loading it first lets a module here be
# the first one imported without meeting a half-loaded shared.models.
import shared.models  # noqa: F401
