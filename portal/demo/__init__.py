"""Demo data: `flask demo seed` builds an invented Sejong-style organisation to try the portal."""
