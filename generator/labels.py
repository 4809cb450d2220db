"""Interface strings that ``site.toml`` names rather than the templates (taxonomy titles and
labels), listed here so that ``pybabel extract`` puts them in the catalogues. Templates
translate them at render time with ``_(taxonomy.title)``; a site's own taxonomy whose title is
in no catalogue shows it as written in ``site.toml``."""


def N_(message: str) -> str:
    """Marks a message for extraction; translated later, where it is shown."""
    return message


LABELS = (
    N_("Tags"),
    N_("Tags:"),
    N_("Sections"),
    N_("Section:"),
    N_("Authors"),
    N_("By"),
    N_("Sources"),
    N_("Sources:"),
    N_("Regions"),
    N_("Region:"),
)
